"""RFC 6238 as the contract pins it, checked against pyotp at explicit times."""

from __future__ import annotations

import base64

import pyotp
import pytest

from faceless.auth.mfa import codes

# RFC 6238 appendix B: the SHA-1 test secret and its 8-digit vectors; 6 digits are their tail.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = {59: "94287082", 1111111109: "07081804", 1234567890: "89005924"}
NOW = 2_000_000_012.0


def test_codes_are_rfc_6238_sha1_six_digits_thirty_seconds() -> None:
    for at, eight_digits in RFC_VECTORS.items():
        assert codes.code_at(RFC_SECRET, at) == eight_digits[-6:]
        assert codes.matching_step(RFC_SECRET, eight_digits[-6:], at) == at // 30


def test_one_step_of_skew_either_way_is_accepted_two_are_not() -> None:
    secret = codes.new_secret()
    totp = pyotp.TOTP(secret)
    step = int(NOW // 30)
    for offset in (-1, 0, 1):
        assert codes.matching_step(secret, totp.at(NOW + 30 * offset), NOW) == step + offset
    for offset in (-3, -2, 2, 3):
        assert codes.matching_step(secret, totp.at(NOW + 30 * offset), NOW) is None


@pytest.mark.parametrize("wrong", ["", "12345", "1234567", "12345a", " 123456", "١٢٣٤٥٦"])
def test_anything_but_six_ascii_digits_is_no_code(wrong: str) -> None:
    assert not codes.is_totp_code(wrong)
    assert codes.matching_step(codes.new_secret(), wrong, NOW) is None


def test_secrets_are_160_bit_base32_and_the_uri_names_issuer_and_user() -> None:
    secret = codes.new_secret()
    assert len(base64.b32decode(secret)) == 20
    assert secret != codes.new_secret()
    uri = codes.otpauth_uri(secret, "mia")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret and parsed.name == "mia" and parsed.issuer == "FacelessYouTube"
    assert parsed.digits == 6 and parsed.interval == 30


def test_recovery_codes_are_ten_distinct_80_bit_codes_hashed_after_normalising() -> None:
    recovery = codes.new_recovery_codes()
    assert len(recovery) == len(set(recovery)) == 10
    for one in recovery:
        normalised = codes.normalise_recovery_code(one)
        assert normalised is not None and len(normalised) == 16
        # Dashes, spaces and case are for people: all spellings are the same code.
        spelled = " " + one.upper().replace("-", " ") + " "
        assert codes.normalise_recovery_code(spelled) == normalised
        digest = codes.recovery_code_hash(normalised)
        assert len(digest) == 64 and normalised not in digest
    assert codes.normalise_recovery_code("123456") is None
    assert codes.normalise_recovery_code("a" * 15) is None
