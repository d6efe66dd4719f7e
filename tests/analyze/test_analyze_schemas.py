"""Request validation of POST /api/v1/analyze and the response shape (API.md)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from faceless.analyze.analyzer import analyze
from faceless.analyze.llm import LlmSuggestions
from faceless.analyze.llm_prompt import LlmSuggestion
from faceless.analyze.schemas import (
    TAGS_MAX_TOTAL,
    AnalysisResponse,
    AnalyzeRequest,
    tags_total_length,
)

VIDEO_ID = "6f1c1d3e-8a7b-4c39-9d6e-0d2b1f8a9c10"


def parse(body: Any) -> AnalyzeRequest:
    """Validate as the endpoint does: from JSON text."""
    return AnalyzeRequest.model_validate_json(json.dumps(body))


def errors(body: Any) -> list[tuple[str, tuple[int | str, ...]]]:
    with pytest.raises(ValidationError) as caught:
        parse(body)
    return [(e["type"], tuple(e["loc"])) for e in caught.value.errors()]


def script_body(**extra: Any) -> dict[str, Any]:
    return {"title": "How rivers carve canyons", "script": "Rivers carve canyons.", **extra}


# --- the two forms ---------------------------------------------------------------------


def test_script_form_with_defaults() -> None:
    request = parse(script_body())
    assert request.video_id is None
    assert request.title == "How rivers carve canyons"
    assert request.script == "Rivers carve canyons."
    assert request.description == ""
    assert request.tags == []


def test_script_form_with_everything() -> None:
    request = parse(script_body(description="About rivers.", tags=["rivers", "geology"]))
    assert request.description == "About rivers."
    assert request.tags == ["rivers", "geology"]


def test_empty_script_is_allowed() -> None:
    assert parse({"title": "t", "script": ""}).script == ""


def test_video_form() -> None:
    request = parse({"video_id": VIDEO_ID})
    assert request.video_id == uuid.UUID(VIDEO_ID)
    assert request.title is None
    assert request.script is None


@pytest.mark.parametrize(
    "extra",
    [
        {"title": "t", "script": "s"},
        {"title": "t"},
        {"script": "s"},
        {"description": ""},
        {"tags": []},
    ],
)
def test_video_id_with_script_fields_is_rejected(extra: dict[str, Any]) -> None:
    assert errors({"video_id": VIDEO_ID, **extra}) == [("analyze_form", ())]


@pytest.mark.parametrize(
    "body",
    [{}, {"title": "t"}, {"script": "s"}, {"description": "d", "tags": ["x"]}],
)
def test_neither_form_is_rejected(body: dict[str, Any]) -> None:
    assert errors(body) == [("analyze_form", ())]


def test_mixed_form_message_names_the_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        parse({"video_id": VIDEO_ID, "title": "t", "script": "s"})
    assert "not both" in caught.value.errors()[0]["msg"]
    assert "script, title" in caught.value.errors()[0]["msg"]


# --- strictness ------------------------------------------------------------------------


def test_unknown_field_is_rejected() -> None:
    assert errors(script_body(titel="typo")) == [("extra_forbidden", ("titel",))]


@pytest.mark.parametrize("field", ["title", "script", "description", "tags"])
def test_null_is_not_a_value(field: str) -> None:
    body = script_body()
    body[field] = None
    found = errors(body)
    assert len(found) == 1
    assert found[0][1] == (field,)


def test_null_video_id_is_not_a_value() -> None:
    assert errors({"video_id": None}) == [("null_not_allowed", ("video_id",))]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 123),
        ("script", ["a"]),
        ("description", False),
        ("tags", "rivers"),
        ("tags", [1]),
        ("tags", {"a": 1}),
    ],
)
def test_wrong_types_are_rejected(field: str, value: Any) -> None:
    assert errors(script_body(**{field: value}))[0][1][0] == field


@pytest.mark.parametrize("value", ["not-a-uuid", 12, "", "6f1c1d3e-8a7b-4c39-9d6e"])
def test_malformed_video_id_is_rejected(value: Any) -> None:
    assert errors({"video_id": value})[0][1] == ("video_id",)


def test_json_that_is_not_an_object_is_rejected() -> None:
    assert errors([])[0][0] == "model_type"


def test_request_is_frozen() -> None:
    request = parse(script_body())
    with pytest.raises(ValidationError):
        request.title = "other"  # type: ignore[misc]


# --- lengths: Unicode code points ------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "ok"),
    [
        ("", False),
        ("x", True),
        ("x" * 100, True),
        ("x" * 101, False),
        ("\U0001f600" * 100, True),  # 100 code points, 400 UTF-8 bytes
        ("\U0001f600" * 101, False),
        ("\u00e9" * 100, True),  # precomposed: 100 code points, 200 bytes
        ("e\u0301" * 50, True),  # decomposed: 100 code points
        ("e\u0301" * 50 + "x", False),
        ("\u4e2d" * 100, True),
    ],
)
def test_title_length_counts_code_points(title: str, ok: bool) -> None:
    body = script_body(title=title)
    if ok:
        assert parse(body).title == title
    else:
        assert errors(body)[0][1] == ("title",)


@pytest.mark.parametrize(
    ("field", "limit"),
    [("description", 5000), ("script", 100_000)],
)
def test_description_and_script_limits(field: str, limit: int) -> None:
    assert len(getattr(parse(script_body(**{field: "\u00e9" * limit})), field)) == limit
    assert errors(script_body(**{field: "\u00e9" * (limit + 1)}))[0][1] == (field,)


def test_each_tag_is_1_to_100_code_points() -> None:
    assert parse(script_body(tags=["\U0001f600" * 100])).tags == ["\U0001f600" * 100]
    assert errors(script_body(tags=["ok", "x" * 101]))[0][1] == ("tags", 1)
    assert errors(script_body(tags=["ok", ""]))[0][1] == ("tags", 1)


@pytest.mark.parametrize(
    ("tags", "total"),
    [
        (["x" * 100] * 4 + ["x" * 96], 500),  # 496 characters + 4 separators
        (["x" * 100] * 4 + ["x" * 97], 501),
        (["xx"] + ["x"] * 249, 500),  # 251 characters + 249 separators
        (["xxx"] + ["x"] * 249, 501),
        (["\U0001f600" * 100] * 4 + ["\u00e9" * 96], 500),  # code points, not bytes
        (["\U0001f600" * 100] * 4 + ["\u00e9" * 97], 501),
    ],
)
def test_tags_total_counts_one_separator_between_tags(tags: list[str], total: int) -> None:
    assert tags_total_length(tags) == total
    if total <= TAGS_MAX_TOTAL:
        assert parse(script_body(tags=tags)).tags == tags
    else:
        assert errors(script_body(tags=tags)) == [("tags_too_long", ("tags",))]


def test_tags_total_length_of_nothing() -> None:
    assert tags_total_length([]) == 0
    assert tags_total_length(["abc"]) == 3


# --- response --------------------------------------------------------------------------


def test_response_mirrors_the_contract() -> None:
    analysis = analyze(
        title="How rivers carve canyons",
        script="Did you know rivers carve canyons? Rivers move 3 tonnes of rock.",
        tags=["rivers"],
    )
    # As the endpoint serialises it: no model answered, so no "llm" key.
    body = json.loads(AnalysisResponse.from_analysis(analysis).model_dump_json(exclude_none=True))
    assert set(body) == {
        "word_count",
        "estimated_duration_seconds",
        "reading_grade",
        "keywords",
        "title",
        "hook",
        "suggestions",
    }
    assert set(body["title"]) == {"length", "issues"}
    assert set(body["hook"]) == {"text", "issues"}
    assert all(set(k) == {"term", "count"} for k in body["keywords"])
    assert body["word_count"] == 12
    assert body["estimated_duration_seconds"] == 4.8
    assert body["keywords"][0] == {"term": "rivers", "count": 2}
    assert body["title"] == {"length": 24, "issues": []}
    assert body["hook"]["text"] == analysis.hook.text
    assert isinstance(body["hook"]["issues"], list)
    assert body["suggestions"] == list(analysis.suggestions)
    assert all(isinstance(s, str) for s in body["suggestions"])


def test_llm_suggestions_are_added_as_llm() -> None:
    analysis = analyze(title="How rivers carve canyons", script="Rivers carve canyons.")
    llm = LlmSuggestions(
        model="claude-test",
        suggestions=(
            LlmSuggestion(area="title", text="Try: Why rivers win against rock"),
            LlmSuggestion(area="hook", text="Open with the question."),
        ),
    )
    body = json.loads(
        AnalysisResponse.from_analysis(analysis, llm=llm).model_dump_json(exclude_none=True)
    )
    assert body["llm"] == {
        "model": "claude-test",
        "suggestions": [
            {"area": "title", "text": "Try: Why rivers win against rock"},
            {"area": "hook", "text": "Open with the question."},
        ],
    }
    without = AnalysisResponse.from_analysis(analysis).model_dump(exclude_none=True)
    assert {k: v for k, v in body.items() if k != "llm"} == without


def test_from_analysis_equals_validating_the_dataclass() -> None:
    analysis = analyze(title="T", script="Hey guys! " * 30, description="", tags=["a"])
    built = AnalysisResponse.from_analysis(analysis)
    validated = AnalysisResponse.model_validate(analysis, from_attributes=True)
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump_json() == validated.model_dump_json()
