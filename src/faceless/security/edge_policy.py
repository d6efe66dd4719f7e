"""Everything the edge middleware needs, validated and built once at start-up.

A bad value (an unparseable proxy network, an unknown rate-limit tier) stops the
boot here with a message naming the setting, never a failing request later.
"""

from __future__ import annotations

from dataclasses import dataclass

from faceless.security import principal_generation
from faceless.security.body_rules import BodyRules, build_body_rules
from faceless.security.headers import HeaderPolicy, build_header_policy
from faceless.security.proxy import ProxyPolicy, build_proxy_policy
from faceless.security.ratelimit.rules import RateLimitRules, build_rules
from faceless.security.ratelimit.storage import MemoryStorage, RateLimitStorage
from faceless.settings import Settings

RATE_LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Policy",
    "RateLimit",
)


@dataclass(frozen=True, slots=True)
class Edge:
    headers: HeaderPolicy
    proxies: ProxyPolicy
    body_rules: BodyRules
    rate_rules: RateLimitRules
    rate_storage: RateLimitStorage


def build_edge(settings: Settings) -> Edge:
    security = settings.security
    if "*" in settings.http.cors_origins:
        raise ValueError("CORS_ORIGINS must list origins; '*' is refused (credentials are allowed)")
    storage: RateLimitStorage = MemoryStorage(
        principal_generation.FileGeneration(settings.paths.var_dir).current
    )
    if settings.redis.url:
        # Imported here: the embedded default never loads redis-py (about 10 MB; issue 11).
        from faceless.security.ratelimit.redis_storage import RedisStorage

        storage = RedisStorage(
            settings.redis.url,
            timeout=settings.redis.socket_timeout,
            generation_key=principal_generation.REDIS_KEY,
        )
    return Edge(
        headers=build_header_policy(
            hsts_max_age=security.hsts_max_age,
            hsts_preload=security.hsts_preload,
            legacy_xss_filter=security.legacy_xss_filter,
        ),
        proxies=build_proxy_policy(settings.http.trusted_proxies),
        body_rules=build_body_rules(
            max_json_bytes=settings.http.max_json_bytes,
            max_upload_bytes=settings.http.max_upload_bytes,
            max_media_bytes=settings.http.max_media_bytes,
        ),
        rate_rules=build_rules(
            security.rate_limit_overrides, frozenset(security.rate_limit_fail_closed)
        ),
        rate_storage=storage,
    )
