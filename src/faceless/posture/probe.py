"""The probes' shared channel to the target: one wire client, and everything it saw.

``edge.server_header`` and ``edge.error_documents`` judge every answer of the run, so
each probe's answer is kept here. A probe that got no HTTP answer gets the reason as
text instead (a refused oversized head is often just a closed connection).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from faceless.posture.target import Target
from faceless.posture.wire import Response, Wire, WireError

FOREIGN_HOST = "evil.example"
FOREIGN_ORIGIN = f"https://{FOREIGN_HOST}"


def random_name(prefix: str) -> str:
    """A name that cannot exist on the target: random, and longer than any it would issue."""
    return f"{prefix}-{secrets.token_hex(12)}"


@dataclass(slots=True)
class Probe:
    target: Target
    wire: Wire

    @property
    def seen(self) -> list[Response]:
        """Every answer of the run so far, the Observatory's retrieval included."""
        return self.wire.log

    def send(
        self,
        path: str,
        method: str = "GET",
        *,
        origin: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        host_header: bool = True,
        timeout: float | None = None,
    ) -> Response | str:
        url = (origin or self.target.origin) + path
        try:
            response = self.wire.request(
                url, method, headers=headers, body=body, host_header=host_header, timeout=timeout
            )
        except WireError as exc:
            return str(exc)
        return response


def describe(answer: Response | str) -> str:
    return answer if isinstance(answer, str) else f"{answer.status}"
