"""``GET /metrics``: Prometheus text format 0.0.4, for allow-listed addresses or a token.

The token (secret ``METRICS_TOKEN``) is compared in constant time; anything else
is a 403 that says nothing about which of the two checks failed.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from faceless.api.deps import ServicesDep, request_context
from faceless.errors import ProblemError
from faceless.metrics import REGISTRY

router = APIRouter(tags=["health"])


def _token_ok(request: Request, services: ServicesDep) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    secret = services.secrets.get("METRICS_TOKEN")
    return secret is not None and hmac.compare_digest(presented.encode(), secret.reveal().encode())


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_PLAIN_0_0_4: {}}}},
)
async def metrics(request: Request, services: ServicesDep) -> Response:
    client_ip = request_context(request).client_ip
    if client_ip not in services.settings.http.metrics_allow and not _token_ok(request, services):
        raise ProblemError(403, "Metrics are not available to this client.")
    return Response(generate_latest(REGISTRY), headers={"content-type": CONTENT_TYPE_PLAIN_0_0_4})
