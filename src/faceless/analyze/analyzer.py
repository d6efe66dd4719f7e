"""Instant, local, deterministic analysis of a video title and script.

``analyze()`` is a pure function: no I/O, clock, randomness or shared mutable state, so
the same input always gives the same ``Analysis``. One regular-expression pass over the
script yields words and sentence ends; everything else works on distinct words.

Choices the contract leaves open (API.md, "Analysis"):

* Text is NFC-normalized first. A word is a run of Unicode letters/digits (combining
  marks included, so Devanagari or decomposed accents stay whole) joined by internal
  apostrophes (``'``, U+2019, U+02BC) or hyphens: ``don't`` and ``well-known`` are one
  word. ``3.5``, ``1,000`` and ``10:30`` are one word. Scripts written without spaces
  (Chinese, Japanese, Thai) count one word per unspaced run.
* A sentence ends at a run of ``. ! ? …`` (and CJK, Arabic, Devanagari equivalents) not
  followed directly by a letter or digit, or at a blank line. Abbreviations such as
  ``e.g.`` do end a sentence; this is a heuristic.
* ``estimated_duration_seconds`` = words / 150 * 60 as a float with one decimal (exact:
  0.4 s per word).
* ``reading_grade`` is Flesch-Kincaid, computed exactly and rounded half up to one
  decimal, floored at 0.0 (the formula goes down to -3.4 for very simple text); 0.0 for
  an empty script. It has no upper bound: a long script without punctuation is one
  sentence and scores very high, which is the honest reading. Syllables use an English
  vowel-group heuristic; a number counts one syllable per digit.
* Keywords are lower-cased, typographic apostrophes folded to ``'``, a possessive ``'s``
  dropped (``youtube's`` counts as ``youtube``); stop words, terms shorter than 3 code
  points and terms without a letter are excluded. Order: count descending, then term
  ascending (code point order). At most 10.
* The hook is the script from its first word to the end of its 40th word (or last word),
  plus any closing punctuation or quotes right after it.
* Title issues: over 60 code points (truncation), under 20, no words, all capitals (5+
  upper-case letters and no lower-case), repeated ``!``/``?``, none of the top keywords.
* Hook issues: empty script; opens with a generic greeting ("hey guys", "welcome back",
  "in this video", ...); no "you"; neither a question mark nor a digit; first sentence
  longer than 15 s (38+ words).
* Suggestions, in this order: length outside 8-15 minutes (1,200-2,250 words; mid-roll
  ads need 8), grade above 9, title length, capitals, top keyword missing from the title,
  greeting, long first sentence, tags (none: the top keywords; else those absent from
  the script), description (empty, or without the top keyword).
* Issues and suggestions are fixed English sentences built only from the input.
"""

from __future__ import annotations

import functools
import heapq
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from faceless.analyze.text import (
    DIGIT_RE,
    QUESTION_RE,
    count_syllables,
    fold,
    is_keyword,
    key_of,
    keyword_key,
    match_keys,
    syllables_of,
    token_patterns,
    tokenize,
)

__all__ = [
    "HOOK_SECONDS",
    "HOOK_WORDS",
    "MAX_KEYWORDS",
    "TITLE_TRUNCATION_CHARS",
    "WORDS_PER_MINUTE",
    "Analysis",
    "HookReport",
    "Keyword",
    "TitleReport",
    "analyze",
    "count_syllables",
    "tokenize",
    "warm_up",
]

WORDS_PER_MINUTE = 150
HOOK_WORDS = 40
HOOK_SECONDS = 15
TITLE_TRUNCATION_CHARS = 60
TITLE_SHORT_CHARS = 20
TITLE_CAPS_MIN_LETTERS = 5
MAX_KEYWORDS = 10
MAX_READING_GRADE = 9.0
MIDROLL_MIN_SECONDS = 8 * 60
LONG_SCRIPT_SECONDS = 15 * 60
_SECONDS_PER_WORD = 60 / WORDS_PER_MINUTE
# Words that fit in HOOK_SECONDS of narration (37 at 150 wpm).
_HOOK_SENTENCE_MAX_WORDS = HOOK_SECONDS * WORDS_PER_MINUTE // 60
_MAX_LISTED_TAGS = 5
_SUGGESTED_TAGS = 5


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Keyword:
    term: str
    count: int


@dataclass(frozen=True, slots=True)
class TitleReport:
    length: int
    """Unicode code points of the title as given."""
    issues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HookReport:
    text: str
    issues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    word_count: int
    estimated_duration_seconds: float
    reading_grade: float
    keywords: tuple[Keyword, ...]
    title: TitleReport
    hook: HookReport
    suggestions: tuple[str, ...]


_REPEATED_PUNCTUATION_RE = re.compile(r"[!?\uff01\uff1f]{2,}")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _is_all_caps(title: str) -> bool:
    upper = sum(ch.isupper() for ch in title)
    return upper >= TITLE_CAPS_MIN_LETTERS and not any(ch.islower() for ch in title)


@dataclass(frozen=True, slots=True)
class _TitleFindings:
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


def _title_findings(title: str, keywords: Sequence[Keyword]) -> _TitleFindings:
    length = len(title)
    keys = match_keys(title)
    return _TitleFindings(
        length=length,
        too_long=length > TITLE_TRUNCATION_CHARS,
        no_words=not keys,
        too_short=length < TITLE_SHORT_CHARS,
        all_caps=_is_all_caps(title),
        repeated_punctuation=_REPEATED_PUNCTUATION_RE.search(title) is not None,
        missing_keyword=bool(keywords) and not any(k.term in keys for k in keywords),
    )


# --- hook ------------------------------------------------------------------------------

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
def _greeting_keys() -> tuple[tuple[tuple[str, ...], str], ...]:
    # Longest phrase first, so "hello and welcome" beats "hello".
    keyed = [(tuple(keyword_key(t) for t in tokenize(g)), g) for g in _GREETINGS]
    return tuple(sorted(keyed, key=lambda kg: (-len(kg[0]), kg[1])))


def _hook_text(text: str, words: re.Pattern[str]) -> str:
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
class _HookFindings:
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
            seconds = self.first_sentence_words * _SECONDS_PER_WORD
            issues.append(
                f"First sentence runs {self.first_sentence_words} words (about {seconds:.0f} "
                f"seconds); the opening line should land within {HOOK_SECONDS} seconds."
            )
        return tuple(issues)


def _hook_findings(hook: str, first_sentence_words: int) -> _HookFindings:
    tokens = tokenize(hook)
    if not tokens:
        return _HookFindings(True, None, False, False, 0)
    keys = [keyword_key(t) for t in tokens]
    greeting = next(
        (g for phrase, g in _greeting_keys() if tuple(keys[: len(phrase)]) == phrase), None
    )
    has_question = QUESTION_RE.search(hook) is not None
    has_number = DIGIT_RE.search(hook) is not None
    return _HookFindings(
        empty=False,
        greeting=greeting,
        no_you=_YOU_WORDS.isdisjoint(keys),
        no_question_or_number=not (has_question or has_number),
        first_sentence_words=first_sentence_words,
    )


# --- suggestions -----------------------------------------------------------------------


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _quoted_list(items: Sequence[str], limit: int) -> str:
    shown = ", ".join(f'"{item}"' for item in items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def _suggestions(
    *,
    word_count: int,
    duration: float,
    grade: float,
    keywords: Sequence[Keyword],
    title: _TitleFindings,
    hook: _HookFindings,
    description: str,
    tags: Sequence[str],
    script_keys: Collection[str],
) -> tuple[str, ...]:
    out: list[str] = []
    top = keywords[0].term if keywords else None
    if word_count == 0:
        out.append("Write the script: duration, readability and hook checks need its text.")
    elif duration < MIDROLL_MIN_SECONDS:
        words = MIDROLL_MIN_SECONDS // 60 * WORDS_PER_MINUTE
        out.append(
            f"At about {_clock(duration)} the video is under 8 minutes; {words} words or more "
            f"(8+ minutes at {WORDS_PER_MINUTE} wpm) lets it carry mid-roll ads."
        )
    elif duration > LONG_SCRIPT_SECONDS:
        low = MIDROLL_MIN_SECONDS // 60 * WORDS_PER_MINUTE
        high = LONG_SCRIPT_SECONDS // 60 * WORDS_PER_MINUTE
        out.append(
            f"At about {_clock(duration)} the script runs past 15 minutes; trim toward "
            f"8 to 15 minutes ({low}-{high} words) to hold retention."
        )
    if grade > MAX_READING_GRADE:
        out.append(
            f"Reading grade is {grade}; aim for grade 9 or below with shorter sentences and "
            "plainer words, since viewers hear each line only once."
        )
    if title.too_long:
        out.append(
            f"Shorten the title to {TITLE_TRUNCATION_CHARS} characters or fewer (it has "
            f"{title.length}) so it is not truncated in search results."
        )
    elif title.too_short and not title.no_words:
        out.append("Lengthen the title to 20-60 characters with a specific promise or result.")
    if title.all_caps:
        out.append("Write the title in sentence or title case instead of all capitals.")
    if title.missing_keyword and top is not None:
        out.append(f'Work the top keyword "{top}" into the title.')
    if hook.greeting is not None:
        out.append(
            "Cut the greeting and open with the payoff: the first 15 seconds decide "
            "whether viewers stay."
        )
    if hook.long_first_sentence:
        out.append("Split the opening sentence so the first line lands within 15 seconds.")
    if not tags:
        if keywords:
            picks = [k.term for k in keywords[:_SUGGESTED_TAGS]]
            out.append(f"Add tags; the top keywords are a good start: {', '.join(picks)}.")
        else:
            out.append("Add tags that describe what the video covers.")
    elif word_count:
        vocabulary = _vocabulary(script_keys)
        unused = [t for t in tags if not _tag_used(t, vocabulary)]
        if unused:
            out.append(
                f"Tags not mentioned in the script: {_quoted_list(unused, _MAX_LISTED_TAGS)}; "
                "use tags for what the video actually covers."
            )
    if not description.strip():
        if top is not None:
            out.append(f'Add a description that mentions "{top}" in its first sentence.')
        else:
            out.append("Add a description; its first lines show in search results.")
    elif top is not None and top not in match_keys(description):
        out.append(f'Mention the top keyword "{top}" in the description.')
    return tuple(out)


def _tag_used(tag: str, vocabulary: set[str]) -> bool:
    keys = match_keys(tag)
    parts = {k for k in keys if "-" not in k}
    return bool(parts) and parts <= vocabulary


# --- the analysis ----------------------------------------------------------------------


def _vocabulary(keys: Iterable[str]) -> set[str]:
    vocabulary: set[str] = set()
    for key in keys:
        vocabulary.add(key)
        if "-" in key:
            vocabulary.update(key.split("-"))
    return vocabulary


def _flesch_kincaid(words: int, sentences: int, syllables: int) -> float:
    """0.39 * words/sentences + 11.8 * syllables/words - 15.59, to one decimal rounded half
    up, floored at 0.0. Computed in integers so that ties (4.45) round the same way
    everywhere rather than by the accident of float error."""
    if not words:
        return 0.0
    # 100 * sentences * words * grade, exactly.
    num = 39 * words * words + 1180 * syllables * sentences - 1559 * sentences * words
    den = 100 * sentences * words
    tenths = (20 * num + den) // (2 * den)  # floor(10 * grade + 1/2)
    return max(tenths, 0) / 10


def analyze(
    *, title: str, script: str, description: str = "", tags: Sequence[str] = ()
) -> Analysis:
    """Analyze a title and script; pure and deterministic. See the module docstring."""
    if isinstance(tags, str):
        raise TypeError("tags must be a sequence of strings, not a string")
    text = unicodedata.normalize("NFC", script)

    # One regex pass over the lower-cased text: each item is a word, or "" for a sentence
    # end. Lower-casing first is safe: it never turns a word character into a non-word
    # character or back, so the words are those of the text as written. It can add a
    # combining mark (U+0130 becomes i + U+0307), so the pattern is chosen for the
    # lower-cased text; that choice is then exact for the original too.
    lowered = text.lower()
    tokenizer = token_patterns().for_text(lowered)
    items = tokenizer.tokens.findall(lowered)
    sentences = 0
    run = 0
    first_sentence = 0
    for item in items:
        if item:
            run += 1
        elif run:
            sentences += 1
            first_sentence = first_sentence or run
            run = 0
    if run:
        sentences += 1
        first_sentence = first_sentence or run

    # Per distinct word from here on.
    counts = Counter(filter(None, items))
    word_count = counts.total()
    syllables = 0
    keys: dict[str, None] = {}
    keyword_counts: dict[str, int] = {}
    for low, n in counts.items():
        norm = fold(low)
        syllables += syllables_of(norm) * n
        key = key_of(norm)
        keys[key] = None
        if is_keyword(key):
            keyword_counts[key] = keyword_counts.get(key, 0) + n

    reading_grade = _flesch_kincaid(word_count, sentences, syllables)
    # words / wpm * 60 in tenths of a second, rounded half up in integers (exact).
    duration = (word_count * 1200 + WORDS_PER_MINUTE) // (2 * WORDS_PER_MINUTE) / 10
    keywords = tuple(
        Keyword(term, n)
        for term, n in heapq.nsmallest(
            MAX_KEYWORDS, keyword_counts.items(), key=lambda kv: (-kv[1], kv[0])
        )
    )

    title_findings = _title_findings(title, keywords)
    hook_text = _hook_text(text, tokenizer.words)
    hook_findings = _hook_findings(hook_text, first_sentence)
    return Analysis(
        word_count=word_count,
        estimated_duration_seconds=duration,
        reading_grade=reading_grade,
        keywords=keywords,
        title=TitleReport(length=title_findings.length, issues=title_findings.issues(keywords)),
        hook=HookReport(text=hook_text, issues=hook_findings.issues()),
        suggestions=_suggestions(
            word_count=word_count,
            duration=duration,
            grade=reading_grade,
            keywords=keywords,
            title=title_findings,
            hook=hook_findings,
            description=description,
            tags=tags,
            script_keys=keys.keys(),
        ),
    )


def warm_up() -> None:
    """Build the lazily compiled patterns now (call once at start-up) rather than on the
    first analysis."""
    token_patterns()
    _greeting_keys()
