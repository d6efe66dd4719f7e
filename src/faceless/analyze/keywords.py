"""The script's top keywords: the terms its title, tags and description should echo.

Split from :mod:`faceless.analyze.analyzer`; see its module docstring for what counts
as a keyword and how ties are ordered.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

MAX_KEYWORDS = 10


@dataclass(frozen=True, slots=True)
class Keyword:
    term: str
    count: int


def top_keywords(keyword_counts: Mapping[str, int]) -> tuple[Keyword, ...]:
    """The ``MAX_KEYWORDS`` most frequent terms, count descending, then term ascending."""
    return tuple(
        Keyword(term, n)
        for term, n in heapq.nsmallest(
            MAX_KEYWORDS, keyword_counts.items(), key=lambda kv: (-kv[1], kv[0])
        )
    )
