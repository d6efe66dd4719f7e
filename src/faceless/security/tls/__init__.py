"""Transport security: the Mozilla TLS policy, the server SSLContext, dev certificates."""


class TlsError(Exception):
    """A TLS set-up problem an operator can fix; the message says how. Stops the boot."""
