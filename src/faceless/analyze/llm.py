"""LLM suggestions for the analysis, from Anthropic's Messages API through the official SDK.

Design: optional, and never in the way of the local analysis.

- Off unless the secret ``ANTHROPIC_API_KEY`` is set; it is read from the secret manager
  on every call (a cached lookup), so a rotation or a reload takes effect at once.
- One request per analysis, no retries: the caller is a person waiting for an answer,
  and retrying against an upstream that is failing only multiplies its load. The whole
  call, connection included, is bounded by ``ANTHROPIC_TIMEOUT_SECONDS``.
- Any failure (network, timeout, an HTTP error such as a refused key, an answer that
  does not validate) is logged by its kind and HTTP status only, and the analysis is
  answered without suggestions. SDK error messages are never logged: they can quote
  the request.
- The key goes to the SDK, which sends it in the ``x-api-key`` header; it is never
  logged, never in a URL, never in an error. Plain-http base URLs are refused unless
  they point at this host (settings).
- The prompt keeps the user's text out of the instructions (see ``llm_prompt``).
- The SDK takes seconds to import (hundreds of pydantic models), so it is loaded in a
  worker thread when the API process starts with a key (``start``), or else by the
  first call that has one, within that call's time bound. Processes that never analyse
  (workers, CLI commands) or have no key never load it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from anyio import to_thread

from faceless.analyze.analyzer import Analysis
from faceless.analyze.llm_prompt import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_SCHEMA,
    Draft,
    LlmSuggestion,
    build_prompt,
    parse_tool_input,
)
from faceless.logging import get_logger
from faceless.secrets import SecretManager
from faceless.settings import AnthropicSettings

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from anthropic.types import Message, MessageParam, ToolChoiceToolParam, ToolParam

__all__ = ["KEY_NAME", "MAX_ANSWER_TOKENS", "LlmSuggester", "LlmSuggestions"]

KEY_NAME = "ANTHROPIC_API_KEY"
# Ten suggestions of a few sentences each fit comfortably.
MAX_ANSWER_TOKENS = 2048
MODEL_NAME_CHARS = 200

log = get_logger("faceless.analyze")


@dataclass(frozen=True, slots=True)
class LlmSuggestions:
    """The model that answered and its validated suggestions."""

    model: str
    suggestions: tuple[LlmSuggestion, ...]


class LlmSuggester:
    """Asks the configured model for suggestions; one per process, safe to share."""

    def __init__(self, settings: AnthropicSettings, *, secrets: SecretManager) -> None:
        self._settings = settings
        self._secrets = secrets
        self._client: AsyncAnthropic | None = None
        self._client_key: str | None = None
        self._building = anyio.Lock()

    async def start(self) -> None:
        """With a key configured, load the SDK and build the client now, not on a request."""
        try:
            key = await to_thread.run_sync(self._api_key)
            if key is not None:
                await self._client_for(key)
        except Exception as exc:  # the analysis works without it; say why once
            log.warning("analyze.llm_unavailable", reason=type(exc).__name__)

    async def suggest(self, draft: Draft, analysis: Analysis) -> LlmSuggestions | None:
        """Suggestions for ``draft``, or None when off, failing, slow or malformed."""
        key = await to_thread.run_sync(self._api_key)
        if key is None:
            return None
        prompt = build_prompt(draft, analysis)
        user_turn: MessageParam = {"role": "user", "content": prompt.user}
        tool: ToolParam = {
            "name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "input_schema": TOOL_SCHEMA,
        }
        forced: ToolChoiceToolParam = {
            "type": "tool",
            "name": TOOL_NAME,
            "disable_parallel_tool_use": True,
        }
        try:
            with anyio.fail_after(self._settings.timeout_seconds):
                client = await self._client_for(key)
                message = await client.messages.create(
                    model=self._settings.model,
                    max_tokens=MAX_ANSWER_TOKENS,
                    system=prompt.system,
                    messages=[user_turn],
                    tools=[tool],
                    tool_choice=forced,
                )
            suggestions = parse_tool_input(message.content)
        except Exception as exc:  # any failure means "no suggestions", never an error
            log.warning(
                "analyze.llm_failed",
                reason=type(exc).__name__,
                status=getattr(exc, "status_code", None),
            )
            return None
        if suggestions is None:
            log.warning("analyze.llm_failed", reason="invalid_answer", status=None)
            return None
        return LlmSuggestions(model=self._model_name(message), suggestions=suggestions)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def _api_key(self) -> str | None:
        # May reach a secret store (Vault, AWS): the caller runs it in a worker thread.
        secret = self._secrets.get(KEY_NAME)
        return secret.reveal() if secret is not None else None

    async def _client_for(self, key: str) -> AsyncAnthropic:
        async with self._building:
            if self._client is None:
                # Left to finish in the background if the call times out meanwhile: the
                # next call then finds the SDK imported.
                self._client = await to_thread.run_sync(
                    self._new_client, key, abandon_on_cancel=True
                )
            elif key != self._client_key:
                # A rotated key: same options and connection pool, new credential.
                self._client = self._client.copy(api_key=key)
            self._client_key = key
            return self._client

    def _new_client(self, key: str) -> AsyncAnthropic:
        sdk = importlib.import_module("anthropic")
        client: AsyncAnthropic = sdk.AsyncAnthropic(
            api_key=key,
            base_url=self._settings.base_url,
            timeout=self._settings.timeout_seconds,
            max_retries=0,
        )
        return client

    def _model_name(self, message: Message) -> str:
        model = getattr(message, "model", None)
        if isinstance(model, str) and 0 < len(model) <= MODEL_NAME_CHARS:
            return model
        return self._settings.model
