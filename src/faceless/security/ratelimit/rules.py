"""Rate-limit tiers and which route each request falls under.

A tier belongs to a route *template*: ``GET /api/v1/jobs/{id}`` is one budget for
all ids, so a client cannot multiply its budget by varying a path parameter.
The table is compiled once at start-up; a malformed override stops the boot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.routing import compile_path

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    limit: int
    window_seconds: int
    fail_open: bool

    @property
    def policy_header(self) -> str:
        return f'"{self.name}";q={self.limit};w={self.window_seconds}'


def parse_rate(text: str) -> tuple[int, int]:
    """``"5/minute"`` → (5, 60); ``"100/10 seconds"`` → (100, 10)."""
    match = _RATE.match(text)
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"invalid rate {text!r}; use e.g. 5/minute")
    multiplier = int(match.group(2) or 1)
    return int(match.group(1)), multiplier * _UNITS[match.group(3)]


# (method, template, tier) — SPEC.md's table. None means unlimited.
ROUTE_TIERS: tuple[tuple[str, str, str | None], ...] = (
    ("POST", "/api/v1/auth/login", "login"),
    # The second sign-in step draws on the same budget: one sign-in, one tier.
    ("POST", "/api/v1/auth/login/mfa", "login"),
    ("POST", "/api/v1/auth/refresh", "refresh"),
    ("POST", "/api/v1/transcribe", "transcribe"),
    ("GET", "/api/v1/videos", "videos"),
    ("POST", "/api/v1/analyze", "analyze"),
    ("GET", "/api/v1/jobs/{id}", "jobs"),
    ("GET", "/api/v1/jobs/{id}/result", "jobs"),
    ("DELETE", "/api/v1/jobs/{id}", "jobs-delete"),
    ("POST", "/api/v1/schedule", "schedule"),
    ("*", "/health", None),
    ("*", "/health/ready", None),
    ("*", "/api/v1/health", None),
    ("*", "/api/v1/health/ready", None),
    ("*", "/metrics", None),
)

DEFAULT_RATES = {
    "login": "5/minute",
    "refresh": "5/minute",
    "transcribe": "10/minute",
    "videos": "60/minute",
    "analyze": "60/minute",
    "jobs": "30/minute",
    "jobs-delete": "30/minute",
    "schedule": "10/minute",
    "default": "120/minute",
}
DEFAULT_FAIL_CLOSED = frozenset({"login", "refresh"})


@dataclass(frozen=True, slots=True)
class RateLimitRules:
    exact: dict[tuple[str, str], Tier | None]
    patterns: tuple[tuple[str, re.Pattern[str], Tier | None], ...]
    default: Tier

    def tier_for(self, method: str, path: str) -> Tier | None:
        for key in ((method, path), ("*", path)):
            if key in self.exact:
                return self.exact[key]
        for rule_method, pattern, tier in self.patterns:
            if rule_method in (method, "*") and pattern.match(path):
                return tier
        return self.default


def build_rules(
    overrides: Mapping[str, str] | None = None, fail_closed: frozenset[str] = DEFAULT_FAIL_CLOSED
) -> RateLimitRules:
    rates = {**DEFAULT_RATES, **(overrides or {})}
    unknown = set(rates) - set(DEFAULT_RATES)
    if unknown:
        raise ValueError(f"unknown rate-limit tiers: {', '.join(sorted(unknown))}")
    tiers = {}
    for name, text in rates.items():
        limit, window = parse_rate(text)
        tiers[name] = Tier(name, limit, window, fail_open=name not in fail_closed)
    exact: dict[tuple[str, str], Tier | None] = {}
    patterns: list[tuple[str, re.Pattern[str], Tier | None]] = []
    for method, template, tier_name in ROUTE_TIERS:
        tier = tiers[tier_name] if tier_name else None
        if "{" in template:
            regex, _, _ = compile_path(template)
            patterns.append((method, regex, tier))
        else:
            exact[(method, template)] = tier
    return RateLimitRules(exact=exact, patterns=tuple(patterns), default=tiers["default"])
