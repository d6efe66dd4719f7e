"""The size bound of the in-process memories: the oldest insertion goes first."""

from __future__ import annotations

from faceless.bounded import put_bounded


def test_the_oldest_insertion_goes_when_full() -> None:
    memory: dict[str, int] = {}
    for n, key in enumerate("abcd"):
        put_bounded(memory, key, n, limit=3)
    assert memory == {"b": 1, "c": 2, "d": 3}


def test_storing_a_held_key_again_makes_it_the_newest_without_dropping_another() -> None:
    memory = {"a": 0, "b": 1, "c": 2}
    put_bounded(memory, "a", 10, limit=3)
    assert list(memory.items()) == [("b", 1), ("c", 2), ("a", 10)]
    put_bounded(memory, "d", 3, limit=3)
    assert list(memory) == ["c", "a", "d"]
