"""At least one enabled administrator always remains, also under concurrent requests.

Two admins demoting (or disabling) each other at the same moment used to both
succeed and leave no admin at all: each request saw the other admin still there.
Now every change that could remove an admin locks the set of enabled admins first
(rows ``FOR UPDATE`` on PostgreSQL, the write lock on SQLite), so the second change
sees the first and is a 409 that changes nothing. The requests here really are
concurrent: separate database connections, interleaved in one event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from faceless.db.session import transaction
from faceless.models import Role, User
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem
from tests.conftest import Accounts

ROUNDS = 4


async def enabled_admins(services: Runtime) -> set[str]:
    async with transaction(services.sessions) as session:
        rows = await session.scalars(
            select(User.username).where(User.role == Role.ADMIN, User.disabled.is_(False))
        )
        return set(rows)


async def admin(accounts: Accounts, name: str) -> tuple[uuid.UUID, dict[str, str]]:
    user_id = await accounts.create(name, Role.ADMIN)
    token = (await accounts.login(name))["access_token"]
    return user_id, {"Authorization": f"Bearer {token}"}


async def patch(
    client: httpx.AsyncClient, auth: dict[str, str], user_id: uuid.UUID, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"/api/v1/users/{user_id}", headers=auth, json=body)


async def test_two_admins_removing_each_other_at_once_leave_one(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    changes: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"role": "viewer"}, {"role": "editor"}),
        ({"disabled": True}, {"disabled": True}),
        ({"disabled": True}, {"role": "viewer"}),
        ({"role": "viewer", "disabled": True}, {"role": "editor"}),
    ]
    for n, (first_change, second_change) in enumerate(changes[:ROUNDS]):
        # The admins of the previous rounds are gone (or demoted): only this pair counts.
        a_id, a_auth = await admin(accounts, f"alpha{n}")
        b_id, b_auth = await admin(accounts, f"bravo{n}")
        survivors = await enabled_admins(services)
        assert {f"alpha{n}", f"bravo{n}"} <= survivors
        others = survivors - {f"alpha{n}", f"bravo{n}"}
        for name in others:  # earlier survivors step aside so this pair is the last two
            async with transaction(services.sessions) as session:
                user = (await session.scalars(select(User).where(User.username == name))).one()
                user.disabled = True
        results = await asyncio.gather(
            patch(client, a_auth, b_id, first_change), patch(client, b_auth, a_id, second_change)
        )
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 409], [r.text for r in results]
        refused = next(r for r in results if r.status_code == 409)
        assert "administrator" in assert_problem(refused, 409)["detail"]
        assert len(await enabled_admins(services)) == 1


async def test_a_ring_of_three_demotions_leaves_an_admin(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    ring = [await admin(accounts, name) for name in ("ringa", "ringb", "ringc")]
    results = await asyncio.gather(
        *(patch(client, ring[i][1], ring[(i + 1) % 3][0], {"role": "viewer"}) for i in range(3))
    )
    statuses = sorted(r.status_code for r in results)
    remaining = await enabled_admins(services)
    assert len(remaining) >= 1
    # Every 200 removed one admin; nothing else changed them.
    assert len(remaining) == 3 - statuses.count(200)
    assert set(statuses) <= {200, 403, 409}


async def test_demoting_another_admin_is_fine_while_one_remains(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    _a_id, a_auth = await admin(accounts, "keeper")
    b_id, _b_auth = await admin(accounts, "leaver")
    response = await patch(client, a_auth, b_id, {"role": "editor"})
    assert response.status_code == 200 and response.json()["role"] == "editor"
    assert await enabled_admins(services) == {"keeper"}
