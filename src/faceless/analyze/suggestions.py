"""Suggestions: what to change first, from the findings on the script, title and hook.

Split from :mod:`faceless.analyze.analyzer`; its module docstring gives their order.
Each helper yields the suggestions of one part, so the order is that of the calls.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

from faceless.analyze.hook import HookFindings
from faceless.analyze.keywords import Keyword
from faceless.analyze.readability import WORDS_PER_MINUTE
from faceless.analyze.text import match_keys
from faceless.analyze.title import TITLE_TRUNCATION_CHARS, TitleFindings

MAX_READING_GRADE = 9.0
MIDROLL_MIN_SECONDS = 8 * 60
LONG_SCRIPT_SECONDS = 15 * 60
_MAX_LISTED_TAGS = 5
_SUGGESTED_TAGS = 5


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _quoted_list(items: Sequence[str], limit: int) -> str:
    shown = ", ".join(f'"{item}"' for item in items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def _vocabulary(keys: Iterable[str]) -> set[str]:
    vocabulary: set[str] = set()
    for key in keys:
        vocabulary.add(key)
        if "-" in key:
            vocabulary.update(key.split("-"))
    return vocabulary


def _tag_used(tag: str, vocabulary: set[str]) -> bool:
    keys = match_keys(tag)
    parts = {k for k in keys if "-" not in k}
    return bool(parts) and parts <= vocabulary


def _length(word_count: int, duration: float) -> Iterator[str]:
    if word_count == 0:
        yield "Write the script: duration, readability and hook checks need its text."
    elif duration < MIDROLL_MIN_SECONDS:
        words = MIDROLL_MIN_SECONDS // 60 * WORDS_PER_MINUTE
        yield (
            f"At about {_clock(duration)} the video is under 8 minutes; {words} words or more "
            f"(8+ minutes at {WORDS_PER_MINUTE} wpm) lets it carry mid-roll ads."
        )
    elif duration > LONG_SCRIPT_SECONDS:
        low = MIDROLL_MIN_SECONDS // 60 * WORDS_PER_MINUTE
        high = LONG_SCRIPT_SECONDS // 60 * WORDS_PER_MINUTE
        yield (
            f"At about {_clock(duration)} the script runs past 15 minutes; trim toward "
            f"8 to 15 minutes ({low}-{high} words) to hold retention."
        )


def _reading(grade: float) -> Iterator[str]:
    if grade > MAX_READING_GRADE:
        yield (
            f"Reading grade is {grade}; aim for grade 9 or below with shorter sentences and "
            "plainer words, since viewers hear each line only once."
        )


def _title(title: TitleFindings, top: str | None) -> Iterator[str]:
    if title.too_long:
        yield (
            f"Shorten the title to {TITLE_TRUNCATION_CHARS} characters or fewer (it has "
            f"{title.length}) so it is not truncated in search results."
        )
    elif title.too_short and not title.no_words:
        yield "Lengthen the title to 20-60 characters with a specific promise or result."
    if title.all_caps:
        yield "Write the title in sentence or title case instead of all capitals."
    if title.missing_keyword and top is not None:
        yield f'Work the top keyword "{top}" into the title.'


def _hook(hook: HookFindings) -> Iterator[str]:
    if hook.greeting is not None:
        yield (
            "Cut the greeting and open with the payoff: the first 15 seconds decide "
            "whether viewers stay."
        )
    if hook.long_first_sentence:
        yield "Split the opening sentence so the first line lands within 15 seconds."


def _tags(
    tags: Sequence[str], keywords: Sequence[Keyword], *, word_count: int, script_keys: Iterable[str]
) -> Iterator[str]:
    if not tags:
        if keywords:
            picks = [k.term for k in keywords[:_SUGGESTED_TAGS]]
            yield f"Add tags; the top keywords are a good start: {', '.join(picks)}."
        else:
            yield "Add tags that describe what the video covers."
    elif word_count:
        vocabulary = _vocabulary(script_keys)
        unused = [t for t in tags if not _tag_used(t, vocabulary)]
        if unused:
            yield (
                f"Tags not mentioned in the script: {_quoted_list(unused, _MAX_LISTED_TAGS)}; "
                "use tags for what the video actually covers."
            )


def _description(description: str, top: str | None) -> Iterator[str]:
    if not description.strip():
        if top is not None:
            yield f'Add a description that mentions "{top}" in its first sentence.'
        else:
            yield "Add a description; its first lines show in search results."
    elif top is not None and top not in match_keys(description):
        yield f'Mention the top keyword "{top}" in the description.'


def suggestions(
    *,
    word_count: int,
    duration: float,
    grade: float,
    keywords: Sequence[Keyword],
    title: TitleFindings,
    hook: HookFindings,
    description: str,
    tags: Sequence[str],
    script_keys: Collection[str],
) -> tuple[str, ...]:
    top = keywords[0].term if keywords else None
    return (
        *_length(word_count, duration),
        *_reading(grade),
        *_title(title, top),
        *_hook(hook),
        *_tags(tags, keywords, word_count=word_count, script_keys=script_keys),
        *_description(description, top),
    )
