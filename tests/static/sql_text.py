"""Rules on SQL text, and the checks of .sql files and shell scripts (see sql_secrets)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MARKER = re.compile(r"(?:#|--)\s*sql-format-ok\b:?(.*)$")
MIN_REASON = 8

_KEY_NAME = re.compile(r"key|secret|pass(?:word|wd|phrase)|pwd|token|credential", re.I)
# Custom settings are always "prefix.name"; PostgreSQL's own undotted ones whose names
# match (password_encryption, ssl_key_file, ...) hold no secret, except this one.
_SECRET_BUILTIN_SETTINGS = frozenset({"ssl_passphrase_command"})
PGP = re.compile(r"\b(pgp_(?:sym|pub)_(?:en|de)crypt(?:_bytea)?)\s*\(", re.I)
PGCRYPTO_KEYED = frozenset({"encrypt", "decrypt", "encrypt_iv", "decrypt_iv", "hmac", "crypt"})
_RAW = re.compile(r"\b(encrypt|decrypt|encrypt_iv|decrypt_iv|hmac|crypt)\s*\(", re.I)
_SQL_LIKE = re.compile(
    r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|GRANT|REVOKE|SET|RESET|DO"
    r"|COPY|CALL|VALUES|BEGIN|DECLARE|RETURN)\b",
    re.I | re.M,
)
_NAME = r"(?:\"[^\"]+\"|[A-Za-z_][\w$]*)"
_SET = re.compile(
    rf"\bSET\s+(?:SESSION\s+|LOCAL\s+)?({_NAME}(?:\s*\.\s*{_NAME})*)\s*(?:=|\bTO\b)",
    re.I,
)
_SET_CONFIG = re.compile(r"\b(set_config|current_setting)\s*\(\s*(E?'[^']*'|[^,)\s]+)", re.I)
_ROLE_PASSWORD = re.compile(
    r"\b(?:ROLE|USER)\b[^;]*?\bPASSWORD\s+(?!NULL\b)"
    r"(E?'[^']*'|:'?\w+'?|\$\{?\w+\}?|\{[^}]*\}|%\(\w+\)s|%s|\$\d+)",
    re.I | re.S,
)
_VERIFIER = re.compile(r"SCRAM-SHA-256\$|verifier|scram", re.I)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.detail}"


# -- rules on SQL text (any language) -------------------------------------------------


def _setting_is_key_like(name: str) -> bool:
    bare = re.sub(r"[\s\"']", "", name).lower()
    if "." not in bare:
        return bare in _SECRET_BUILTIN_SETTINGS
    return bool(_KEY_NAME.search(bare))


def sql_text_findings(text: str, *, sql_like: bool | None = None) -> Iterator[tuple[int, str, str]]:
    """(line offset, rule, detail) for every rule that ``text`` breaks."""

    def offset(pos: int) -> int:
        return text.count("\n", 0, pos)

    for match in PGP.finditer(text):
        yield offset(match.start()), "pgcrypto-key", f"{match.group(1)}() takes a key in SQL"
    if sql_like if sql_like is not None else _SQL_LIKE.search(text):
        for match in _RAW.finditer(text):
            name = match.group(1)
            yield offset(match.start()), "pgcrypto-key", f"pgcrypto {name}() takes a key in SQL"
    for match in _SET.finditer(text):
        # A name filled in at run time ("SET {name} = ...") is formatted-sql's business.
        if _setting_is_key_like(match.group(1)):
            yield offset(match.start()), "key-setting", f"SET of '{match.group(1)}'"
    for match in _SET_CONFIG.finditer(text):
        function, name = match.group(1), match.group(2)
        literal = re.fullmatch(r"E?'([^']*)'", name)
        if literal is None:
            yield offset(match.start()), "key-setting", f"{function}() of a non-literal name"
        elif _setting_is_key_like(literal.group(1)):
            yield offset(match.start()), "key-setting", f"{function}('{literal.group(1)}')"
    for match in _ROLE_PASSWORD.finditer(text):
        if not _VERIFIER.search(match.group(1)):
            yield (
                offset(match.start(1)),
                "role-password",
                "role password in SQL text (use a SCRAM verifier)",
            )


def marker_findings(path: str, markers: dict[int, str], used: set[int]) -> list[Finding]:
    found = []
    for line, reason in sorted(markers.items()):
        if len(reason) < MIN_REASON:
            found.append(Finding(path, line, "marker", "sql-format-ok needs a reason"))
        elif line not in used:
            found.append(Finding(path, line, "marker", "sql-format-ok excuses nothing here"))
    return found


# -- SQL and shell files ----------------------------------------------------------------


def check_sql_source(source: str, path: str) -> list[Finding]:
    # A .sql file is never formatted, so any marker in it excuses nothing.
    markers = {
        number: match.group(1).strip()
        for number, line in enumerate(source.splitlines(), 1)
        if (match := MARKER.search(line))
    }
    stripped = re.sub(r"--[^\n]*", "", source)
    findings = [
        Finding(path, 1 + offset, rule, detail)
        for offset, rule, detail in sql_text_findings(stripped, sql_like=True)
    ]
    return sorted(findings + marker_findings(path, markers, set()))


_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)(\w+)\2")
_EXPANSION = re.compile(r"(?<!\\)\$(?:\{|\(|[A-Za-z_]|\d|\$)")
_PSQL_C = re.compile(r"""(?:\s-c|--command)(?:\s+|=)"((?:[^"\\]|\\.)*)\"""", re.S)


def check_shell_source(source: str, path: str) -> list[Finding]:
    lines = source.splitlines()
    markers = {
        number: match.group(1).strip()
        for number, line in enumerate(lines, 1)
        if (match := MARKER.search(line)) and not line.lstrip().startswith("#!")
    }
    code = "\n".join("" if line.lstrip().startswith("#") else line for line in lines)
    findings = [
        Finding(path, 1 + offset, rule, detail) for offset, rule, detail in sql_text_findings(code)
    ]
    used: set[int] = set()

    def formatted(line: int, detail: str, command_line: int) -> None:
        for candidate in (line, command_line):
            if candidate in markers:
                used.add(candidate)
                return
        findings.append(Finding(path, line, "formatted-sql", detail))

    # psql -c "... $x ..." (double quotes expand; single quotes do not).
    for match in _PSQL_C.finditer(code):
        start = code.rfind("\n", 0, match.start()) + 1
        command = code[start : match.start()]
        if "psql" in command and _EXPANSION.search(match.group(1)):
            line = 1 + code.count("\n", 0, match.start())
            formatted(line, "shell expansion in psql -c SQL", line)
    # psql <<< "... $x ...": a here-string in double quotes expands too.
    for number, line in enumerate(code.splitlines(), 1):
        herestring = re.search(r'<<<\s*(".*)$', line)
        if "psql" in line and herestring and _EXPANSION.search(herestring.group(1)):
            formatted(number, "shell expansion in a psql here-string", number)
    # Here-documents: an unquoted delimiter expands $... in the body.
    number = 0
    while number < len(lines):
        line = lines[number]
        heredoc = _HEREDOC.search(line) if not line.lstrip().startswith("#") else None
        number += 1
        if heredoc is None:
            continue
        strip_tabs, quoted, delimiter = heredoc.groups()
        command_line, start = number, number
        command = line
        while command_line > 1 and lines[command_line - 2].rstrip().endswith("\\"):
            command_line -= 1
            command = lines[command_line - 1] + command
        body: list[tuple[int, str]] = []
        while number < len(lines):
            text = lines[number].lstrip("\t") if strip_tabs else lines[number]
            number += 1
            if text == delimiter:
                break
            body.append((number, text))
        is_sql = "psql" in command or bool(_SQL_LIKE.search("\n".join(t for _, t in body)))
        if quoted or not is_sql:
            continue
        for body_line, text in body:
            if _EXPANSION.search(text):
                formatted(body_line, f"shell expansion in SQL here-document <<{delimiter}", start)
    return sorted(findings + marker_findings(path, markers, used))
