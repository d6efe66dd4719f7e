"""Field constraints for video metadata, shared by videos, analysis and scheduling.

Lengths count Unicode code points (Python ``len``), matching YouTube's limits.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

MAX_TAGS_TOTAL = 500


def _tags_total(tags: list[str]) -> list[str]:
    # YouTube counts one separator between tags towards the 500-character budget.
    total = sum(len(tag) for tag in tags) + max(len(tags) - 1, 0)
    if total > MAX_TAGS_TOTAL:
        raise ValueError(
            f"tags total {total} characters including separators; at most {MAX_TAGS_TOTAL}"
        )
    return tags


TitleStr = Annotated[str, StringConstraints(min_length=1, max_length=100)]
DescriptionStr = Annotated[str, StringConstraints(max_length=5000)]
ScriptStr = Annotated[str, StringConstraints(max_length=100_000)]
TagStr = Annotated[str, StringConstraints(min_length=1, max_length=100)]
TagList = Annotated[list[TagStr], Field(max_length=500), AfterValidator(_tags_total)]
