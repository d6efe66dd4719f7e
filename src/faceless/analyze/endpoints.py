from __future__ import annotations

from fastapi import APIRouter

from faceless.analyze import service
from faceless.analyze.schemas import AnalysisResponse, AnalyzeRequest
from faceless.api.auth import CurrentUser
from faceless.api.deps import ReadSession

router = APIRouter(tags=["analysis"])


@router.post("/analyze", response_model=AnalysisResponse)
async def analyze_script(
    body: AnalyzeRequest, principal: CurrentUser, session: ReadSession
) -> AnalysisResponse:
    """Instant, local analysis of a title and script, or of a stored video."""
    result = await service.analyze_request(session, body=body, principal=principal)
    return AnalysisResponse.from_analysis(result)
