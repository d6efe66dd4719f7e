"""Request and response bodies of ``POST /api/v1/analyze``, and the video field types.

``TitleStr``, ``DescriptionStr``, ``ScriptStr`` and ``TagList`` carry the video field
limits (API.md, "Videos"): lengths count Unicode code points (Python ``len``), tags are
1-100 each and at most 500 in total counting one separator between tags. They live here
until a shared module takes them; ``videos`` may import them from here meanwhile.

``null`` is never a value: optional fields default to "absent", and an explicit ``null``
fails validation (422) like any other wrong type.
"""

from __future__ import annotations

from typing import Any, Self
from uuid import UUID

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from faceless.analyze.analyzer import Analysis
from faceless.analyze.llm import LlmSuggestions
from faceless.schemas import RequestModel, ResponseModel
from faceless.videos.fields import (
    TAGS_MAX_TOTAL,
    DescriptionStr,
    ScriptStr,
    TagList,
    TagStr,
    TitleStr,
    tags_total_length,
)

__all__ = [
    "TAGS_MAX_TOTAL",
    "AnalysisResponse",
    "AnalyzeRequest",
    "DescriptionStr",
    "HookReportResponse",
    "KeywordResponse",
    "LlmResponse",
    "LlmSuggestionResponse",
    "ScriptStr",
    "TagList",
    "TagStr",
    "TitleReportResponse",
    "TitleStr",
    "tags_total_length",
]


def _absent_by_default(schema: dict[str, Any]) -> None:
    # None means "absent", which JSON cannot send (a null is rejected): advertise the
    # plain type, without null and without a null default.
    schema.pop("default", None)
    variants = schema.pop("anyOf", None)
    if variants is not None:
        (plain,) = (v for v in variants if v != {"type": "null"})
        schema.update(plain)


class AnalyzeRequest(RequestModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = (
        "Either `video_id` alone (analyze a stored video), or `title` and `script` with\n"
        "optional `description` and `tags`."
    )

    # None means absent, never a JSON null (rejected below). After validation either
    # video_id is set, or title and script both are.
    video_id: UUID | None = Field(default=None, json_schema_extra=_absent_by_default)
    title: TitleStr | None = Field(default=None, json_schema_extra=_absent_by_default)
    script: ScriptStr | None = Field(default=None, json_schema_extra=_absent_by_default)
    description: DescriptionStr = ""
    tags: TagList = Field(default_factory=list)

    @field_validator("video_id", "title", "script", mode="before")
    @classmethod
    def _reject_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError(
                "null_not_allowed", "null is not a value for this field; omit it instead"
            )
        return value

    @model_validator(mode="after")
    def _exactly_one_form(self) -> Self:
        script_fields = {"title", "script", "description", "tags"} & self.model_fields_set
        if self.video_id is not None:
            if script_fields:
                raise PydanticCustomError(
                    "analyze_form",
                    "send either video_id alone or title and script, not both "
                    "(also sent: {fields})",
                    {"fields": ", ".join(sorted(script_fields))},
                )
        elif self.title is None or self.script is None:
            missing = [f for f in ("title", "script") if getattr(self, f) is None]
            raise PydanticCustomError(
                "analyze_form",
                "send either video_id, or title and script (missing: {fields})",
                {"fields": ", ".join(missing)},
            )
        return self


class KeywordResponse(ResponseModel):
    term: str
    count: int


class TitleReportResponse(ResponseModel):
    length: int
    issues: list[str]


class HookReportResponse(ResponseModel):
    text: str
    issues: list[str]


class LlmSuggestionResponse(ResponseModel):
    area: str = Field(description='"title", "hook" or "script".')
    text: str


class LlmResponse(ResponseModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = "Suggestions from the configured Anthropic model (present only when it answered)."

    model: str
    suggestions: list[LlmSuggestionResponse]


class AnalysisResponse(ResponseModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = "The analysis of API.md, field for field; ``llm`` only when a model answered."

    word_count: int
    estimated_duration_seconds: float
    reading_grade: float
    keywords: list[KeywordResponse]
    title: TitleReportResponse
    hook: HookReportResponse
    suggestions: list[str]
    llm: LlmResponse | None = None

    @classmethod
    def from_analysis(
        cls, analysis: Analysis, llm: LlmSuggestions | None = None
    ) -> AnalysisResponse:
        """Build the response from the analyzer's result (already valid, so no
        re-validation)."""
        return cls.model_construct(
            llm=None
            if llm is None
            else LlmResponse.model_construct(
                model=llm.model,
                suggestions=[
                    LlmSuggestionResponse.model_construct(area=s.area, text=s.text)
                    for s in llm.suggestions
                ],
            ),
            word_count=analysis.word_count,
            estimated_duration_seconds=analysis.estimated_duration_seconds,
            reading_grade=analysis.reading_grade,
            keywords=[
                KeywordResponse.model_construct(term=k.term, count=k.count)
                for k in analysis.keywords
            ],
            title=TitleReportResponse.model_construct(
                length=analysis.title.length, issues=list(analysis.title.issues)
            ),
            hook=HookReportResponse.model_construct(
                text=analysis.hook.text, issues=list(analysis.hook.issues)
            ),
            suggestions=list(analysis.suggestions),
        )
