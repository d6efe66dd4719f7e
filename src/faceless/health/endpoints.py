from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from faceless.api.deps import RuntimeDep
from faceless.health.liveness import LIVE_BODY
from faceless.health.service import is_ready, readiness
from faceless.schemas import ResponseModel

router = APIRouter(tags=["health"])


class Liveness(ResponseModel):
    status: Literal["ok"] = "ok"


class Readiness(ResponseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]


@router.get(
    "/health",
    response_model=Liveness,
    description="Liveness: answers without touching the database, Redis or any other dependency.",
)
async def health() -> Response:
    # GET is answered by health.liveness before routing, with these same bytes.
    return Response(LIVE_BODY, media_type="application/json")


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A check failed; it is named."}},
)
async def ready(runtime: RuntimeDep) -> Readiness | JSONResponse:
    checks = await readiness(runtime)
    if is_ready(checks):
        return Readiness(status="ready", checks=checks)
    body = Readiness(status="not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=503)
