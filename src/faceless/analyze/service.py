"""Running the analyzer for a request: inline text or a stored video."""

from __future__ import annotations

from anyio.to_thread import run_sync
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.analyze.analyzer import Analysis, analyze
from faceless.analyze.schemas import AnalyzeRequest
from faceless.auth.principal import Principal
from faceless.videos.service import find_visible_video

# Above this many characters the analysis can take tens of milliseconds: run it in a
# worker thread so it does not hold up every other request on the event loop.
INLINE_LIMIT = 20_000


async def analyze_request(
    session: AsyncSession, *, body: AnalyzeRequest, principal: Principal
) -> Analysis:
    if body.video_id is not None:
        video = await find_visible_video(session, body.video_id, principal)
        title, script, description, tags = video.title, video.script, video.description, video.tags
    else:
        # The schema guarantees title and script when video_id is absent.
        title, script = body.title or "", body.script or ""
        description, tags = body.description, body.tags
    if len(script) + len(description) <= INLINE_LIMIT:
        return analyze(title=title, script=script, description=description, tags=tags)
    return await run_sync(
        lambda: analyze(title=title, script=script, description=description, tags=tags)
    )
