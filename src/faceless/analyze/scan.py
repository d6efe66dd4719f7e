"""One pass over a script: the counts readability, keywords and the hook are built from.

Split from :mod:`faceless.analyze.analyzer`; see its module docstring for what a word
and a sentence end are.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from faceless.analyze.text import fold, is_keyword, key_of, syllables_of, token_patterns


@dataclass(frozen=True, slots=True)
class ScriptScan:
    words: re.Pattern[str]
    """The word pattern that is exact for this script, to find the hook in it."""
    word_count: int
    sentences: int
    first_sentence_words: int
    syllables: int
    keys: Collection[str]
    """Distinct keyword keys of the script's words, in order of first use."""
    keyword_counts: dict[str, int]


def _sentences(items: Sequence[str]) -> tuple[int, int]:
    """``(sentences, words in the first one)`` from tokens where ``""`` ends a sentence."""
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
    return sentences, first_sentence


def scan_script(text: str) -> ScriptScan:
    """Count the words, sentences, syllables and keywords of NFC-normalized ``text``."""
    # One regex pass over the lower-cased text: each item is a word, or "" for a sentence
    # end. Lower-casing first is safe: it never turns a word character into a non-word
    # character or back, so the words are those of the text as written. It can add a
    # combining mark (U+0130 becomes i + U+0307), so the pattern is chosen for the
    # lower-cased text; that choice is then exact for the original too.
    lowered = text.lower()
    tokenizer = token_patterns().for_text(lowered)
    items = tokenizer.tokens.findall(lowered)
    sentences, first_sentence = _sentences(items)

    # Per distinct word from here on.
    counts = Counter(filter(None, items))
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
    return ScriptScan(
        words=tokenizer.words,
        word_count=counts.total(),
        sentences=sentences,
        first_sentence_words=first_sentence,
        syllables=syllables,
        keys=keys.keys(),
        keyword_counts=keyword_counts,
    )
