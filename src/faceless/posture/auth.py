"""Authentication and limits, probed without credentials and without locking anyone out.

Every login attempt uses a fresh random username (none can exist, and the lockout
counts per username), so the only budget spent is the prober's own address's login
tier: at most the documented budget plus one attempt. Tokens are forged here, never
obtained.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import time

from faceless.posture.model import CheckResult
from faceless.posture.observatory.html import scripts
from faceless.posture.probe import Probe, describe, random_name
from faceless.posture.weights import failed, passed, skipped, verdict, warned
from faceless.posture.wire import Response

LOGIN_PATH = "/api/v1/auth/login"
PROTECTED_PATH = "/api/v1/videos"
# API.md: the login tier is 5 per minute per client; the 6th attempt must be a 429.
DOCUMENTED_LOGIN_BUDGET = 5
LIMIT_HEADERS = ("ratelimit-policy", "ratelimit", "x-ratelimit-limit", "ratelimit-limit")
_REVEALING = re.compile(
    r"no such user|unknown user|user not found|does not exist|doesn't exist|wrong password"
    r"|incorrect password|not registered",
    re.IGNORECASE,
)
_IDS = re.compile(r"[0-9a-f]{32}|[0-9a-f-]{36}|posture-login-[0-9a-f]+", re.IGNORECASE)


def login_attempts(probe: Probe) -> list[Response | str]:
    """Failed logins until the first 429, at most the documented budget plus one."""
    answers: list[Response | str] = []
    for _ in range(DOCUMENTED_LOGIN_BUDGET + 1):
        body = json.dumps(
            {"username": random_name("posture-login"), "password": secrets.token_urlsafe(18)}
        ).encode()
        answer = probe.send(
            LOGIN_PATH, "POST", headers=[("Content-Type", "application/json")], body=body
        )
        answers.append(answer)
        if isinstance(answer, str) or answer.status == 429:
            break
    return answers


def login_generic_check(answers: list[Response | str]) -> CheckResult:
    if answers and isinstance(answers[0], Response) and answers[0].status == 429:
        retry = answers[0].first("retry-after")
        return skipped(
            "auth.login_generic",
            f"login already rate limited before this run (Retry-After {retry}): rerun later",
        )
    tried = [a for a in answers if not (isinstance(a, Response) and a.status == 429)]
    statuses = ", ".join(describe(a) for a in tried)
    responses = [a for a in tried if isinstance(a, Response)]
    if len(responses) != len(tried) or any(a.status != 401 for a in responses):
        return failed("auth.login_generic", f"POST {LOGIN_PATH} with unknown users: {statuses}")
    revealing = [a.text for a in responses if _REVEALING.search(a.text)]
    bodies = {_IDS.sub("<id>", a.text) for a in responses}
    shown = responses[0].text[:160]
    if revealing or len(bodies) > 1:
        return failed("auth.login_generic", f"401s that tell accounts apart: {shown}")
    return passed("auth.login_generic", f"401 x{len(responses)}, one generic body: {shown}")


def login_rate_limit_check(answers: list[Response | str]) -> CheckResult:
    limited = next(
        (i for i, a in enumerate(answers) if isinstance(a, Response) and a.status == 429), None
    )
    statuses = ", ".join(describe(a) for a in answers)
    budget = f"documented budget {DOCUMENTED_LOGIN_BUDGET}/minute"
    if limited is None:
        return failed(
            "auth.login_rate_limit", f"no 429 after {len(answers)} attempts ({budget}): {statuses}"
        )
    answer = answers[limited]
    assert isinstance(answer, Response)
    retry = answer.first("retry-after")
    limits = [f"{name}: {answer.first(name)}" for name in LIMIT_HEADERS if answer.first(name)]
    evidence = f"429 at attempt {limited + 1} ({budget}); Retry-After {retry or 'absent'}; " + (
        "; ".join(limits) or "no limit headers"
    )
    if retry is None or not limits:
        return warned("auth.login_rate_limit", evidence)
    return passed("auth.login_rate_limit", evidence)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_tokens(origin: str) -> dict[str, str]:
    """An unsigned (``alg: none``) token and one signed with a key the server never had."""
    now = int(time.time())
    claims = {
        "sub": random_name("posture-user"),
        "iss": origin,
        "aud": "faceless-api",
        "iat": now,
        "exp": now + 300,
        "role": "admin",
    }
    payload = _b64(json.dumps(claims).encode())
    unsigned = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + payload + "."
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signature = hmac.new(secrets.token_bytes(32), f"{header}.{payload}".encode(), hashlib.sha256)
    return {
        "alg:none": unsigned,
        "forged HS256": f"{header}.{payload}.{_b64(signature.digest())}",
    }


def forged_tokens_check(probe: Probe) -> CheckResult:
    seen, ok = [], True
    for label, token in forged_tokens(probe.target.origin).items():
        answer = probe.send(PROTECTED_PATH, headers=[("Authorization", f"Bearer {token}")])
        challenge = "" if isinstance(answer, str) else answer.first("www-authenticate") or ""
        refused = isinstance(answer, Response) and answer.status == 401
        ok = ok and refused and challenge.lower().startswith("bearer")
        seen.append(f"{label}: {describe(answer)}, WWW-Authenticate {challenge or 'absent'}")
    return verdict("auth.forged_tokens", ok, f"GET {PROTECTED_PATH} " + "; ".join(seen))


def metrics_check(probe: Probe, *, metrics_allow: list[str] | None) -> CheckResult:
    answer = probe.send("/metrics")
    if isinstance(answer, str) or answer.status in (401, 403, 404):
        return passed("auth.metrics", f"GET /metrics: {describe(answer)}")
    if answer.status != 200:
        return failed("auth.metrics", f"GET /metrics: {answer.status}")
    local = ipaddress.ip_address(answer.local_address.split("%")[0])
    if not local.is_loopback:
        return failed("auth.metrics", f"GET /metrics from {local}: 200 (public)")
    if metrics_allow is None:
        return warned(
            "auth.metrics",
            f"GET /metrics from {local} (loopback): 200; cannot tell an allow-list from public "
            "access here: run with --local",
        )
    allowed = ", ".join(metrics_allow)
    loopback_only = all(_is_loopback(entry) for entry in metrics_allow)
    return verdict(
        "auth.metrics",
        loopback_only,
        f"GET /metrics from {local} (loopback): 200; METRICS_ALLOW={allowed}",
    )


def _is_loopback(entry: str) -> bool:
    try:
        network = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False
    return network.network_address.is_loopback and network.broadcast_address.is_loopback


def docs_nonce_check(probe: Probe) -> CheckResult:
    first, second = probe.send("/docs"), None
    if isinstance(first, str) or first.status in (401, 403, 404):
        return skipped("auth.docs_nonce", f"GET /docs: {describe(first)} (no docs page served)")
    if first.status != 200:
        return failed("auth.docs_nonce", f"GET /docs: {first.status}")
    second = probe.send("/docs")
    nonces = [_nonces(first), _nonces(second) if isinstance(second, Response) else set()]
    page = scripts(first.text)
    unbound = [s for s in page if not s.nonce or s.nonce not in nonces[0]]
    evidence = f"{len(page)} <script> elements; script-src nonces {sorted(nonces[0]) or 'none'}"
    if not page:
        return passed("auth.docs_nonce", "no <script> on the docs page")
    if unbound:
        return failed(
            "auth.docs_nonce",
            f"{len(unbound)} of {len(page)} scripts carry no CSP nonce; {evidence}",
        )
    if nonces[0] & nonces[1]:
        return failed("auth.docs_nonce", f"the same nonce on two answers; {evidence}")
    return passed(
        "auth.docs_nonce", f"every script nonce-bound, a fresh nonce per answer; {evidence}"
    )


def _nonces(answer: Response) -> set[str]:
    """The nonces script-src allows, as written (nonces are case-sensitive)."""
    directives: dict[str, list[str]] = {}
    for entry in (answer.first("content-security-policy") or "").split(";"):
        if tokens := entry.split():
            directives.setdefault(tokens[0].lower(), tokens[1:])
    sources = directives.get("script-src") or directives.get("default-src") or []
    if {s.lower() for s in sources} & {"'unsafe-eval'", "*", "https:", "http:", "data:"}:
        return set()
    return {s[len("'nonce-") : -1] for s in sources if s.startswith("'nonce-") and s.endswith("'")}
