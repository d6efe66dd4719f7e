"""The docs page in a real headless Chromium: it renders, and the CSP is never violated.

The real server (``faceless serve``) runs as a subprocess; Playwright drives the
system Chromium (no downloaded browser). CSP violations are collected two ways, both
set up before any page script runs: a ``securitypolicyviolation`` listener reporting
to Python through a binding, and the browser console's CSP errors.

A negative control serves the same page with the init script's nonce removed from a
plain ``http.server``, and asserts the browser *does* report the violation, so the
check is known to bite.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from faceless.api.docs import ASSETS_PATH, docs_csp, load_assets, render_page
from tests.fixtures.ports import free_port
from tests.fixtures.processes import ManagedProcess

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDER_TIMEOUT_MS = 30_000
EXPANDED = (
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/transcribe"),
    ("patch", "/api/v1/videos/{video_id}"),
    ("get", "/api/v1/videos"),
)

# The console wording differs between Chromium versions; both forms are matched.
CONSOLE_CSP = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)

# Runs in every document before the page's own scripts (CDP addScriptToEvaluateOnNewDocument,
# which CSP does not govern) and reports each violation straight to Python.
VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCspViolation({
    directive: e.effectiveDirective,
    blocked: e.blockedURI,
    sample: e.sample,
    source: e.sourceFile,
    line: e.lineNumber,
  });
}, true);
"""


@dataclass
class PageReport:
    violations: list[dict[str, Any]] = field(default_factory=list)
    console_csp: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install the Debian package 'chromium' "
            "(these tests drive the system browser; Playwright downloads none)"
        )
    with sync_playwright() as pw:
        yield pw


@contextmanager
def browser_context(pw: Playwright, profile: Path) -> Iterator[tuple[BrowserContext, PageReport]]:
    """A fresh Chromium profile with CSP reporting wired in before any navigation."""
    context = pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    report = PageReport()

    def on_violation(violation: dict[str, Any]) -> None:
        report.violations.append(violation)

    try:
        context.expose_function("__reportCspViolation", on_violation)
        context.add_init_script(VIOLATION_LISTENER)
        yield context, report
    finally:
        context.close()


def watch(context: BrowserContext, report: PageReport) -> Page:
    page = context.pages[0] if context.pages else context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if CONSOLE_CSP.search(message.text):
            report.console_csp.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: report.page_errors.append(str(error)))
    page.on("requestfailed", lambda request: report.failed_requests.append(request.url))
    page.on("request", lambda request: report.urls.append(request.url))
    return page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("docs-server")
    port = free_port()
    process = ManagedProcess(
        [
            str(Path(sys.executable).with_name("faceless")),
            "serve",
            "--behind-proxy",
            "--port",
            str(port),
        ],
        env={
            "FACELESS_ENV": "development",
            "FACELESS_VAR_DIR": str(tmp / "var"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/x.db",
            "REDIS_URL": None,
        },
        name="faceless-serve",
    )
    with process:
        process.wait_for_line("Initial admin password", timeout=60)
        process.wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"


def test_docs_render_in_chromium_without_csp_violations(
    playwright: Playwright, server: str, tmp_path: Path
) -> None:
    with browser_context(playwright, tmp_path / "profile") as (context, report):
        page = watch(context, report)
        started = time.monotonic()
        response = page.goto(f"{server}/docs", wait_until="load")
        assert response is not None and response.status == 200
        page.wait_for_selector(".opblock", timeout=RENDER_TIMEOUT_MS)
        page.wait_for_selector("h2.title:has-text('FacelessYouTube API')", timeout=5_000)
        rendered_after = time.monotonic() - started
        page.wait_for_load_state("networkidle")
        operations = page.locator(".opblock").count()
        screenshot = tmp_path / "docs.png"
        page.screenshot(path=str(screenshot), full_page=False)

        # Use the page as a person would: open the Authorize dialog, then call GET /health
        # through "Try it out" (a fetch from the page: connect-src 'self' under COEP).
        page.click("button.authorize")
        page.wait_for_selector(".dialog-ux .modal-ux", timeout=5_000)
        page.click(".dialog-ux button.close-modal")
        health = page.locator(".opblock-get").filter(has=page.locator('[data-path="/health"]'))
        health.locator(".opblock-summary").first.click()
        health.locator("button.try-out__btn").first.click()
        health.locator("button.execute").first.click()
        status = health.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=10_000)
        assert status.inner_text().strip() == "200"
        assert '"status": "ok"' in health.locator(".live-responses-table").first.inner_text()
        # Expand a representative set of operations (JSON and form bodies, a multipart
        # upload, path and query parameters) so those views render under the CSP too.
        # Clicked from a script: Playwright's per-click stability wait costs ~1 s each, and
        # expanding all operations costs 10+ s of rendering on a loaded 2-CPU machine.
        controls = ", ".join(
            f'.opblock-{method}:has([data-path="{path}"]) .opblock-summary-control'
            for method, path in EXPANDED
        )
        page.evaluate(
            f"document.querySelectorAll({json.dumps(controls)}).forEach((c) => c.click())"
        )
        bodies = page.locator(".opblock.is-open .opblock-body")
        # (Not wait_for_function with an expression: Playwright evals it in the page, and
        # the CSP rightly refuses eval.)
        bodies.nth(len(EXPANDED)).wait_for(timeout=RENDER_TIMEOUT_MS)
        assert bodies.count() == len(EXPANDED) + 1  # and GET /health
        # Violations are reported asynchronously; let any stragglers arrive.
        page.wait_for_timeout(250)

        print(f"\n/docs rendered {operations} operations in {rendered_after * 1000:.0f} ms")
        csp = response.headers["content-security-policy"]
        assert "'nonce-" in csp and "'unsafe-eval'" not in csp
        assert report.violations == []
        assert report.console_csp == []
        assert report.page_errors == []
        assert report.failed_requests == []
        assert operations >= 10  # the API's operations, not an error box
        assert page.locator(".errors-wrapper").count() == 0
        # Every request stayed on the service itself: no CDN, no external host.
        assert report.urls and all(url.startswith(f"{server}/") for url in report.urls)
        assert {f"{server}/openapi.json", f"{server}{ASSETS_PATH}/swagger-ui-bundle.js"} <= set(
            report.urls
        )
        assert screenshot.stat().st_size > 10_000


class _NoNonceDocs(BaseHTTPRequestHandler):
    """The docs page with the nonce stripped from the inline init script (CSP unchanged)."""

    nonce = "negativecontrol0000000"

    def do_GET(self) -> None:
        assets = load_assets()
        if self.path == "/docs":
            html = render_page(self.nonce)
            marker = f'<script nonce="{self.nonce}">'
            assert html.count(marker) == 1
            body = html.replace(marker, "<script>").encode()
            self._send(200, body, "text/html; charset=utf-8", docs_csp(self.nonce))
        elif self.path.startswith(f"{ASSETS_PATH}/") and (
            asset := assets.get(self.path.removeprefix(f"{ASSETS_PATH}/"))
        ):
            self._send(200, asset.body, asset.media_type, None)
        else:
            self._send(404, b"not found", "text/plain", None)

    def _send(self, status: int, body: bytes, media_type: str, csp: str | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        if csp is not None:
            self.send_header("Content-Security-Policy", csp)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def no_nonce_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NoNonceDocs)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_negative_control_an_inline_script_without_the_nonce_is_refused(
    playwright: Playwright, tmp_path: Path
) -> None:
    with (
        no_nonce_server() as base,
        browser_context(playwright, tmp_path / "profile") as (context, report),
    ):
        page = watch(context, report)
        response = page.goto(f"{base}/docs", wait_until="load")
        assert response is not None and response.status == 200
        page.wait_for_load_state("networkidle")
        deadline = time.monotonic() + 5
        while not (report.violations and report.console_csp) and time.monotonic() < deadline:
            page.wait_for_timeout(50)

        # The nonced bundle ran; the un-nonced init script did not, so nothing rendered.
        assert page.evaluate("typeof window.SwaggerUIBundle") == "function"
        assert page.evaluate("typeof window.ui") == "undefined"
        assert page.locator(".opblock").count() == 0
        assert [v["directive"] for v in report.violations] == ["script-src-elem"]
        assert report.violations[0]["blocked"] == "inline"
        # Chromium 156 words it "Executing inline script violates the following Content
        # Security Policy directive ..."; older versions said "Refused to execute ...".
        assert len(report.console_csp) == 1
        assert "inline script" in report.console_csp[0]
        assert "'nonce-negativecontrol0000000'" in report.console_csp[0]
