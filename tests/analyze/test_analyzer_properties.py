"""Property tests: the analyzer never fails and its results are self-consistent."""

from __future__ import annotations

import math
import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from faceless.analyze.analyzer import (
    HOOK_WORDS,
    MAX_KEYWORDS,
    TITLE_TRUNCATION_CHARS,
    analyze,
    tokenize,
)
from faceless.analyze.stopwords import STOP_WORDS
from faceless.analyze.text import keyword_key, token_patterns

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that exercise the tokenizer's edges: apostrophes, hyphens, numbers, marks,
# sentence ends, paragraph breaks, scripts without spaces, case changes that add marks.
PIECES = [
    "rivers",
    "Rivers",
    "RIVERS",
    "canyon",
    "you",
    "Hey",
    "guys",
    "welcome",
    "back",
    "don't",
    "it\u2019s",
    "YouTube's",
    "well-known",
    "-",
    "'",
    "\u2019",
    "3.5",
    "1,000",
    "10:30",
    ".",
    "...",
    "?",
    "!",
    "\u2026",
    "\n",
    "\n\n",
    '"',
    ")",
    "caf\u00e9",
    "cafe\u0301",
    "\u0928\u092e\u0938\u094d\u0924\u0947",
    "\u4e2d\u6587",
    "\u0130stanbul",
    "\u03a3\u039f\u03a3",
    "\U0001f600",
    "\U00011013\U00011038",  # Brahmi letter + vowel sign (an astral mark)
    "_",
    "e.g.",
]
wordy = st.lists(st.sampled_from(PIECES), max_size=120).flatmap(
    lambda parts: st.lists(
        st.sampled_from([" ", "", "  ", "\t"]), min_size=len(parts), max_size=len(parts)
    ).map(lambda seps: "".join(p + s for p, s in zip(parts, seps, strict=True)))
)
scripts = st.one_of(st.text(max_size=400), wordy)
titles = st.text(min_size=1, max_size=100)
tags = st.lists(st.text(min_size=1, max_size=20), max_size=6)


@SETTINGS
@given(script=scripts, title=titles, description=st.text(max_size=80), tag_list=tags)
@example(script="", title="x", description="", tag_list=[])
@example(script="\u0130STANBUL \u0130stanbul.", title="\u0130", description="", tag_list=["i"])
def test_analysis_is_total_and_consistent(
    script: str, title: str, description: str, tag_list: list[str]
) -> None:
    result = analyze(title=title, script=script, description=description, tags=tag_list)
    words = tokenize(script)

    assert result == analyze(title=title, script=script, description=description, tags=tag_list)

    assert result.word_count == len(words)
    assert result.estimated_duration_seconds == round(len(words) * 0.4, 1)
    assert math.isfinite(result.reading_grade)
    assert result.reading_grade >= 0.0
    assert result.reading_grade == round(result.reading_grade, 1)
    if not words:
        assert result.reading_grade == 0.0

    keywords = result.keywords
    assert len(keywords) <= MAX_KEYWORDS
    assert sum(k.count for k in keywords) <= result.word_count
    assert len({k.term for k in keywords}) == len(keywords)
    assert list(keywords) == sorted(keywords, key=lambda k: (-k.count, k.term))
    lowered_keys = [keyword_key(t) for t in tokenize(script.lower())]
    for k in keywords:
        assert k.count >= 1
        assert k.term not in STOP_WORDS
        assert len(k.term) >= 3
        assert any(ch.isalpha() for ch in k.term)
        assert k.count == lowered_keys.count(k.term)

    assert result.hook.text in unicodedata.normalize("NFC", script)
    assert tokenize(result.hook.text) == words[:HOOK_WORDS]

    assert result.title.length == len(title)
    truncation = any("truncated" in i for i in result.title.issues)
    assert truncation == (len(title) > TITLE_TRUNCATION_CHARS)

    for text in (*result.title.issues, *result.hook.issues, *result.suggestions):
        assert isinstance(text, str)
        assert text


@SETTINGS
@given(st.text(alphabet=st.characters(exclude_categories=("Mn", "Mc", "Me", "Cs"))))
def test_fast_tokenizer_agrees_with_the_mark_aware_one(text: str) -> None:
    patterns = token_patterns()
    assert patterns.for_text(text) is patterns.plain
    assert patterns.plain.tokens.findall(text) == patterns.marked.tokens.findall(text)
    assert patterns.plain.words.findall(text) == patterns.marked.words.findall(text)


@SETTINGS
@given(st.one_of(st.text(), wordy))
def test_token_pass_and_word_pattern_agree_before_and_after_lower_casing(text: str) -> None:
    patterns = token_patterns()
    for tokenizer in (patterns.marked, patterns.for_text(text)):
        words = tokenizer.words.findall(text)
        assert [w for w in tokenizer.tokens.findall(text) if w] == words
    lowered = text.lower()
    assert len(patterns.for_text(lowered).words.findall(lowered)) == len(
        patterns.for_text(text).words.findall(text)
    )
