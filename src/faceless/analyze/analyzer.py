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

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from faceless.analyze.hook import HOOK_SECONDS, HOOK_WORDS, check_hook, greeting_keys, hook_text
from faceless.analyze.keywords import MAX_KEYWORDS, Keyword, top_keywords
from faceless.analyze.readability import WORDS_PER_MINUTE, estimated_duration, flesch_kincaid
from faceless.analyze.scan import scan_script
from faceless.analyze.suggestions import suggestions
from faceless.analyze.text import count_syllables, token_patterns, tokenize
from faceless.analyze.title import TITLE_TRUNCATION_CHARS, check_title

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


def analyze(
    *, title: str, script: str, description: str = "", tags: Sequence[str] = ()
) -> Analysis:
    """Analyze a title and script; pure and deterministic. See the module docstring."""
    if isinstance(tags, str):
        raise TypeError("tags must be a sequence of strings, not a string")
    text = unicodedata.normalize("NFC", script)
    scan = scan_script(text)
    reading_grade = flesch_kincaid(scan.word_count, scan.sentences, scan.syllables)
    duration = estimated_duration(scan.word_count)
    keywords = top_keywords(scan.keyword_counts)
    title_findings = check_title(title, keywords)
    hook = hook_text(text, scan.words)
    hook_findings = check_hook(hook, scan.first_sentence_words)
    return Analysis(
        word_count=scan.word_count,
        estimated_duration_seconds=duration,
        reading_grade=reading_grade,
        keywords=keywords,
        title=TitleReport(length=title_findings.length, issues=title_findings.issues(keywords)),
        hook=HookReport(text=hook, issues=hook_findings.issues()),
        suggestions=suggestions(
            word_count=scan.word_count,
            duration=duration,
            grade=reading_grade,
            keywords=keywords,
            title=title_findings,
            hook=hook_findings,
            description=description,
            tags=tags,
            script_keys=scan.keys,
        ),
    )


def warm_up() -> None:
    """Build the lazily compiled patterns now (call once at start-up) rather than on the
    first analysis."""
    token_patterns()
    greeting_keys()
