"""The Observatory's Content-Security-Policy parser (``src/analyzer/cspParser.js``), in Python.

Several policies (headers and ``<meta>`` tags) combine: a source counts only when every
policy allows it. A repeated directive makes the policy invalid, except ``report-uri``
and ``report-to``, which are noted under :data:`DUPLICATE_WARNINGS_KEY`.

Sources are sorted with ``Intl.Collator("en")`` in the engine; :func:`_collation_key`
orders ASCII the way ICU's root collation does for these lower-cased strings
(punctuation, then digits, then letters), which is all the sort decides here: whether
one source is a prefix of its neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHORTEST_DIRECTIVE_LENGTH = len("img-src") - 1
DIRECTIVES_DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATE_KEYS = frozenset({"report-uri", "report-to"})
DUPLICATE_WARNINGS_KEY = "_observatory_duplicate_key_warnings"

_ICU_ORDER = "\t\n\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_RANK = {char: rank for rank, char in enumerate(_ICU_ORDER)}
_ESCAPE_SPLIT = re.compile(r"(%[0-9A-Fa-f]{2})")

Csp = dict[str, set[str]]


class CspParseError(ValueError):
    pass


@dataclass(slots=True)
class _Source:
    source: str
    index: int
    keep: bool


def _collation_key(text: str) -> tuple[tuple[int, int], ...]:
    return tuple((_RANK.get(char, len(_RANK)), ord(char)) for char in text)


def parse_csp_meta(policies: list[str]) -> Csp:
    """Policies from ``<meta>`` tags, without the directives only a header may carry."""
    parsed = parse_csp(policies)
    for directive in DIRECTIVES_DISALLOWED_IN_META:
        parsed.pop(directive, None)
    return parsed


def parse_csp(policies: list[str]) -> Csp:
    cleaned = [re.sub(r"[\r\n]", "", policy).strip() for policy in policies]
    if not cleaned:
        return {}
    for policy in cleaned:
        if not policy or len(policy) < SHORTEST_DIRECTIVE_LENGTH:
            raise CspParseError(f"invalid policy: {policy}")
    csp: dict[str, list[_Source]] = {}
    warnings: set[str] = set()
    for index, policy in enumerate(cleaned):
        seen: set[str] = set()
        for entry in policy.split(";"):
            directive_entry, *values = re.split(r"\s+", entry.strip())
            if not directive_entry:
                continue
            directive = directive_entry.lower()
            if directive in seen:
                if directive not in ALLOWED_DUPLICATE_KEYS:
                    raise CspParseError(f"duplicate directive {directive} in policy {index}")
                warnings.add(directive)
            seen.add(directive)
            csp[directive] = _combine(csp, directive, values, index)
            if index == 0 and len(policies) > 1:
                for source in csp[directive]:
                    source.keep = False
    final: Csp = {
        directive: {s.source for s in sources} if sources else {"'none'"}
        for directive, sources in csp.items()
    }
    if warnings:
        final[DUPLICATE_WARNINGS_KEY] = warnings
    return final


def _combine(
    csp: dict[str, list[_Source]], directive: str, values: list[str], index: int
) -> list[_Source]:
    keep = index == 0
    sources = [_Source(raw.strip().lower(), index, keep) for raw in values]
    if not values and directive.endswith("-src"):
        sources = [_Source("'none'", index, keep)]
    combined = sources if index == 0 else [*csp.get(directive, []), *sources]
    combined.sort(key=lambda s: _collation_key(s.source))
    for position in range(1, len(combined)):
        source, previous = combined[position], combined[position - 1]
        if source.index == previous.index and source.source.startswith(previous.source):
            source.keep = False
        if source.index != previous.index and _path_part_match(previous.source, source.source):
            source.keep = True
    return [source for source in combined if source.keep]


def _decode_component(text: str) -> str:
    """``decodeURIComponent``: a malformed escape is an error, as it is in JavaScript."""
    raw = bytearray()
    for piece in _ESCAPE_SPLIT.split(text):
        if _ESCAPE_SPLIT.fullmatch(piece):
            raw.append(int(piece[1:], 16))
        elif "%" in piece:
            raise CspParseError("malformed percent-escape")
        else:
            raw += piece.encode("utf-8", "surrogatepass")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CspParseError("malformed percent-escape") from None


def _path_part_match(path_a: str, path_b: str) -> bool:
    if not path_a:
        return True
    if path_a == "/" and not path_b:
        return True
    exact = not path_a.endswith("/")
    parts_a, parts_b = path_a.split("/"), path_b.split("/")
    if len(parts_a) > len(parts_b):
        return False
    if exact and len(parts_a) != len(parts_b):
        return False
    if not exact:
        parts_a.pop()
    return all(
        _decode_component(a) == _decode_component(b) for a, b in zip(parts_a, parts_b, strict=False)
    )
