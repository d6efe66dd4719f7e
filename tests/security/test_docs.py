"""The API docs page: local assets, a fresh script nonce per response, a strict CSP."""

from __future__ import annotations

import re

import httpx
import pytest

from faceless.api.docs import ASSET_TYPES
from faceless.settings import Settings
from tests.conftest import running_app
from tests.security.test_headers import EXPECTED

NONCE_ATTR = re.compile(r"<script\b[^>]*\bnonce=\"([^\"]+)\"")
SCRIPT_TAG = re.compile(r"<script\b[^>]*>")


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            assert tokens[0] not in directives, f"duplicate directive {tokens[0]}"
            directives[tokens[0]] = tokens[1:]
    return directives


def header_count(response: httpx.Response, name: str) -> int:
    return [k.decode().lower() for k, _ in response.headers.raw].count(name)


async def test_page_scripts_carry_a_fresh_nonce_matching_the_csp(client: httpx.AsyncClient) -> None:
    first = await client.get("/docs")
    second = await client.get("/docs")
    nonces = []
    for response in (first, second):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        html = response.text
        tags = SCRIPT_TAG.findall(html)
        assert len(tags) == 2  # the bundle and the init script
        found = {m.group(1) for m in NONCE_ATTR.finditer(html)}
        assert len(found) == 1 and len(NONCE_ATTR.findall(html)) == len(tags)
        nonce = found.pop()
        assert len(nonce) >= 22  # 16 random bytes, URL-safe base64
        script_src = csp_directives(response.headers["content-security-policy"])["script-src"]
        assert script_src == [f"'nonce-{nonce}'"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


async def test_page_loads_only_local_assets_and_the_local_schema(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/docs")).text
    assert 'src="/docs/assets/swagger-ui-bundle.js"' in html
    assert 'href="/docs/assets/swagger-ui.css"' in html
    assert 'url: "/openapi.json"' in html
    assert "://" not in html  # no external host
    assert not re.search(r"""(?:src|href|url)\s*[=:]\s*["']//""", html)  # nor a scheme-relative one
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers


async def test_csp_is_strict(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    policy = response.headers["content-security-policy"]
    directives = csp_directives(policy)
    assert directives["default-src"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]
    # Inline scripts never; inline style attributes only (Swagger UI sets them from script).
    nonce = directives["script-src"][0]
    assert directives["style-src"] == ["'self'", nonce]
    assert directives["style-src-attr"] == ["'unsafe-inline'"]
    for name, sources in directives.items():
        for source in sources:
            assert source != "*", name
            assert source not in ("'unsafe-eval'", "'wasm-unsafe-eval'", "'strict-dynamic'")
            assert source != "'unsafe-inline'" or name == "style-src-attr", name
            # Only keywords, nonces and data: for images: no host, no scheme wildcard.
            allowed = source.startswith("'") or (name == "img-src" and source == "data:")
            assert allowed, (name, source)
    assert response.headers["cache-control"] == "no-store"


async def test_every_security_header_is_present_exactly_once(client: httpx.AsyncClient) -> None:
    paths = ["/docs", *(f"/docs/assets/{name}" for name in ASSET_TYPES), "/docs/assets/nope.js"]
    for path in paths:
        response = await client.get(path)
        for name, value in EXPECTED.items():
            assert header_count(response, name) == 1, (path, name)
            assert response.headers[name] == value, (path, name)
        for name in (
            "content-security-policy",
            "permissions-policy",
            "cache-control",
            "x-request-id",
            "x-permitted-cross-domain-policies",
        ):
            assert header_count(response, name) == 1, (path, name)
        assert header_count(response, "strict-transport-security") == 0  # plain HTTP here
        assert "server" not in response.headers


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
    ],
)
async def test_assets_are_served_with_their_types(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await client.get(f"/docs/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "public, max-age=86400, immutable"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.content) > 1000 or name.endswith(".png")
    if name.endswith(".js"):
        assert b"SwaggerUIBundle" in response.content
    if name.endswith(".png"):
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    "path",
    [
        "/docs/assets/nope.js",
        "/docs/assets/swagger-ui.js",  # in the package, not on the allow-list
        "/docs/assets/swagger-ui-bundle.js.map",
        "/docs/assets/..%2f..%2fsettings.py",
        "/docs/assets/..%2f__init__.py",
        "/docs/assets/%2e%2e%2fswagger-ui.css",
        "/docs/assets/../../settings.py",
    ],
)
async def test_unknown_or_traversing_asset_names_are_404(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
    assert b"import" not in response.content and b"SwaggerUI" not in response.content


async def test_docs_are_public_and_hidden_from_the_schema(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200  # no Authorization header
    schema = (await client.get("/openapi.json")).json()
    assert not any(path.startswith("/docs") for path in schema["paths"])
    assert schema["info"]["title"] == "FacelessYouTube API"


async def test_the_schema_tells_an_mfa_user_how_to_authorize(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    description = schema["info"]["description"]
    for step in ("/api/v1/auth/login", "/api/v1/auth/login/mfa", "mfa_token", "Authorize"):
        assert step in description
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    answer = login["responses"]["200"]["content"]["application/json"]["schema"]
    named = {ref["$ref"].rsplit("/", 1)[-1] for ref in answer["anyOf"]}
    assert named == {"TokenResponse", "MfaChallenge"}
    second = schema["paths"]["/api/v1/auth/login/mfa"]["post"]
    assert "security" not in second  # public: it runs on the mfa token in its body
    bearer = schema["components"]["securitySchemes"]["HTTPBearer"]
    assert "/api/v1/auth/login/mfa" in bearer["description"]


async def test_docs_can_be_switched_off(settings: Settings) -> None:
    http = settings.http.model_copy(update={"docs_enabled": False})
    async with running_app(settings.model_copy(update={"http": http})) as (_, client):
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/docs/assets/swagger-ui.css")).status_code == 404
