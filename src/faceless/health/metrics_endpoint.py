"""``GET /metrics``: Prometheus text format 0.0.4, for allow-listed addresses or a token.

The token (secret ``METRICS_TOKEN``) is compared in constant time; anything else
is a 403 that says nothing about which of the two checks failed. The answer is this
process tree's instruments (every ``--workers`` process summed) plus what
:mod:`faceless.health.metrics_snapshot` reads for this scrape.
"""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from faceless.api.deps import RuntimeDep, request_context
from faceless.errors import ProblemError
from faceless.health.metrics_snapshot import scrape_families
from faceless.metrics.exposition import render
from faceless.metrics.instruments import declare_job_kinds
from faceless.metrics.tally import REQUESTS
from faceless.models import JobKind
from faceless.secrets import SecretBackendError

router = APIRouter(tags=["health"])

# Every job kind's duration series exists at zero in a process that serves /metrics,
# also where no job runs (an API process of the Redis shape, ADR 0028): the dashboard
# and the alerts query them.
declare_job_kinds([kind.value for kind in JobKind])


async def _token_ok(request: Request, runtime: RuntimeDep) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    try:
        # A thread: when the cache has expired, the read may go to Vault or AWS.
        secret = await asyncio.to_thread(runtime.secrets.get, "METRICS_TOKEN")
    except SecretBackendError:
        return False  # fail closed; the manager has logged and audited the failure
    return secret is not None and hmac.compare_digest(presented.encode(), secret.reveal().encode())


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_PLAIN_0_0_4: {}}}},
)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    client_ip = request_context(request).client_ip
    allowed = client_ip in runtime.settings.http.metrics_allow
    if not allowed and not await _token_ok(request, runtime):
        raise ProblemError(403, "Metrics are not available to this client.")
    families = await scrape_families(runtime)
    # On the loop, where requests add to the tally: what this process counted so far.
    REQUESTS.flush()
    # Reading the mmapped files of every process is file I/O: off the event loop.
    body = await asyncio.to_thread(render, families)
    return Response(body, headers={"content-type": CONTENT_TYPE_PLAIN_0_0_4})
