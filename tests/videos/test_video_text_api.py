"""Video text refuses control characters on both databases (API.md "Text fields").

A NUL used to be a 500 on PostgreSQL (with the SQL parameters in the log) and stored
as is on SQLite. Line breaks and tabs are fine in ``description`` and ``script`` only.
"""

from __future__ import annotations

from typing import Any

import pytest

from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts

VIDEOS = "/api/v1/videos"
ANALYZE = "/api/v1/analyze"
CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]
LINE_BREAKS = ["\n", "\r", "\t"]


def bodies_with(character: str) -> list[dict[str, Any]]:
    """A body per text field with ``character`` inside that field."""
    return [
        {"title": f"A{character}B"},
        {"title": "ok", "description": f"one{character}two"},
        {"title": "ok", "script": f"{character}"},
        {"title": "ok", "tags": ["fine", f"tag{character}"]},
    ]


@pytest.mark.parametrize("character", CONTROL)
async def test_control_characters_are_a_422_and_change_nothing(
    accounts: Accounts, services: Runtime, character: str
) -> None:
    auth = await accounts.headers("writer")
    video = (await accounts.client.post(VIDEOS, headers=auth, json={"title": "Mine"})).json()
    before = await snapshot(services)
    for body in bodies_with(character):
        created = assert_problem(await accounts.client.post(VIDEOS, headers=auth, json=body), 422)
        assert "control characters" in created["errors"][0]["msg"]
        patch = {key: value for key, value in body.items() if key != "title" or len(body) == 1}
        assert_problem(
            await accounts.client.patch(f"{VIDEOS}/{video['id']}", headers=auth, json=patch), 422
        )
        analyzed = assert_problem(
            await accounts.client.post(ANALYZE, headers=auth, json={"script": "fine", **body}),
            422,
        )
        assert "control characters" in analyzed["errors"][0]["msg"]
    assert await snapshot(services) == before


@pytest.mark.parametrize("character", LINE_BREAKS)
async def test_line_breaks_only_in_description_and_script(
    accounts: Accounts, services: Runtime, character: str
) -> None:
    auth = await accounts.headers("poet")
    before = await snapshot(services)
    for body in (bodies_with(character)[0], bodies_with(character)[3]):
        assert_problem(await accounts.client.post(VIDEOS, headers=auth, json=body), 422)
    assert await snapshot(services) == before
    text = f"line one{character}line two\r\n\tindented"
    created = await accounts.client.post(
        VIDEOS, headers=auth, json={"title": "Verse", "description": text, "script": text}
    )
    assert created.status_code == 201, created.text
    fetched = (await accounts.client.get(created.headers["location"], headers=auth)).json()
    assert fetched["description"] == text and fetched["script"] == text


async def test_other_unicode_is_text_like_any_other(accounts: Accounts) -> None:
    # Only C0 and DEL are refused: accents, emoji, U+00A0 and U+2028 are stored as sent.
    auth = await accounts.headers("unicoder")
    title = "Café ☕ \u00a0naïve \u2028 \U0001f600"
    created = await accounts.client.post(VIDEOS, headers=auth, json={"title": title})
    assert created.status_code == 201, created.text
    assert created.json()["title"] == title
