"""The server ``ssl.SSLContext``: Mozilla intermediate 6.0, built by us, validated at start-up.

uvicorn's own context (``ssl_certfile=...``) keeps OpenSSL's defaults, which accept CBC
suites under TLS 1.2 and offer X448, P-521 and finite-field groups. So the context is
built here, from :mod:`faceless.security.tls.policy`:

- TLS 1.2 minimum, 1.3 maximum; the six ECDHE+AEAD TLS 1.2 suites (``set_ciphers``)
  and the three TLS 1.3 suites, set explicitly so a system-wide OpenSSL config cannot
  widen them; the resulting list is read back (``get_ciphers``) and checked.
- Client cipher order (``OP_CIPHER_SERVER_PREFERENCE`` cleared: Python sets it by
  default, the guideline says the client chooses), no compression, no session tickets
  (``OP_NO_TICKET`` for 1.2, ``num_tickets = 0`` for 1.3: ticket keys live for the whole
  process and would undo forward secrecy), no client-initiated renegotiation.

**Key-exchange groups.** Python 3.11's ``ssl`` can set one group (``set_ecdh_curve``),
not a list, and nothing in the standard library or our dependencies sets the group list
of an ``SSLContext`` that asyncio can use. OpenSSL's ``SSL_CTX_set1_groups_list`` is a
macro for ``SSL_CTX_ctrl(ctx, SSL_CTRL_SET_GROUPS_LIST, 0, "X25519:...")``, and the
command number is ABI: 92 in every OpenSSL since 1.0.2 (there named SET_CURVES_LIST).
We call that through ``ctypes``:

- the function is looked up through a ``dlopen`` handle of the ``_ssl`` extension
  module itself, and ``dlsym`` on a handle searches that object's own dependencies, so
  this is the very libssl the ``ssl`` module is linked against, never another copy in
  the process (nassl and cryptography bundle their own OpenSSL);
- the ``SSL_CTX *`` is the first field after ``PyObject_HEAD`` in CPython's
  ``PySSLContext``, i.e. at ``id(ctx) + object.__basicsize__``. Before writing through
  it we read it back: ``SSL_CTX_get_options`` on that pointer must equal
  ``ctx.options``, a 64-bit value we have just set to something distinctive;
- ``SSL_CTX_ctrl`` returns 1 only if OpenSSL accepted every group name.

The tests prove the effect from the outside: handshakes offering only X448 or P-521
fail, each allowed group succeeds, and sslyze's group enumeration reports exactly
X25519, secp256r1 and secp384r1. Where the trick is unavailable (a Python whose
``_ssl`` links OpenSSL statically, or not CPython), the context falls back to the one
group ``set_ecdh_curve`` can set, P-256: a subset of the policy, never a superset,
with a warning at start-up.
"""

from __future__ import annotations

import ctypes
import logging
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from faceless.security.tls import TlsError, policy
from faceless.security.tls.files import check_private_file

logger = logging.getLogger("faceless.tls")

_SSL_CTRL_SET_GROUPS_LIST = 92
_FALLBACK_GROUP = "prime256v1"


@dataclass(frozen=True, slots=True)
class _LibSsl:
    ctrl: Callable[[int, int, int, bytes], int]
    get_options: Callable[[int], int]
    set_ciphersuites: Callable[[int, bytes], int]


@cache
def _libssl() -> _LibSsl | None:
    """The libssl functions of the ``ssl`` module's own OpenSSL, or None if unreachable."""
    if sys.implementation.name != "cpython":
        return None
    try:
        import _ssl

        lib = ctypes.CDLL(_ssl.__file__)
        ctrl = lib.SSL_CTX_ctrl
        get_options = lib.SSL_CTX_get_options
        set_ciphersuites = lib.SSL_CTX_set_ciphersuites
    except (AttributeError, OSError):  # no __file__ (static build) or symbols hidden
        return None
    ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_char_p]
    ctrl.restype = ctypes.c_long
    get_options.argtypes = [ctypes.c_void_p]
    get_options.restype = ctypes.c_uint64
    set_ciphersuites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    set_ciphersuites.restype = ctypes.c_int
    return _LibSsl(ctrl=ctrl, get_options=get_options, set_ciphersuites=set_ciphersuites)


def _ssl_ctx_pointer(ctx: ssl.SSLContext, lib: _LibSsl) -> int | None:
    address = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
    if not address or lib.get_options(address) != int(ctx.options):
        return None
    return address


def native_groups_available() -> bool:
    """True if contexts built here get the full policy group list (not the fallback)."""
    lib = _libssl()
    return (
        lib is not None
        and _ssl_ctx_pointer(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), lib) is not None
    )


def _apply_groups_and_suites(ctx: ssl.SSLContext) -> None:
    lib = _libssl()
    pointer = _ssl_ctx_pointer(ctx, lib) if lib is not None else None
    if lib is None or pointer is None:
        logger.warning(
            "this Python's ssl module does not expose OpenSSL's group list; offering only %s "
            "(a subset of the policy's %s)",
            _FALLBACK_GROUP,
            ", ".join(policy.GROUPS),
        )
        ctx.set_ecdh_curve(_FALLBACK_GROUP)
        return
    groups = ":".join(policy.GROUPS).encode()
    if lib.ctrl(pointer, _SSL_CTRL_SET_GROUPS_LIST, 0, groups) != 1:
        raise TlsError(f"OpenSSL refused the key-exchange groups {groups.decode()}")
    if lib.set_ciphersuites(pointer, ":".join(policy.TLS13_CIPHERSUITES).encode()) != 1:
        raise TlsError("OpenSSL refused the TLS 1.3 cipher suites of the policy")


def _check_ciphers(ctx: ssl.SSLContext) -> None:
    allowed = set(policy.TLS12_CIPHERS) | set(policy.TLS13_CIPHERSUITES)
    enabled = {cipher["name"] for cipher in ctx.get_ciphers()}
    if not enabled or enabled - allowed:
        raise TlsError(f"cipher suites outside the policy are enabled: {sorted(enabled - allowed)}")


def build_server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """The server context for ``cert_file`` (leaf first, then any intermediates; no root)."""
    check_private_file(key_file)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = policy.MINIMUM_VERSION
    ctx.maximum_version = policy.MAXIMUM_VERSION
    ctx.set_ciphers(":".join(policy.TLS12_CIPHERS))
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_TICKET | ssl.OP_NO_RENEGOTIATION
    if not policy.SERVER_PREFERRED_ORDER:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.num_tickets = 0
    ctx.set_alpn_protocols(["http/1.1"])
    _apply_groups_and_suites(ctx)
    _check_ciphers(ctx)
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except FileNotFoundError as exc:
        raise TlsError(f"certificate file {exc.filename or cert_file} does not exist") from None
    except (OSError, ssl.SSLError) as exc:
        raise TlsError(f"cannot load {cert_file} with key {key_file}: {exc}") from None
    return ctx


@dataclass(frozen=True, slots=True)
class ServerContextFactory:
    """uvicorn's ``ssl_context_factory``: builds our context where the server runs.

    A plain picklable object (two paths), so with ``--workers N`` uvicorn can ship it to
    each spawned worker, which then builds its own context from the files.
    """

    cert_file: Path
    key_file: Path

    def __call__(self, config: object, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        # ``default`` would be uvicorn's own context: exactly what this replaces.
        return build_server_context(self.cert_file, self.key_file)
