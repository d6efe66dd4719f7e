"""Grouping timed words into captions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from faceless.speech import Segment
from faceless.speech.engines.base import Word
from faceless.speech.engines.captions import group_words, tidy_words


def words(*spec: tuple[float, float, str]) -> list[Word]:
    return [Word(start, end, text) for start, end, text in spec]


def test_breaks_on_pause() -> None:
    spoken = words((0.0, 0.4, "hello"), (0.5, 0.9, "there"), (1.5, 2.0, "again"))
    assert group_words(spoken, duration=3.0) == (
        Segment(0.0, 0.9, "hello there"),
        Segment(1.5, 2.0, "again"),
    )


def test_short_gap_does_not_break() -> None:
    spoken = words((0.0, 0.4, "hello"), (0.95, 1.2, "there"))
    assert group_words(spoken, duration=2.0) == (Segment(0.0, 1.2, "hello there"),)


def test_breaks_before_seven_seconds() -> None:
    spoken = [Word(i * 0.5, i * 0.5 + 0.45, "a") for i in range(20)]
    segments = group_words(spoken, duration=10.0)
    assert [s.end - s.start <= 7.0 for s in segments] == [True] * len(segments)
    assert len(segments) == 2
    assert segments[0] == Segment(0.0, 6.95, " ".join(["a"] * 14))


def test_breaks_at_42_characters() -> None:
    spoken = [Word(i * 0.3, i * 0.3 + 0.25, "word") for i in range(10)]
    segments = group_words(spoken, duration=5.0)
    # "word" * 8 joined by spaces is 39 characters; a ninth would make 44.
    assert [s.text.count("word") for s in segments] == [8, 2]
    assert all(len(s.text) <= 42 for s in segments)


def test_overlong_word_still_gets_a_caption() -> None:
    long_word = "x" * 50
    assert group_words(words((0.0, 1.0, long_word)), duration=1.0) == (
        Segment(0.0, 1.0, long_word),
    )


def test_clamps_overlaps_and_range() -> None:
    spoken = words((-0.2, 0.5, "one"), (0.4, 0.9, "two"), (2.5, 3.5, "three"), (4.0, 5.0, ""))
    assert group_words(spoken, duration=3.0) == (
        Segment(0.0, 0.9, "one two"),
        Segment(2.5, 3.0, "three"),
    )


def test_tidy_words_rounds_clamps_and_drops_blanks() -> None:
    spoken = words((-0.2, 0.5004, " one"), (0.4, 0.9, "two "), (1.0, 1.2, " "), (2.5, 3.5, "three"))
    assert tidy_words(spoken, duration=3.0) == (
        Word(0.0, 0.5, "one"),
        Word(0.5, 0.9, "two"),
        Word(2.5, 3.0, "three"),
    )


def test_no_words_no_segments() -> None:
    assert group_words([], duration=3.0) == ()


word_lists = st.lists(
    st.tuples(
        st.floats(min_value=-1, max_value=100, allow_nan=False),
        st.floats(min_value=0, max_value=3, allow_nan=False),
        st.text(alphabet="abcdefghij'", min_size=1, max_size=12),
    ),
    max_size=60,
)


@given(word_lists, st.floats(min_value=0, max_value=120, allow_nan=False))
def test_segments_are_ordered_disjoint_and_in_range(
    raw: list[tuple[float, float, str]], duration: float
) -> None:
    spoken = [Word(start, start + length, text) for start, length, text in raw]
    segments = group_words(spoken, duration=duration)
    previous_end = 0.0
    for segment in segments:
        assert previous_end <= segment.start <= segment.end <= duration
        assert len(segment.text) <= 42 or " " not in segment.text
        previous_end = segment.end
    # Every word survives, in order.
    assert " ".join(s.text for s in segments).split() == [text for _, _, text in raw]


@given(word_lists, st.floats(min_value=0, max_value=120, allow_nan=False))
def test_tidy_words_are_ordered_disjoint_in_range_and_stable(
    raw: list[tuple[float, float, str]], duration: float
) -> None:
    tidy = tidy_words(
        [Word(start, start + length, text) for start, length, text in raw], duration=duration
    )
    previous_end = 0.0
    for word in tidy:
        assert previous_end <= word.start <= word.end <= duration
        previous_end = word.end
    assert [word.text for word in tidy] == [text for _, _, text in raw]
    assert tidy_words(tidy, duration=duration) == tidy
    # Captions are cut from the same tidied words: each spans its first to its last word.
    segments = group_words(tidy, duration=duration)
    assert " ".join(s.text for s in segments) == " ".join(w.text for w in tidy)
    starts = {w.start for w in tidy}
    ends = {w.end for w in tidy}
    assert all(s.start in starts and s.end in ends for s in segments)
