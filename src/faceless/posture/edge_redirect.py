"""``edge.redirect``: the plain-HTTP listener sends every request to HTTPS on the
configured host, and no request can steer where (a forged ``Host``, a ``//host`` path)."""

from __future__ import annotations

from urllib.parse import urlsplit

from faceless.posture.model import CheckResult
from faceless.posture.probe import FOREIGN_HOST, Probe
from faceless.posture.weights import failed, passed
from faceless.posture.wire import Response

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _lands_on_target(probe: Probe, answer: Response | str) -> tuple[bool, str]:
    """Whether ``answer`` redirects to HTTPS on the target, and what it did, in words."""
    if isinstance(answer, str):
        return False, answer
    location = answer.first("location")
    if answer.status not in REDIRECTS or not location:
        return False, f"{answer.status} without a redirect (no redirect to HTTPS)"
    parts = urlsplit(location)
    target = probe.target
    try:
        port = parts.port or 443
    except ValueError:
        return False, f"{answer.status} to {location} (not a valid URL)"
    if parts.scheme != "https":
        return False, f"{answer.status} to {location} (not HTTPS)"
    # An https target's origin is known exactly; a plain-HTTP one only names the host.
    if parts.hostname != target.host or (target.https and port != target.port):
        expected = target.origin if target.https else f"https://{target.host}"
        return False, f"{answer.status} to {location} (not {expected})"
    return True, f"{answer.status} to {location}"


def redirect_check(probe: Probe) -> CheckResult:
    target = probe.target
    listener = target.http_origin or target.origin
    plain = probe.send("/health", origin=listener)
    if isinstance(plain, str) and target.https and not target.http_origin_given:
        return passed("edge.redirect", f"no plain-HTTP listener at {listener}: nothing to redirect")
    ok, seen = _lands_on_target(probe, plain)
    if not ok:
        return failed("edge.redirect", f"GET {listener}/health: {seen}")
    forged = probe.send(
        "/health", origin=listener, host_header=False, headers=[("Host", FOREIGN_HOST)]
    )
    forged_ok, forged_seen = _lands_on_target(probe, forged)
    slashes = probe.send(f"//{FOREIGN_HOST}/x", origin=listener)
    slashes_ok, slashes_seen = _lands_on_target(probe, slashes)
    evidence = (
        f"GET {listener}/health: {seen}; with Host: {FOREIGN_HOST}: {forged_seen}; "
        f"GET //{FOREIGN_HOST}/x: {slashes_seen}"
    )
    if not (forged_ok and slashes_ok):
        return failed("edge.redirect", f"the redirect can be steered off the target: {evidence}")
    return passed("edge.redirect", evidence)
