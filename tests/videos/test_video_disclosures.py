"""The disclosure fields YouTube asks for: defaults, validation, "" clearing the language."""

from __future__ import annotations

import pytest

from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts

VIDEOS = "/api/v1/videos"
DEFAULTS = {
    "made_for_kids": False,
    "contains_synthetic_media": False,
    "category_id": "22",
    "default_language": None,
}


async def test_defaults_set_and_clear(accounts: Accounts) -> None:
    auth = await accounts.headers("discloser")
    created = (await accounts.client.post(VIDEOS, headers=auth, json={"title": "t"})).json()
    assert {key: created[key] for key in DEFAULTS} == DEFAULTS
    assert created["media"] is None and created["thumbnail"] is None
    url = f"{VIDEOS}/{created['id']}"
    changes = {
        "made_for_kids": True,
        "contains_synthetic_media": True,
        "category_id": "27",
        "default_language": "zh-Hant-TW",
    }
    patched = await accounts.client.patch(url, headers=auth, json=changes)
    assert patched.status_code == 200, patched.text
    assert {key: patched.json()[key] for key in changes} == changes
    cleared = await accounts.client.patch(url, headers=auth, json={"default_language": ""})
    assert cleared.json()["default_language"] is None
    assert cleared.json()["category_id"] == "27"
    listed = (await accounts.client.get(VIDEOS, headers=auth)).json()["items"]
    assert listed == [cleared.json()]
    made = await accounts.client.post(
        VIDEOS, headers=auth, json={"title": "t2", "default_language": "", "category_id": "1"}
    )
    assert made.status_code == 201
    assert made.json()["default_language"] is None and made.json()["category_id"] == "1"


@pytest.mark.parametrize(
    "body",
    [
        {"made_for_kids": "true"},
        {"made_for_kids": 1},
        {"contains_synthetic_media": None},
        {"category_id": "abc"},
        {"category_id": ""},
        {"category_id": 22},
        {"category_id": "123456789"},
        {"category_id": "\uff12\uff12"},  # fullwidth digits are not ASCII digits
        {"default_language": "en_US"},
        {"default_language": "english language"},
        {"default_language": "e"},
        {"default_language": "en-"},
        {"default_language": None},
        {"default_language": "en\n"},
        {"default_language": "x" * 36},
    ],
)
async def test_invalid_values_are_422_and_change_nothing(
    accounts: Accounts, services: Runtime, body: dict[str, object]
) -> None:
    auth = await accounts.headers("strict")
    created = (await accounts.client.post(VIDEOS, headers=auth, json={"title": "t"})).json()
    before = await snapshot(services)
    assert_problem(
        await accounts.client.patch(f"{VIDEOS}/{created['id']}", headers=auth, json=body), 422
    )
    assert_problem(
        await accounts.client.post(VIDEOS, headers=auth, json={"title": "n", **body}), 422
    )
    assert await snapshot(services) == before
