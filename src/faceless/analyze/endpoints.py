from __future__ import annotations

from fastapi import APIRouter

from faceless.analyze import service
from faceless.analyze.dependencies import Suggester
from faceless.analyze.schemas import AnalysisResponse, AnalyzeRequest
from faceless.api.auth import CurrentUser
from faceless.api.deps import ReadSession
from faceless.api.scopes import require_scope
from faceless.auth.scopes import ANALYZE

router = APIRouter(tags=["analysis"])


# exclude_none: "llm" is absent, not null, when no model answered (no other field is
# ever None).
@router.post(
    "/analyze",
    dependencies=[require_scope(ANALYZE)],
    response_model=AnalysisResponse,
    response_model_exclude_none=True,
    description=(
        "Instant, local analysis of a title and script, or of a stored video; with\n"
        "ANTHROPIC_API_KEY set, also the model's suggestions when it answers in time."
    ),
)
async def analyze_script(
    body: AnalyzeRequest, principal: CurrentUser, session: ReadSession, suggester: Suggester
) -> AnalysisResponse:
    result = await service.analyze_request(
        session, body=body, principal=principal, suggester=suggester
    )
    return AnalysisResponse.from_analysis(result.analysis, llm=result.llm)
