"""The hook: the script's first 40 words, and whether they make viewers stay.

Split from :mod:`faceless.analyze.analyzer`; its module docstring lists the checks.
The findings are kept apart from their sentences because the suggestions act on them too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from faceless.analyze.readability import SECONDS_PER_WORD, WORDS_PER_MINUTE
from faceless.analyze.text import DIGIT_RE, QUESTION_RE, keyword_key, token_patterns, tokenize

HOOK_WORDS = 40
HOOK_SECONDS = 15
# Words that fit in HOOK_SECONDS of narration (37 at 150 wpm).
_HOOK_SENTENCE_MAX_WORDS = HOOK_SECONDS * WORDS_PER_MINUTE // 60

_GREETINGS = (
    "hi",
    "hey",
    "hello",
    "hi guys",
    "hey guys",
    "hello guys",
    "hi everyone",
    "hey everyone",
    "hello everyone",
    "hi there",
    "hey there",
    "hello there",
    "hello and welcome",
    "howdy",
    "greetings",
    "welcome back",
    "welcome to",
    "in this video",
    "in today's video",
    "what's up",
    "whats up",
    "today we",
    "today i",
    "before we start",
    "before we begin",
    "don't forget to subscribe",
)
_YOU_WORDS = frozenset(
    {"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'll", "you'd"}
)


@functools.cache
def greeting_keys() -> tuple[tuple[tuple[str, ...], str], ...]:
    # Longest phrase first, so "hello and welcome" beats "hello".
    keyed = [(tuple(keyword_key(t) for t in tokenize(g)), g) for g in _GREETINGS]
    return tuple(sorted(keyed, key=lambda kg: (-len(kg[0]), kg[1])))


def hook_text(text: str, words: re.Pattern[str]) -> str:
    """The script from its first word through word ``HOOK_WORDS`` and any closers."""
    start = end = -1
    for seen, match in enumerate(words.finditer(text), start=1):
        if seen == 1:
            start = match.start()
        end = match.end()
        if seen == HOOK_WORDS:
            break
    if start < 0:
        return ""
    closers = token_patterns().closers.match(text, end)
    return text[start : closers.end() if closers else end]


@dataclass(frozen=True, slots=True)
class HookFindings:
    empty: bool
    greeting: str | None
    no_you: bool
    no_question_or_number: bool
    first_sentence_words: int

    @property
    def long_first_sentence(self) -> bool:
        return self.first_sentence_words > _HOOK_SENTENCE_MAX_WORDS

    def issues(self) -> tuple[str, ...]:
        if self.empty:
            return ("Script is empty, so there is no hook to check.",)
        issues: list[str] = []
        if self.greeting is not None:
            issues.append(
                f'Hook opens with a generic greeting ("{self.greeting}") instead of the payoff.'
            )
        if self.no_you:
            issues.append('Hook never speaks to the viewer as "you".')
        if self.no_question_or_number:
            issues.append("Hook has neither a question nor a number to make its promise concrete.")
        if self.long_first_sentence:
            seconds = self.first_sentence_words * SECONDS_PER_WORD
            issues.append(
                f"First sentence runs {self.first_sentence_words} words (about {seconds:.0f} "
                f"seconds); the opening line should land within {HOOK_SECONDS} seconds."
            )
        return tuple(issues)


def check_hook(hook: str, first_sentence_words: int) -> HookFindings:
    tokens = tokenize(hook)
    if not tokens:
        return HookFindings(True, None, False, False, 0)
    keys = [keyword_key(t) for t in tokens]
    greeting = next(
        (g for phrase, g in greeting_keys() if tuple(keys[: len(phrase)]) == phrase), None
    )
    has_question = QUESTION_RE.search(hook) is not None
    has_number = DIGIT_RE.search(hook) is not None
    return HookFindings(
        empty=False,
        greeting=greeting,
        no_you=_YOU_WORDS.isdisjoint(keys),
        no_question_or_number=not (has_question or has_number),
        first_sentence_words=first_sentence_words,
    )
