"""Running the analyzer for a request: inline text or a stored video, and LLM suggestions."""

from __future__ import annotations

from dataclasses import dataclass

from anyio.to_thread import run_sync
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.analyze.analyzer import Analysis, analyze
from faceless.analyze.llm import LlmSuggester, LlmSuggestions
from faceless.analyze.llm_prompt import Draft
from faceless.analyze.schemas import AnalyzeRequest
from faceless.auth.principal import Principal
from faceless.videos.service import find_visible_video

# Above this many characters the analysis can take tens of milliseconds: run it in a
# worker thread so it does not hold up every other request on the event loop.
INLINE_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    analysis: Analysis
    llm: LlmSuggestions | None


async def analyze_request(
    session: AsyncSession,
    *,
    body: AnalyzeRequest,
    principal: Principal,
    suggester: LlmSuggester | None = None,
) -> AnalysisResult:
    """The local analysis, enriched by the model's suggestions when it answers in time."""
    draft = await _draft(session, body=body, principal=principal)
    # Nothing more is read: hand the connection back to the pool before waiting on the
    # model (an autocommit session: no round trip), so slow answers cannot drain the pool.
    await session.commit()
    analysis = await _analyze(draft)
    llm = await suggester.suggest(draft, analysis) if suggester is not None else None
    return AnalysisResult(analysis=analysis, llm=llm)


async def _draft(session: AsyncSession, *, body: AnalyzeRequest, principal: Principal) -> Draft:
    if body.video_id is not None:
        video = await find_visible_video(session, body.video_id, principal)
        return Draft(video.title, video.script, video.description, tuple(video.tags))
    # The schema guarantees title and script when video_id is absent.
    return Draft(body.title or "", body.script or "", body.description, tuple(body.tags))


async def _analyze(draft: Draft) -> Analysis:
    def run() -> Analysis:
        return analyze(
            title=draft.title, script=draft.script, description=draft.description, tags=draft.tags
        )

    if len(draft.script) + len(draft.description) <= INLINE_LIMIT:
        return run()
    return await run_sync(run)
