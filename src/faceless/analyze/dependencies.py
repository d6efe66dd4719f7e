"""FastAPI dependencies of the analysis endpoint."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from faceless.analyze.llm import LlmSuggester


class SuggesterRuntime(Protocol):
    """What the analysis uses of the process's runtime container."""

    @property
    def suggester(self) -> LlmSuggester: ...


async def _suggester(request: Request) -> LlmSuggester:
    runtime: SuggesterRuntime = request.app.state.runtime
    return runtime.suggester


Suggester = Annotated[LlmSuggester, Depends(_suggester)]
