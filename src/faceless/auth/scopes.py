"""The scopes an API token can carry, and which of them each role may hold.

A request made with an API token needs the route's scope in the token *and* in what
the owner's current role allows (so a demoted owner's write scopes stop at once,
whatever the token says). Session tokens carry no scopes: their role decides alone.
"""

from __future__ import annotations

from faceless.models import Role

VIDEOS_READ = "videos:read"
VIDEOS_WRITE = "videos:write"
ANALYZE = "analyze"
TRANSCRIBE = "transcribe"
JOBS_READ = "jobs:read"
JOBS_WRITE = "jobs:write"
SCHEDULE_READ = "schedule:read"
SCHEDULE_WRITE = "schedule:write"

SCOPES = (
    VIDEOS_READ,
    VIDEOS_WRITE,
    ANALYZE,
    TRANSCRIBE,
    JOBS_READ,
    JOBS_WRITE,
    SCHEDULE_READ,
    SCHEDULE_WRITE,
)
# What a viewer may do with a password session: read, and analyse text.
_VIEWER_SCOPES = frozenset({VIDEOS_READ, ANALYZE, JOBS_READ, SCHEDULE_READ})
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.VIEWER: _VIEWER_SCOPES,
    Role.EDITOR: frozenset(SCOPES),
    Role.ADMIN: frozenset(SCOPES),
}


def allowed_scopes(role: Role) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())
