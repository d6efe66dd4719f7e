from __future__ import annotations

from fastapi import APIRouter

from faceless.analyze.analyzer import analyze
from faceless.analyze.schemas import AnalysisResponse, AnalyzeRequest
from faceless.api.deps import DbSession
from faceless.auth.dependencies import CurrentUser
from faceless.videos.dependencies import find_visible_video

router = APIRouter(tags=["analysis"])


@router.post("/analyze", response_model=AnalysisResponse)
async def analyze_script(
    body: AnalyzeRequest, principal: CurrentUser, session: DbSession
) -> AnalysisResponse:
    """Instant, local analysis of a title and script, or of a stored video."""
    if body.video_id is not None:
        video = await find_visible_video(session, body.video_id, principal)
        result = analyze(
            title=video.title,
            script=video.script,
            description=video.description,
            tags=video.tags,
        )
    else:
        assert body.title is not None and body.script is not None  # the schema guarantees it
        result = analyze(
            title=body.title, script=body.script, description=body.description, tags=body.tags
        )
    return AnalysisResponse.from_analysis(result)
