"""Text primitives for the analyzer: tokens, sentence ends, keyword keys, syllables.

Split from :mod:`faceless.analyze.analyzer`, whose sibling modules hold the checks; see
its module docstring for the tokenization rules the contract leaves open.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from faceless.analyze.stopwords import STOP_WORDS

KEYWORD_MIN_CHARS = 3

_APOSTROPHES = "'\u2019\u02bc"
_HYPHENS = "\\-\u2010\u2011"
# Full stop, ! ? and ellipsis, double !/? forms, CJK full stops and marks, Arabic question
# mark, Devanagari danda and double danda.
_SENTENCE_ENDS = ".!?\u2026\u203c\u2047\u2048\u2049\u3002\uff01\uff1f\uff0e\uff61\u061f\u0964\u0965"
# Closing quotes and brackets that stay with the hook's last word (ASCII, typographic, CJK).
_CLOSERS = "\"'\u2019\u201d)\\]\u00bb\u300d\u300f"
_FOLD = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-"})
_FOLDABLE_RE = re.compile("[\u2019\u02bc\u2010\u2011]")
QUESTION_RE = re.compile("[?\uff1f\u00bf\u061f\u2047\u2048\u2049]")
_LETTER_RE = re.compile(r"[^\W\d_]")  # see _has_letter
DIGIT_RE = re.compile(r"\d")


def _mark_class(*spans: range) -> str:
    """A character-class body matching the combining marks (category M*) in ``spans``."""
    ranges: list[str] = []
    start = prev = -1
    for cp in (cp for span in spans for cp in span):
        if unicodedata.category(chr(cp))[0] == "M":
            if start < 0:
                start = cp
            elif cp != prev + 1:
                ranges.append(f"{chr(start)}-{chr(prev)}")
                start = cp
            prev = cp
    if start >= 0:
        ranges.append(f"{chr(start)}-{chr(prev)}")
    return "".join(ranges)


@dataclass(frozen=True, slots=True)
class _Tokenizer:
    tokens: re.Pattern[str]
    """``findall`` yields each word, or ``""`` for a sentence end."""
    words: re.Pattern[str]
    """Words only."""

    @classmethod
    def build(cls, marks: str | None) -> _Tokenizer:
        # A letter/digit run, then any number of (marks, letters/digits) runs; unrolled
        # and possessive so the engine never backtracks.
        part = rf"[^\W_]++(?:{marks}++[^\W_]*+)*+" if marks else r"[^\W_]++"
        word = rf"\d++(?:[.,:]\d++)++|{part}(?:[{_APOSTROPHES}{_HYPHENS}]{part})*+"
        end = rf"[{re.escape(_SENTENCE_ENDS)}]++(?![^\W_])|\n[^\S\n]*+\n"
        return cls(tokens=re.compile(rf"({word})|{end}"), words=re.compile(word))


@dataclass(frozen=True, slots=True)
class _Patterns:
    marked: _Tokenizer
    plain: _Tokenizer
    """Without combining marks: twice as fast, and exact for the (usual) text with none."""
    bmp_marks: re.Pattern[str]
    astral: re.Pattern[str]
    astral_marks: re.Pattern[str]
    closers: re.Pattern[str]

    def for_text(self, text: str) -> _Tokenizer:
        """The fastest tokenizer that is exact for ``text``."""
        if self.bmp_marks.search(text) or (
            self.astral.search(text) and self.astral_marks.search(text)
        ):
            return self.marked
        return self.plain


@functools.cache
def token_patterns() -> _Patterns:
    # Built on first use (about 40 ms: the Unicode scan for marks and the compiles).
    # Marks below U+10000 compile to a constant-time bitmap; astral ones are a list of
    # ranges scanned one by one, so they are only tried on astral characters.
    bmp = _mark_class(range(0x300, 0x10000))
    astral = _mark_class(range(0x10000, 0x1E950), range(0xE0100, 0xE01F0))
    return _Patterns(
        marked=_Tokenizer.build(rf"(?:[{bmp}]|(?=[\U00010000-\U0010ffff])[{astral}])"),
        plain=_Tokenizer.build(None),
        bmp_marks=re.compile(f"[{bmp}]"),
        # Astral marks all lie below U+1F000 (where emoji start) or among the variation
        # selectors; emoji-heavy text never pays for the slow astral scan.
        astral=re.compile("[\U00010000-\U0001efff\U000e0100-\U000e01ef]"),
        astral_marks=re.compile(f"[{astral}]"),
        closers=re.compile(rf"[{re.escape(_SENTENCE_ENDS)}{_CLOSERS}]*+"),
    )


def tokenize(text: str) -> list[str]:
    """The words of ``text`` (after NFC normalization), in order, as written."""
    text = unicodedata.normalize("NFC", text)
    return token_patterns().for_text(text).words.findall(text)


def fold(low: str) -> str:
    """Typographic apostrophes and hyphens to ASCII (``str.translate`` is slow: skip it
    for ASCII words)."""
    if low.isascii() or _FOLDABLE_RE.search(low) is None:
        return low
    return low.translate(_FOLD)


def key_of(norm: str) -> str:
    """Drop a possessive ``'s`` from a folded lower-case word, unless it is a stop word
    (``it's``, ``that's``)."""
    if norm.endswith("'s") and norm not in STOP_WORDS:
        return norm[:-2]
    return norm


def keyword_key(token: str) -> str:
    """The comparison form of a word: lower-case, folded apostrophes, no possessive 's."""
    return key_of(fold(token.lower()))


def match_keys(text: str) -> set[str]:
    """Keys of the words of ``text`` plus the parts of hyphenated ones."""
    keys: set[str] = set()
    for token in tokenize(text):
        key = keyword_key(token)
        keys.add(key)
        if "-" in key:
            keys.update(p for p in key.split("-") if p)
    return keys


def _has_letter(key: str) -> bool:
    if key.isalpha():
        return True
    # [^\W\d_] finds letters but also non-decimal numerics (superscripts, Roman numerals).
    found = _LETTER_RE.search(key)
    if found is None:
        return False
    return found.group().isalpha() or any(ch.isalpha() for ch in key[found.end() :])


def is_keyword(key: str) -> bool:
    return len(key) >= KEYWORD_MIN_CHARS and key not in STOP_WORDS and _has_letter(key)


# --- syllables -------------------------------------------------------------------------

_VOWELS = frozenset(
    "aeiouy\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e8\u00e9\u00ea\u00eb"
    "\u00ec\u00ed\u00ee\u00ef\u00f2\u00f3\u00f4\u00f5\u00f6\u00f8\u00f9\u00fa"
    "\u00fb\u00fc\u00fd\u00ff\u0153\u0101\u0113\u012b\u014d\u016b"
)
_VOWEL_RUN_RE = re.compile(f"[{''.join(sorted(_VOWELS))}]+")


def _part_syllables(part: str) -> int:
    runs = len(_VOWEL_RUN_RE.findall(part))
    if runs == 0:
        # A number reads as about one syllable per digit; other scripts get one a word.
        return len(DIGIT_RE.findall(part)) or (1 if part else 0)
    if runs > 1:
        if part[-1] == "e" and part[-2] not in _VOWELS:
            # Silent final e (make, while) but not consonant + le (table, little).
            if not (part[-2] == "l" and part[-3] not in _VOWELS):
                runs -= 1
        elif part.endswith("ed") and part[-3] not in _VOWELS and part[-3] not in "td":
            runs -= 1  # jumped, but wanted, needed
        elif (
            part.endswith("es")
            and part[-3] not in _VOWELS
            and part[-3] not in "sxzcg"
            and not part.endswith(("ches", "shes"))
            and not (part[-3] == "l" and part[-4] not in _VOWELS)
        ):
            runs -= 1  # makes, times, but boxes, watches, tables
    return runs


def syllables_of(norm: str) -> int:
    """Syllables of a folded lower-case word (see ``count_syllables``)."""
    if norm.isalpha():  # the common case: no apostrophe, hyphen or digit
        return _part_syllables(norm) or 1
    if "-" not in norm:
        return _part_syllables(norm.replace("'", "")) or 1
    total = sum(_part_syllables(p) for p in norm.replace("'", "").split("-"))
    return max(total, 1)


def count_syllables(word: str) -> int:
    """Heuristic English syllable count of one word (at least 1 for a non-empty word)."""
    return syllables_of(fold(word.lower())) if word else 0


# --- title -----------------------------------------------------------------------------
