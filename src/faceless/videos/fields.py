"""Field constraints for video metadata, shared by videos, analysis and scheduling.

Lengths count Unicode code points (Python ``len``), matching YouTube's limits: title
1-100, description up to 5,000, script up to 100,000, each tag 1-100 and all tags at
most 500 counting one separator between tags. Descriptions and scripts are the
multi-line fields: line breaks and tabs are allowed there, and nowhere else (the
request models' control-character rule, faceless.schemas).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from faceless.schemas import MULTILINE

TITLE_MAX = 100
DESCRIPTION_MAX = 5000
SCRIPT_MAX = 100_000
TAG_MAX = 100
TAGS_MAX_TOTAL = 500

TitleStr = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX)]
"""A video title: 1-100 code points."""
DescriptionStr = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX), MULTILINE]
"""A video description: at most 5,000 code points, line breaks and tabs allowed."""
ScriptStr = Annotated[str, StringConstraints(max_length=SCRIPT_MAX), MULTILINE]
"""A video script: at most 100,000 code points, line breaks and tabs allowed."""
TagStr = Annotated[str, StringConstraints(min_length=1, max_length=TAG_MAX)]
"""One tag: 1-100 code points."""


def tags_total_length(tags: list[str]) -> int:
    """Characters the tags take up in total, counting one separator between tags."""
    return sum(len(tag) for tag in tags) + max(len(tags) - 1, 0)


def _check_tags_total(tags: list[str]) -> list[str]:
    total = tags_total_length(tags)
    if total > TAGS_MAX_TOTAL:
        raise PydanticCustomError(
            "tags_too_long",
            "tags take {total} characters counting one separator between tags; "
            "at most {limit} are allowed",
            {"total": total, "limit": TAGS_MAX_TOTAL},
        )
    return tags


# 500 characters with one separator between tags fit at most 250 one-character tags;
# capping the count up front stops a body of thousands of items early.
TAGS_MAX_COUNT = 250

TagList = Annotated[
    list[TagStr],
    AfterValidator(_check_tags_total),
    Field(
        max_length=TAGS_MAX_COUNT,
        json_schema_extra={
            "description": (
                f"Each tag 1-{TAG_MAX} characters; at most {TAGS_MAX_TOTAL} characters in "
                "total, counting one separator between tags."
            )
        },
    ),
]
"""Video tags: each 1-100 code points, at most 500 in total with one separator each."""


CATEGORY_ID_MAX = 8
CategoryId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=CATEGORY_ID_MAX, pattern=r"^[0-9]+$"),
    Field(description='A YouTube video category id, digits (default "22", People & Blogs).'),
]
"""A YouTube video category id: 1-8 ASCII digits."""

LANGUAGE_TAG_MAX = 35
# RFC 5646 (BCP 47) language tags, the well-formed syntax of section 2.1: language
# (with extended subtags), script, region, variants, extensions, private use; or a
# private-use tag alone; or one of the grandfathered tags. Case-insensitive.
_ALNUM = "[a-z0-9]"
_LANGTAG = (
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # language (+ extlang)
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9a-wy-z](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-x(?:-{_ALNUM}{{1,8}})+)?"  # private use
)
_PRIVATE_USE = rf"x(?:-{_ALNUM}{{1,8}})+"
_GRANDFATHERED = (
    "en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo"
    "|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de"
    "|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
)
_BCP47 = re.compile(rf"^(?:{_LANGTAG}|{_PRIVATE_USE}|{_GRANDFATHERED})$", re.IGNORECASE)


def _check_language_tag(tag: str) -> str:
    if tag and not _BCP47.match(tag):
        raise PydanticCustomError(
            "language_tag", "must be a BCP 47 language tag such as en, en-US or zh-Hant"
        )
    return tag


LanguageTag = Annotated[
    str,
    StringConstraints(max_length=LANGUAGE_TAG_MAX),
    AfterValidator(_check_language_tag),
    Field(
        description=(
            'A BCP 47 language tag (e.g. "en", "en-US", "zh-Hant"), or "" to clear it (then null).'
        )
    ),
]
"""A BCP 47 language tag (RFC 5646 well-formed), or ``""`` meaning "none"."""
