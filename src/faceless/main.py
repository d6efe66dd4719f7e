"""ASGI entry point for servers that import an app factory (uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI

from faceless.app import create_app
from faceless.logging import configure_logging
from faceless.runtime.memory import return_large_blocks
from faceless.settings import load_settings


def app_from_env() -> FastAPI:
    return_large_blocks()  # also in `--workers N` processes, which skip cli.entry
    configure_logging()
    app = create_app(load_settings())
    # Now that the secrets are loaded, every log line is scrubbed of their values.
    configure_logging(secret_values=app.state.runtime.secrets.loaded_values)
    return app
