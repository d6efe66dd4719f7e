"""Our CSP parser and the Observatory's own (``cspParser.js``) agree, case by case.

The engine's parser runs in Node on the same policy lists (``csp_parse.mjs``); both must
produce the same directives and sources, and fail on the same inputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from faceless.posture.observatory.csp_parser import CspParseError, parse_csp
from tests.security.observatory import PACKAGE, ROOT

DRIVER = Path(__file__).with_name("csp_parse.mjs")

CASES: list[list[str]] = [
    ["default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
    ["default-src 'self'; script-src 'self' 'nonce-AbC'; style-src 'self' 'nonce-AbC'"],
    ["DEFAULT-SRC 'SELF' HTTPS://A.EXAMPLE"],
    ["script-src"],
    ["script-src 'self'; script-src 'none'"],
    ["report-uri /a; report-uri /b; default-src 'none'"],
    ["img-src"],
    ["abc"],
    [""],
    ["default-src https://a.example https://a.example/x https://a.example/xy"],
    ["default-src 'self' https://a.example/x/", "default-src https://a.example/x/y 'none'"],
    ["default-src https://a.example/a%20b", "default-src https://a.example/a%20b"],
    ["default-src https://a.example/%E0%A4%A", "default-src https://a.example/x"],
    ["script-src 'self'", "script-src 'self' https:", "object-src 'none'"],
    ["default-src 'self' data: blob:; img-src * data:;\r\n style-src 'unsafe-inline'"],
    ["default-src 'none';;; script-src 'self'  ;"],
    ["default-src *.example.com *.example.com/js https://*.example.com"],
    ["default-src 'none'", "img-src 'self'"],
]


def _engine(cases: list[list[str]]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None or not PACKAGE.is_dir():
        pytest.fail("node and the npm package are needed (see tests/security/observatory.py)")
    completed = subprocess.run(
        [node, str(DRIVER)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    results: list[dict[str, object]] = json.loads(completed.stdout)
    return results


def _ours(policies: list[str]) -> dict[str, object]:
    try:
        parsed = parse_csp(policies)
    except CspParseError:
        return {"error": True}
    return {"policy": {directive: sorted(sources) for directive, sources in parsed.items()}}


def test_same_parse_as_the_engine() -> None:
    expected = _engine(CASES)
    assert [_ours(case) for case in CASES] == expected
