"""ASGI entry point for servers that import an app factory (uvicorn --factory).

The app is imported inside the factory, after :func:`refuse_pydantic_v1`: FastAPI's
routes are built as their modules are imported, and the first one with a parameter
would otherwise load pydantic.v1. This runs in the API process and in each of its
``--workers N`` processes, which import this module afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceless.logging import configure_logging
from faceless.runtime.memory import refuse_pydantic_v1, return_large_blocks
from faceless.settings import load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def app_from_env() -> FastAPI:
    return_large_blocks()  # also in `--workers N` processes, which skip process set-up
    refuse_pydantic_v1()
    from faceless.app import create_app

    configure_logging()
    app = create_app(load_settings())
    # Now that the secrets are loaded, every log line is scrubbed of their values.
    configure_logging(secret_values=app.state.runtime.secrets.loaded_values)
    return app
