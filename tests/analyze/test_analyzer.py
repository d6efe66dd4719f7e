"""The pure analyzer: exact values on small hand-computed texts and every check."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from faceless.analyze.analyzer import (
    HOOK_WORDS,
    Analysis,
    Keyword,
    analyze,
    count_syllables,
    tokenize,
)
from faceless.analyze.stopwords import STOP_WORDS

GOOD_TITLE = "Why computers make hard problems simpler"


def run(
    script: str, *, title: str = GOOD_TITLE, description: str = "", tags: Sequence[str] = ()
) -> Analysis:
    return analyze(title=title, script=script, description=description, tags=tags)


def numbered(n: int, end: str = ".") -> str:
    return " ".join(f"w{i}" for i in range(1, n + 1)) + end


def issue_with(issues: tuple[str, ...], fragment: str) -> str | None:
    return next((i for i in issues if fragment in i), None)


# --- hand-computed values --------------------------------------------------------------


def test_hand_computed_text() -> None:
    # understanding 4, television 4, requires 2, patience 2 | computers 3, make 1,
    # complicated 4, problems 2, simpler 2: 9 words, 2 sentences, 24 syllables.
    # FK = 0.39 * 9/2 + 11.8 * 24/9 - 15.59 = 17.6316...
    result = run(
        "Understanding television requires patience. Computers make complicated problems simpler."
    )
    assert result.word_count == 9
    assert result.estimated_duration_seconds == 3.6  # 9 words / 150 wpm * 60
    assert result.reading_grade == 17.6
    assert [k.term for k in result.keywords] == [
        "complicated",
        "computers",
        "make",
        "patience",
        "problems",
        "requires",
        "simpler",
        "television",
        "understanding",
    ]
    assert all(k.count == 1 for k in result.keywords)


def test_simple_text_grade_is_floored_at_zero() -> None:
    # 12 one-syllable words in 2 sentences: FK = 0.39 * 6 + 11.8 - 15.59 = -1.45.
    result = run("The cat sat on the mat. The dog ran to the park!")
    assert result.word_count == 12
    assert result.estimated_duration_seconds == 4.8
    assert result.reading_grade == 0.0
    assert [k.term for k in result.keywords] == ["cat", "dog", "mat", "park", "ran", "sat"]


def test_sentence_count_drives_the_grade_and_ties_round_half_up() -> None:
    # cats 1, watch 1, television 4, with 1, their 1, friends 1: 9 syllables, 6 words.
    # One sentence: 0.39 * 6 + 11.8 * 1.5 - 15.59 = 4.45 exactly, which rounds up (a float
    # computation lands on either side of the tie depending on operation order).
    assert run("Cats watch television with their friends").reading_grade == 4.5
    # Three sentences: 0.39 * 2 + 17.7 - 15.59 = 2.89.
    assert run("Cats watch. Television with. Their friends.").reading_grade == 2.9


def expected_grade(words: int, sentences: int, syllables: int) -> float:
    """The formula in decimal arithmetic, rounded half up, floored at zero."""
    from decimal import ROUND_HALF_UP, Decimal

    grade = (
        Decimal("0.39") * Decimal(words) / Decimal(sentences)
        + Decimal("11.8") * Decimal(syllables) / Decimal(words)
        - Decimal("15.59")
    )
    return max(0.0, float(grade.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)))


@pytest.mark.parametrize(
    ("script", "sentences"),
    [
        ("Version 2.0 is out. Visit example.com today", 2),  # no break inside 2.0, .com
        ("Wait... what?! Really", 3),  # a run of enders is one end
        ("Television programming\n \nComputer animation", 2),  # a blank line ends one
        ("Television programming\ncomputer animation", 1),  # a single line break does not
        ("No punctuation at all", 1),
    ],
)
def test_sentence_detection(script: str, sentences: int) -> None:
    words = tokenize(script)
    syllables = sum(count_syllables(w) for w in words)
    grade = run(script).reading_grade
    assert grade == expected_grade(len(words), sentences, syllables)
    # The texts are chosen so that one sentence more or less changes the grade.
    assert grade not in {
        expected_grade(len(words), n, syllables) for n in (sentences - 1, sentences + 1) if n
    }


def test_duration_is_150_words_per_minute() -> None:
    assert run("").estimated_duration_seconds == 0
    assert run("word").estimated_duration_seconds == 0.4
    assert run("word " * 150).estimated_duration_seconds == 60.0
    assert run("word " * 1201).estimated_duration_seconds == 480.4


# --- words -----------------------------------------------------------------------------


def test_tokenization_handles_apostrophes_hyphens_and_numbers() -> None:
    text = "Don't stop \u2014 it's well-known: 3.5 apples, 1,000 cats at 10:30 (rock 'n' roll)."
    assert tokenize(text) == [
        "Don't",
        "stop",
        "it's",
        "well-known",
        "3.5",
        "apples",
        "1,000",
        "cats",
        "at",
        "10:30",
        "rock",
        "n",
        "roll",
    ]


def test_tokenization_handles_unicode_letters() -> None:
    assert tokenize("na\u00efve caf\u00e9 \u00dcber-cool don\u2019t") == [
        "na\u00efve",
        "caf\u00e9",
        "\u00dcber-cool",
        "don\u2019t",
    ]
    # Decomposed accents are normalized (NFC), so they never split a word.
    assert tokenize("cafe\u0301 ole\u0301") == ["caf\u00e9", "ol\u00e9"]
    # Devanagari vowel signs and viramas are combining marks inside the word.
    assert tokenize(
        "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"
    ) == [
        "\u0928\u092e\u0938\u094d\u0924\u0947",
        "\u0926\u0941\u0928\u093f\u092f\u093e",
    ]
    # Emoji, symbols and underscores are not words.
    assert tokenize("\U0001f600 + snake_case = \u2764") == ["snake", "case"]


def test_word_count_survives_lower_casing_that_adds_a_mark() -> None:
    # U+0130 lower-cases to "i" + U+0307 (a combining mark).
    result = run("\u0130stanbul \u0130STANBUL is big.")
    assert result.word_count == 4
    assert result.keywords[0] == Keyword("i\u0307stanbul", 2)


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("the", 1),
        ("make", 1),
        ("while", 1),
        ("table", 2),
        ("little", 2),
        ("people", 2),
        ("jumped", 1),
        ("wanted", 2),
        ("played", 1),
        ("makes", 1),
        ("boxes", 2),
        ("watches", 2),
        ("tables", 2),
        ("free", 1),
        ("agree", 2),
        ("don't", 1),
        ("you're", 1),
        ("well-known", 2),
        ("television", 4),
        ("2024", 4),
        ("", 0),
    ],
)
def test_syllable_heuristic(word: str, syllables: int) -> None:
    assert count_syllables(word) == syllables


# --- keywords --------------------------------------------------------------------------


def test_keywords_order_by_count_then_term() -> None:
    result = run("Cats chase mice. Cats sleep. Dogs chase cats. Birds sing.")
    assert result.keywords == (
        Keyword("cats", 3),
        Keyword("chase", 2),
        Keyword("birds", 1),
        Keyword("dogs", 1),
        Keyword("mice", 1),
        Keyword("sing", 1),
        Keyword("sleep", 1),
    )


def test_at_most_ten_keywords() -> None:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    words += ["golf", "hotel", "india", "juliet", "kilo", "lima"]
    result = run(" ".join(words) + " lima.")
    assert len(result.keywords) == 10
    assert result.keywords[0] == Keyword("lima", 2)
    assert [k.term for k in result.keywords[1:]] == words[:9]


def test_stop_words_short_terms_and_numbers_are_not_keywords() -> None:
    result = run("You and I don't think it\u2019s the end of the world. AI is an ox in 2024.")
    assert [k.term for k in result.keywords] == ["end", "think", "world"]
    assert result.word_count == 17


def test_terms_without_a_letter_are_not_keywords() -> None:
    # Superscript digits and Roman numerals are word characters but not letters.
    result = run("\u00b2\u00b2\u00b2 \u216b\u216b\u216b 1-2-3 x\u00b2y canyon")
    assert result.word_count == 5
    assert [k.term for k in result.keywords] == ["canyon", "x\u00b2y"]


def test_keywords_fold_case_and_possessives() -> None:
    result = run("YouTube's algorithm. The YOUTUBE Algorithm, youtube\u2019s algorithm!")
    assert result.keywords == (Keyword("algorithm", 3), Keyword("youtube", 3))


def test_stop_word_list_is_lower_case_with_contractions() -> None:
    assert len(STOP_WORDS) >= 150
    assert all(w == w.lower() and "\u2019" not in w for w in STOP_WORDS)
    assert {"the", "and", "don't", "it's", "you're", "won't"} <= STOP_WORDS


# --- title -----------------------------------------------------------------------------

TRUNCATION = "truncated (cut off) in search results"


def test_title_of_60_characters_is_not_truncated_61_is() -> None:
    script = "Computers make problems simpler."
    sixty = "Computers make problems simpler: " + "x" * 27
    assert len(sixty) == 60
    at_60 = run(script, title=sixty)
    at_61 = run(script, title=sixty + "y")
    assert at_60.title.length == 60
    assert issue_with(at_60.title.issues, TRUNCATION) is None
    assert at_61.title.length == 61
    assert issue_with(at_61.title.issues, TRUNCATION) == (
        "Title is 61 characters; titles over 60 characters may be truncated (cut off) in "
        "search results."
    )
    assert issue_with(at_61.suggestions, "Shorten the title") is not None
    assert issue_with(at_60.suggestions, "Shorten the title") is None


def test_title_length_counts_code_points() -> None:
    emoji = run("x", title="\U0001f600" * 61)
    assert emoji.title.length == 61
    assert issue_with(emoji.title.issues, TRUNCATION) is not None
    decomposed = run("x", title="e\u0301" * 30)  # 60 code points, 30 characters on screen
    assert decomposed.title.length == 60


def test_title_checks() -> None:
    script = "Rivers carve canyons slowly. Rivers move rocks."
    short = run(script, title="Rivers")
    assert short.title.issues == (
        "Title is only 6 characters; 20 to 60 characters give search more to match.",
    )
    caps = run(script, title="HOW RIVERS CARVE CANYONS!!")
    assert caps.title.issues == (
        "Title is in all capital letters, which reads as shouting.",
        "Title repeats '!' or '?', which reads as clickbait.",
    )
    off_topic = run(script, title="My favourite holiday photos of 2023")
    assert off_topic.title.issues == (
        'Title contains none of the script\'s top keywords ("rivers", "canyons", "carve").',
    )
    assert 'Work the top keyword "rivers" into the title.' in off_topic.suggestions
    assert run(script, title="How rivers carve canyons, slowly").title.issues == ()
    assert run(script, title="!!!").title.issues[0] == "Title has no words."
    # A short acronym is not "all caps" shouting.
    assert issue_with(run(script, title="NASA rivers on Mars").title.issues, "capital") is None


# --- hook ------------------------------------------------------------------------------


def test_hook_is_the_first_40_words() -> None:
    result = run(numbered(50))
    assert result.hook.text == numbered(HOOK_WORDS, end="")
    assert tokenize(result.hook.text) == tokenize(numbered(50))[:40]


def test_hook_keeps_closing_punctuation_and_is_whole_short_script() -> None:
    # 40 words: "Is", "it", w1..w38. The hook starts at the first word (not the opening
    # quote) and keeps the "?" and closing quote right after the 40th word.
    script = '  "Is it ' + numbered(38, end='?" she asked.')
    assert run(script).hook.text == "Is it " + numbered(38, end='?"')
    assert run("\n Why do rivers carve canyons?  \n").hook.text == "Why do rivers carve canyons?"
    assert run("").hook.text == ""


def test_hook_issues() -> None:
    good = run("Why do 3 rivers carve canyons you can see from space?")
    assert good.hook.issues == ()
    bland = run("Hey guys, welcome back. Rivers carve canyons.")
    assert bland.hook.issues == (
        'Hook opens with a generic greeting ("hey guys") instead of the payoff.',
        'Hook never speaks to the viewer as "you".',
        "Hook has neither a question nor a number to make its promise concrete.",
    )
    assert any("Cut the greeting" in s for s in bland.suggestions)
    assert run("In this video you will see 3 canyons.").hook.issues == (
        'Hook opens with a generic greeting ("in this video") instead of the payoff.',
    )
    # Greetings match whole words only.
    assert run("Heyday canyons: you saw 3 of them.").hook.issues == ()


def test_hook_first_sentence_must_land_within_15_seconds() -> None:
    opening = "you 3 " + numbered(35, end="")  # 37 words = 14.8 s
    assert run(opening + ". More words follow here.").hook.issues == ()
    longer = run(opening + " w36. More words follow here.")  # 38 words = 15.2 s
    assert longer.hook.issues == (
        "First sentence runs 38 words (about 15 seconds); the opening line should land "
        "within 15 seconds.",
    )
    assert any("Split the opening sentence" in s for s in longer.suggestions)


def test_empty_script() -> None:
    result = run("", title="A perfectly fine title for a video")
    assert result.word_count == 0
    assert result.estimated_duration_seconds == 0
    assert result.reading_grade == 0.0
    assert result.keywords == ()
    assert result.hook.text == ""
    assert result.hook.issues == ("Script is empty, so there is no hook to check.",)
    assert result.suggestions == (
        "Write the script: duration, readability and hook checks need its text.",
        "Add tags that describe what the video covers.",
        "Add a description; its first lines show in search results.",
    )
    assert run("  \n\n ... !? \n").word_count == 0


# --- suggestions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "fragment"),
    [
        (1199, "under 8 minutes"),
        (1200, None),
        (2250, None),
        (2251, "past 15 minutes"),
    ],
)
def test_length_suggestion_targets_8_to_15_minutes(words: int, fragment: str | None) -> None:
    script = "Rivers carve canyons. " + "stone " * (words - 3)
    result = run(script)
    assert result.word_count == words
    found = [s for s in result.suggestions if "minutes" in s]
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1
        assert fragment in found[0]


def test_short_script_suggestion_text() -> None:
    result = run("Rivers carve canyons.")
    assert result.suggestions[0] == (
        "At about 0:01 the video is under 8 minutes; 1200 words or more (8+ minutes at "
        "150 wpm) lets it carry mid-roll ads."
    )


def test_reading_grade_suggestion() -> None:
    hard = run(
        "Understanding television requires patience. Computers make complicated problems simpler."
    )
    assert issue_with(hard.suggestions, "Reading grade is 17.6;") is not None
    assert issue_with(run("The cat sat.").suggestions, "Reading grade") is None


def test_tag_suggestions() -> None:
    script = "Rivers carve canyons. How to read a river map. Canyons are deep."
    missing = run(script)
    assert "Add tags; the top keywords are a good start: canyons, carve, deep, map, read." in (
        missing.suggestions
    )
    used = run(script, tags=["rivers", "Canyons", "how-to", "river map"])
    assert issue_with(used.suggestions, "Tags") is None
    unused = run(script, tags=["rivers", "cooking", "travel vlog", "#", "a", "b", "c", "d"])
    assert (
        'Tags not mentioned in the script: "cooking", "travel vlog", "#", "b", "c" and 1 more; '
        "use tags for what the video actually covers."
    ) in unused.suggestions


def test_description_suggestions() -> None:
    script = "Rivers carve canyons. Rivers move rocks."
    assert 'Add a description that mentions "rivers" in its first sentence.' in (
        run(script, description="  ").suggestions
    )
    assert 'Mention the top keyword "rivers" in the description.' in (
        run(script, description="A video about canyons.").suggestions
    )
    fine = run(script, description="How RIVERS shape canyons.")
    assert issue_with(fine.suggestions, "description") is None


def test_tags_must_not_be_a_string() -> None:
    with pytest.raises(TypeError):
        analyze(title="t", script="s", tags="rivers")


# --- determinism -----------------------------------------------------------------------


def test_analysis_is_deterministic_and_immutable() -> None:
    script = "Hey guys! Rivers carve canyons; rivers move rocks?\n\n" * 40
    first = run(script, tags=["rivers", "nope"], description="x")
    second = run(script, tags=["rivers", "nope"], description="x")
    assert first == second
    assert hash(first) == hash(second)
    with pytest.raises(AttributeError):
        first.word_count = 3  # type: ignore[misc]
