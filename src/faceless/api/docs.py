"""The interactive API docs (Swagger UI), served from local assets under a nonce CSP.

Design: the page is the only HTML the service returns, so it carries its own
Content-Security-Policy (the security-headers middleware keeps a header an endpoint
already set). Every ``<script>`` element carries a fresh per-response nonce and the
policy allows scripts by that nonce only: no ``'unsafe-eval'``, no ``'unsafe-inline'``
for scripts, no host other than the service itself. Swagger UI sets style attributes
from script, so only ``style-src-attr`` allows inline styles; stylesheets and
``<style>`` elements need 'self' or the nonce. The HTML is formatted from
trusted constants and the nonce; nothing from the request reaches it.

Assets come from the ``swagger-ui-py`` package and are served by an explicit allow-list
of names: a client never supplies a path. Their presence is checked when the router is
built; each is read at its first request (Swagger UI's bundle is 1.4 MB an API process
need not hold until someone opens the docs), and the package itself is never imported
(its ``__init__`` loads Jinja2): only its folder is looked up (issue 11).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from types import MappingProxyType

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from faceless.errors import not_found

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
OPENAPI_URL = "/openapi.json"
TITLE = "FacelessYouTube API"

# Allow-listed asset name -> media type. Nothing else under the static folder is served.
ASSET_TYPES: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
ASSET_CACHE_CONTROL = "public, max-age=86400, immutable"

# The OpenAPI description: what the docs page shows above the operations.
API_DESCRIPTION = """\
Plan, analyse, transcribe and schedule faceless YouTube videos.

**Signing in on this page ("Authorize").** The lock takes a bearer access token:

1. Open `POST /api/v1/auth/login`, *Try it out*, and send your username and password.
   Without multi-factor sign-in the answer carries an `access_token`.
2. With multi-factor sign-in (TOTP) active, the answer is instead
   `{"mfa_required": true, "mfa_token": "...", "expires_in": 300}`. Within 5 minutes,
   open `POST /api/v1/auth/login/mfa` and send `{"mfa_token": "...", "code": "123456"}`
   with the current 6-digit code of your authenticator app (or one of your recovery
   codes, each of which works once). That answer carries the `access_token`.
3. Press *Authorize* and paste the `access_token` (without `Bearer `).

The mfa token itself is refused everywhere else. Five wrong codes in a row lock the
account like five wrong passwords (423 with `Retry-After`) and end the mfa token: sign
in with the password again once the lock has passed.
"""


def docs_csp(nonce: str) -> str:
    """The page's policy: scripts by nonce only, everything else same-origin or nothing."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            # Swagger UI sets style *attributes* from script; <style> elements need the nonce.
            f"style-src 'self' 'nonce-{nonce}'",
            "style-src-attr 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


# Doubled braces are literal braces for str.format; only {nonce} is substituted.
PAGE_TEMPLATE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE} - docs</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script nonce="{{nonce}}" src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script nonce="{{nonce}}">
window.ui = SwaggerUIBundle({{{{
  url: "{OPENAPI_URL}",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  tryItOutEnabled: false
}}}});
</script>
</body>
</html>
"""


def render_page(nonce: str) -> str:
    return PAGE_TEMPLATE.format(nonce=nonce)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str


def static_dir() -> Path:
    """The swagger-ui-py package's copy of the assets, found without importing it."""
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the swagger-ui-py package is not installed")
    return Path(spec.submodule_search_locations[0]) / "static"


def check_assets() -> None:
    """A missing allow-listed asset stops the boot."""
    static = static_dir()
    for name in ASSET_TYPES:
        if not (static / name).is_file():
            raise FileNotFoundError(f"Swagger UI asset missing: {static / name}")


def load_asset(name: str) -> Asset | None:
    """An allow-listed asset, read once per process; None for any other name."""
    return _read_asset(name) if name in ASSET_TYPES else None


@cache  # keyed by allow-listed names only (load_asset), so it stays this small
def _read_asset(name: str) -> Asset:
    return Asset(body=(static_dir() / name).read_bytes(), media_type=ASSET_TYPES[name])


def load_assets() -> Mapping[str, Asset]:
    """Every allow-listed asset (read once per process)."""
    return MappingProxyType({name: _read_asset(name) for name in ASSET_TYPES})


def build_docs_router() -> APIRouter:
    check_assets()
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_PATH)
    async def docs_page() -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        return HTMLResponse(
            render_page(nonce),
            headers={"Content-Security-Policy": docs_csp(nonce), "Cache-Control": "no-store"},
        )

    @router.get(f"{ASSETS_PATH}/{{name}}")
    async def docs_asset(name: str) -> Response:
        asset = load_asset(name)
        if asset is None:
            raise not_found("asset")
        return Response(
            asset.body,
            media_type=asset.media_type,
            headers={"Cache-Control": ASSET_CACHE_CONTROL},
        )

    return router
