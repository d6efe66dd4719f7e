"""The numbers and the count behind the bounds: settings, the open-file cap, the ledger."""

from __future__ import annotations

import pickle
import resource
import threading

import pytest

from faceless.security.http_bounds import (
    FD_RESERVE,
    BoundedHttp,
    ConnectionLedger,
    RequestBounds,
    open_file_limit,
)
from faceless.settings import HttpSettings


def test_bounds_come_from_the_settings() -> None:
    http = HttpSettings(
        max_header_bytes=8192,
        header_timeout_seconds=5,
        body_timeout_seconds=7,
        max_connections=300,
    )
    bounds = RequestBounds.from_settings(http, open_files=10_000)
    assert (bounds.max_header_bytes, bounds.header_timeout, bounds.body_timeout) == (8192, 5, 7)
    assert bounds.max_connections == 300


def test_the_defaults_are_the_contracts() -> None:
    bounds = RequestBounds.from_settings(HttpSettings(), open_files=10_000)
    assert bounds.max_header_bytes == 16 * 1024
    assert bounds.header_timeout == bounds.body_timeout == 30
    assert bounds.max_connections == 1000


def test_connections_never_exceed_the_open_file_limit_minus_the_reserve() -> None:
    bounds = RequestBounds.from_settings(HttpSettings(max_connections=1000), open_files=1024)
    assert bounds.max_connections == 1024 - FD_RESERVE
    assert bounds.max_connections + bounds.standing_room < 1024
    with pytest.raises(ValueError, match="open-file limit"):
        RequestBounds.from_settings(HttpSettings(), open_files=FD_RESERVE)


@pytest.mark.parametrize(
    "name",
    ["MAX_HEADER_BYTES", "HEADER_TIMEOUT_SECONDS", "BODY_TIMEOUT_SECONDS", "MAX_CONNECTIONS"],
)
def test_nonsense_settings_are_refused(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match=name):
        HttpSettings()


def test_the_soft_open_file_limit_is_raised_only_as_far_as_asked() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert open_file_limit(min(soft, 64)) == soft  # never lowered
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard)


def test_the_ledger_seats_as_many_as_allowed_and_admits_a_few_more() -> None:
    ledger = ConnectionLedger(seats=2, standing_room=1)
    assert [ledger.admit() for _ in range(4)] == [True, True, True, False]
    assert [ledger.take_seat() for _ in range(3)] == [True, True, False]
    ledger.release_seat()
    assert ledger.take_seat()
    ledger.leave()
    assert ledger.admit() and not ledger.admit()
    assert (ledger.open, ledger.seated) == (3, 2)


def test_the_ledger_counts_right_across_threads() -> None:
    ledger = ConnectionLedger(seats=10**6, standing_room=0)

    def churn() -> None:
        for _ in range(10_000):
            assert ledger.admit() and ledger.take_seat()
            ledger.release_seat()
            ledger.leave()

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (ledger.open, ledger.seated) == (0, 0)


def test_a_worker_process_gets_the_bounds_and_a_ledger_of_its_own() -> None:
    http = BoundedHttp(RequestBounds(max_connections=5))
    assert http.ledger.admit()
    copy = pickle.loads(pickle.dumps(http))  # what uvicorn's spawned workers receive
    assert copy.bounds == http.bounds
    assert copy.ledger is not http.ledger and copy.ledger.open == 0
