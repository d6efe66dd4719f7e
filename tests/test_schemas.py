"""The request models' input rules, inherited by every field (faceless.schemas, ADR 0013).

The API tests (videos, users, auth) show the rules at work on both databases; here, the
mechanism on models made for the test, and the list of fields that widen the rules.
"""

from __future__ import annotations

from typing import Annotated, get_args, get_origin

import pytest
from pydantic import Field, ValidationError

import faceless.routes  # noqa: F401  (imports every endpoint, so every request model)
from faceless.schemas import COMPARED_ONLY, MULTILINE, ControlCharacters, PatchModel, RequestModel


class Sample(RequestModel):
    name: str = "x"
    maybe: str | None = None
    names: list[str] = []
    labels: dict[str, str] = {}
    notes: Annotated[str, Field(max_length=50), MULTILINE] = ""
    secret: Annotated[str, COMPARED_ONLY] = ""
    flag: bool = False
    maybe_flag: Annotated[bool | None, Field(description="optional")] = None
    count: int = 0


class SamplePatch(PatchModel):
    flag: bool | None = None
    notes: Annotated[str, MULTILINE] | None = None


def errors(data: dict[str, object], model: type[RequestModel] = Sample) -> list[str]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()]
    return []


@pytest.mark.parametrize("character", [chr(c) for c in [*range(0x20), 0x7F]])
def test_every_c0_character_and_del_is_refused_in_plain_text(character: str) -> None:
    for field in ("name", "maybe"):
        assert errors({field: f"a{character}b"}) == [f"{field}: control_character"]
    assert errors({"names": ["ok", character]}) == ["names: control_character"]
    assert errors({"labels": {"k": character}}) == ["labels: control_character"]
    assert errors({"labels": {character: "v"}}) == ["labels: control_character"]
    assert errors({"secret": character}) == []


@pytest.mark.parametrize("character", ["\n", "\r", "\t"])
def test_multiline_fields_allow_line_breaks_and_tabs_only(character: str) -> None:
    assert errors({"notes": f"one{character}two"}) == []
    assert errors({"notes": "one\x00two"}) == ["notes: control_character"]
    assert errors({"notes": "bell\x07"}, SamplePatch) == ["notes: control_character"]
    assert errors({"name": f"one{character}two"}) == ["name: control_character"]


def test_printable_unicode_is_untouched() -> None:
    text = "naïve café \u00a0\u0085\u2028 \U0001f600"
    assert Sample.model_validate({"name": text, "names": [text]}).name == text


@pytest.mark.parametrize("value", ["true", "false", "1", "yes", "on", 1, 0, 1.0, [], {}])
def test_booleans_must_be_json_booleans(value: object) -> None:
    assert errors({"flag": value}) == ["flag: bool_type"]
    assert errors({"maybe_flag": value}) == ["maybe_flag: bool_type"]
    assert errors({"flag": value}, SamplePatch) == ["flag: bool_type"]


def test_real_booleans_and_other_types_still_validate() -> None:
    parsed = Sample.model_validate({"flag": True, "maybe_flag": None, "count": 3})
    assert parsed.flag is True and parsed.maybe_flag is None and parsed.count == 3
    assert errors({"flag": None}, SamplePatch) == ["flag: value_error"]  # null is refused


def test_a_boolean_inside_a_container_is_refused_when_the_model_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Nested\.flags: a boolean inside a container"):

        class Nested(RequestModel):
            flags: list[bool] = []


def _request_models() -> list[type[RequestModel]]:
    found: list[type[RequestModel]] = []
    pending = list(RequestModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("faceless."):
            found.append(model)
    return found


def _markers(annotation: object) -> set[ControlCharacters]:
    found: set[ControlCharacters] = set()
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        found |= {m for m in args[1:] if isinstance(m, ControlCharacters)}
        args = args[:1]
    for arg in args:
        found |= _markers(arg)
    return found


def test_only_these_fields_widen_the_text_rule() -> None:
    widened: dict[str, set[str]] = {"multiline": set(), "compared only": set()}
    for model in _request_models():
        for name, field in model.model_fields.items():
            markers = _markers(field.annotation) | {
                m for m in field.metadata if isinstance(m, ControlCharacters)
            }
            if MULTILINE in markers:
                widened["multiline"].add(f"{model.__name__}.{name}")
            if COMPARED_ONLY in markers:
                widened["compared only"].add(f"{model.__name__}.{name}")
    assert widened == {
        "multiline": {
            f"{model}.{field}"
            for model in ("VideoCreate", "VideoUpdate", "AnalyzeRequest")
            for field in ("description", "script")
        },
        "compared only": {
            "LoginRequest.username",
            "LoginRequest.password",
            "PasswordChange.current_password",
            # The MFA endpoints re-check the password the same way.
            "TotpEnrollRequest.password",
            "TotpDisableRequest.password",
        },
    }
