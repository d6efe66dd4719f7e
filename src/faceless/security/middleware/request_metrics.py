"""Per-request metrics: a count by method, route template and status, and the duration.

Design:

* ``route`` is the template FastAPI matched (``/api/v1/videos/{video_id}``), found from
  ``scope["route"]`` once the app has answered (routing stores it in the shared scope).
  A request the edge layers answered before routing (400 for a bad Host, 413, 429, 503)
  is matched against the app's routes here. A path no route matches is ``unmatched``, so
  a scanner's random paths add no series; neither do invented methods (``OTHER``).
* Counted by the outermost layer (``response_edge``): the duration covers every other
  layer and the whole answer, and the status is the one sent (500 when the app raised
  before answering).
* A request only adds to the process's :data:`faceless.metrics.tally.REQUESTS` (plain
  dictionaries); the tally writes the instruments about once a second and before every
  scrape, and the edge flushes it when the app's lifespan ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.routing import BaseRoute, Match
from starlette.types import Message, Scope, Send

from faceless.metrics.tally import REQUESTS

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RouteTemplates:
    """The full template of the route a request matched.

    ``scope["route"]`` is the route object of the router that declared it, with its
    path relative to that router (``/{video_id}``); one router included twice (``/health``
    and ``/api/v1/health``) is one route object. FastAPI's route contexts carry the
    full template of every inclusion: a route included once is a dictionary lookup, one
    included more than once is told apart by matching its few inclusions.
    """

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._contexts = list(iter_route_contexts(routes))
        self._by_route: dict[int, list[RouteContext]] = {}
        self._static: dict[tuple[int, str], str] = {}
        for context in self._contexts:
            self._by_route.setdefault(id(context.original_route), []).append(context)

    def label(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None and id(route) not in self._by_route:
            # Not an included route (mounted by hand): its own template is the full one.
            return str(getattr(route, "path_format", UNMATCHED))
        candidates = self._contexts if route is None else self._by_route[id(route)]
        if len(candidates) == 1 and route is not None:
            return str(candidates[0].path_format)
        static = self._static.get((id(route), scope["path"]))
        if static is not None:
            return static
        for context in candidates:
            match, _ = context.matches(scope)
            if match is not Match.NONE:  # PARTIAL: the path exists, not the method (405)
                template = str(context.path_format)
                if route is not None and "{" not in template:
                    # Only parameterless templates: one path each, so a bounded cache.
                    self._static[(id(route), scope["path"])] = template
                return template
        return UNMATCHED


class RequestCounter:
    """Adds each answered request to :data:`REQUESTS` under its route's template."""

    def __init__(self) -> None:
        self._templates: RouteTemplates | None = None

    def note(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        if self._templates is None:
            # Built on the first request, once the app has every route mounted.
            self._templates = RouteTemplates(scope["app"].router.routes)
        REQUESTS.add(method, self._templates.label(scope), status, seconds)


def flushing_at_shutdown(send: Send) -> Send:
    """The lifespan's ``send``, flushing the tally before the process reports it is done."""

    async def send_after_flush(message: Message) -> None:
        if message["type"] == "lifespan.shutdown.complete":
            REQUESTS.flush()  # the last second's requests, before the process goes
        await send(message)

    return send_after_flush
