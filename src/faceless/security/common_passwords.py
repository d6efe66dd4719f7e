"""A compact deny-list of common passwords and their obvious shapes.

Only passwords of 12+ characters matter (shorter ones fail the length rule), so
the list holds long common choices plus rules for keyboard runs and repeats.
"""

from __future__ import annotations

_COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456789123",
        "password1234",
        "password12345",
        "password123456",
        "password@123",
        "passwordpassword",
        "qwertyuiopas",
        "qwertyuiop123",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "welcome@1234",
        "administrator",
        "changeme1234",
        "changemenow!",
        "trustno1trustno1",
        "football1234",
        "baseball1234",
        "superman1234",
        "princess1234",
        "sunshine1234",
        "starwars1234",
        "monkey123456",
        "dragon123456",
        "master123456",
        "abc123456789",
        "abcdefghijkl",
        "abcd12345678",
        "aaaaaaaaaaaa",
        "correcthorsebatterystaple",
        "p@ssw0rd1234",
        "p@ssword1234",
        "secret123456",
        "youtube12345",
        "youtubechannel",
        "facelessyoutube",
    }
)
_RUNS = (
    "0123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)


def is_common_password(password: str) -> bool:
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) <= 3:
        return True
    return any(lowered in run for run in _RUNS)
