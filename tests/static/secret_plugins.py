"""detect-secrets plugins for the secret shapes the stock plugins miss.

Loaded by file path, so it imports nothing from the project:

    .venv/bin/detect-secrets scan --plugin tests/static/secret_plugins.py

* :class:`ConnectionUrlCredentialsDetector`: a password in a database, Redis or broker URL.
  The stock ``BasicAuthDetector`` refuses any password holding RFC 3986 delimiters
  (``!``, ``#``, ``$``, ...) and needs a non-empty user name, so a password such as
  ``p%40ss!word`` or ``s3cr3t-#``, or Redis' ``redis://:<password>@host``, passes it.
  Placeholders (``<set-me>``, ``${DB_PASSWORD}``, ``{password}``, ``...``, ``PASSWORD``)
  are not secrets and are not reported.
* :class:`AnthropicApiKeyDetector`: ``sk-ant-api03-...`` keys (and admin keys), which no
  stock plugin knows.
"""

from __future__ import annotations

import re
from collections.abc import Generator

from detect_secrets.plugins.base import RegexBasedDetector

# Schemes whose URLs carry credentials to one of our stores (SQLAlchemy's "+driver" too).
_SCHEMES = (
    r"postgres(?:ql)?|mysql|mariadb|mssql|oracle|cockroachdb|mongodb"
    r"|rediss?|valkeys?|amqps?|kafka|nats"
)
_URL = re.compile(
    rf"(?<![\w+.-])(?:{_SCHEMES})(?:\+[\w]+)?://"
    # User name (may be empty, as in Redis URLs), then the password up to the "@" that is
    # followed by a host. Delimiters are allowed in the password; "/" and quotes end it.
    r"(?P<userinfo>[^:/?#@\s'\"`]*:(?P<password>[^/@\s'\"`]+))@[\w\[\]-]",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"""
    \$\{[^}]*\}         # ${DB_PASSWORD}
    | \$[A-Za-z_]\w*    # $DB_PASSWORD
    | \{[^}]*\}         # {password}, f-string fields
    | <[^>]*>           # <set-me>
    | %\([^)]*\)s       # %(password)s
    | \.{3}|…           # elided
    | ([*xX])\1{2,}     # ***, xxx
    | [A-Z][A-Z0-9_]*   # PASSWORD, an environment variable's name
    """,
    re.VERBOSE,
)


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is a template or a name standing for a password, not one."""
    return _PLACEHOLDER.fullmatch(value) is not None or bool(
        # A value that merely embeds a template part ("pre-{x}") is generated, not written.
        re.search(r"\$\{|\{[^}]*\}|<[^>]*>", value)
    )


class ConnectionUrlCredentialsDetector(RegexBasedDetector):
    """A password inside a database / Redis / broker connection URL."""

    secret_type = "Connection URL Credentials"  # pragma: allowlist secret (a label)
    denylist = (_URL,)

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for match in _URL.finditer(string):
            if not is_placeholder(match.group("password")):
                # The whole "user:password" is reported: detect-secrets' filters drop short
                # values that look like a sequence ("pw", "x"), and the pair is the credential.
                yield match.group("userinfo")


class AnthropicApiKeyDetector(RegexBasedDetector):
    """An Anthropic API key: ``sk-ant-<kind><NN>-`` and a long base64url body."""

    secret_type = "Anthropic API Key"  # pragma: allowlist secret (a label)
    denylist = (re.compile(r"(?<![\w-])(sk-ant-[a-z]+\d{2}-[A-Za-z0-9_-]{32,})"),)
