"""ASGI entry point for servers that import an app factory (uvicorn --factory)."""

from __future__ import annotations

from fastapi import FastAPI

from faceless.app import create_app
from faceless.logging import configure_logging
from faceless.settings import load_settings


def app_from_env() -> FastAPI:
    configure_logging()
    return create_app(load_settings())
