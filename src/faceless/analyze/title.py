"""Title checks: length against search truncation, shouting, clickbait, keywords.

Split from :mod:`faceless.analyze.analyzer`; its module docstring lists the checks.
The findings are kept apart from their sentences because the suggestions act on them too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from faceless.analyze.keywords import Keyword
from faceless.analyze.text import match_keys

TITLE_TRUNCATION_CHARS = 60
TITLE_SHORT_CHARS = 20
TITLE_CAPS_MIN_LETTERS = 5

_REPEATED_PUNCTUATION_RE = re.compile(r"[!?\uff01\uff1f]{2,}")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _is_all_caps(title: str) -> bool:
    upper = sum(ch.isupper() for ch in title)
    return upper >= TITLE_CAPS_MIN_LETTERS and not any(ch.islower() for ch in title)


@dataclass(frozen=True, slots=True)
class TitleFindings:
    length: int
    too_long: bool
    no_words: bool
    too_short: bool
    all_caps: bool
    repeated_punctuation: bool
    missing_keyword: bool

    def issues(self, keywords: Sequence[Keyword]) -> tuple[str, ...]:
        issues: list[str] = []
        if self.too_long:
            issues.append(
                f"Title is {self.length} characters; titles over {TITLE_TRUNCATION_CHARS} "
                "characters may be truncated (cut off) in search results."
            )
        if self.no_words:
            issues.append("Title has no words.")
        elif self.too_short:
            issues.append(
                f"Title is only {_plural(self.length, 'character')}; {TITLE_SHORT_CHARS} to "
                f"{TITLE_TRUNCATION_CHARS} characters give search more to match."
            )
        if self.all_caps:
            issues.append("Title is in all capital letters, which reads as shouting.")
        if self.repeated_punctuation:
            issues.append("Title repeats '!' or '?', which reads as clickbait.")
        if self.missing_keyword:
            top = ", ".join(f'"{k.term}"' for k in keywords[:3])
            issues.append(f"Title contains none of the script's top keywords ({top}).")
        return tuple(issues)


def check_title(title: str, keywords: Sequence[Keyword]) -> TitleFindings:
    length = len(title)
    keys = match_keys(title)
    return TitleFindings(
        length=length,
        too_long=length > TITLE_TRUNCATION_CHARS,
        no_words=not keys,
        too_short=length < TITLE_SHORT_CHARS,
        all_caps=_is_all_caps(title),
        repeated_punctuation=_REPEATED_PUNCTUATION_RE.search(title) is not None,
        missing_keyword=bool(keywords) and not any(k.term in keys for k in keywords),
    )
