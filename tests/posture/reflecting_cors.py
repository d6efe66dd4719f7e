"""A weakened ``faceless serve`` whose answers reflect any ``Origin`` with credentials.

Test-only: ``python -m tests.posture.reflecting_cors serve --port ...`` runs the real
command with the real app, wrapped in :class:`ReflectOrigin` (the CORS mistake the
posture check must catch). The command becomes the API process (``exec``, ADR 0033) by
running this module again with ``--api-process``, which replaces
``faceless.main.app_from_env`` before the API process starts: with one worker uvicorn
calls the factory in that process. Everything else (TLS, the redirect listener, every
other header) is unchanged.
"""

from __future__ import annotations

import sys

from starlette.types import ASGIApp, Message, Receive, Scope, Send

import faceless.main
from faceless.runtime import api_process

API_PROCESS_ARG = "--api-process"


class ReflectOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = dict(scope.get("headers", ())).get(b"origin") if scope["type"] == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        reflected = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
        ]
        if scope["method"] == "OPTIONS":
            headers = [*reflected, (b"access-control-allow-methods", b"GET, POST, DELETE")]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_reflecting(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *reflected]
            await send(message)

        await self.app(scope, receive, send_reflecting)


def _reflecting_app() -> ASGIApp:
    return ReflectOrigin(_real_app_from_env())


_real_app_from_env = faceless.main.app_from_env

if __name__ == "__main__":
    if sys.argv[1:2] == [API_PROCESS_ARG]:
        faceless.main.app_from_env = _reflecting_app  # type: ignore[assignment]
        api_process.main(sys.argv[2:])
    else:
        api_process.API_PROCESS[:] = ["-m", "tests.posture.reflecting_cors", API_PROCESS_ARG]
        from faceless.cli.entry import main

        sys.argv = ["faceless", *sys.argv[1:]]
        main()
