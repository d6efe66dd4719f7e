"""SQL is built only in repositories and the database packages.

SQLAlchemy's SQL constructs (``select``, ``text``, ``func``, ...; see
:data:`tests.static.architecture.SQL_CONSTRUCTS`) may appear only in files named
``repository.py`` and under ``faceless/db/``, ``faceless/migrations/`` and
``faceless/models/``; the checker is exercised on planted files too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.static.architecture import sql_constructs, sql_outside_repositories


def test_sql_is_only_in_repositories_and_database_packages() -> None:
    findings = sql_outside_repositories()
    assert not findings, (
        "SQL constructs outside repository.py, db/, migrations/ and models/:\n  "
        + "\n  ".join(map(str, findings))
        + "\nMove the query into the feature's repository.py."
    )


# -- the checker on planted examples -------------------------------------------------

SERVICE = "from sqlalchemy import select\n\n\ndef query():\n    return select(1)\n"


def _plant(package: Path, relative: str, source: str) -> None:
    path = package / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


def test_a_query_in_a_service_is_flagged(tmp_path: Path) -> None:
    _plant(tmp_path, "videos/service.py", SERVICE)
    findings = sql_outside_repositories(tmp_path)
    assert [str(f) for f in findings] == [
        f"{(tmp_path / 'videos/service.py').as_posix()}:1: imports sqlalchemy.select"
    ]


@pytest.mark.parametrize(
    "relative", ["videos/repository.py", "db/helpers.py", "migrations/versions/0001_x.py"]
)
def test_the_same_query_is_fine_where_sql_belongs(tmp_path: Path, relative: str) -> None:
    _plant(tmp_path, relative, SERVICE)
    assert sql_outside_repositories(tmp_path) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlalchemy as sa\nsa.func.count()\n", ["uses sqlalchemy.func"]),
        ("import sqlalchemy\nsqlalchemy.sql.expression.text('1')\n", ["uses sqlalchemy.sql.expression.text"]),
        ("from sqlalchemy import sql\nsql.and_(a, b)\n", ["uses sqlalchemy.sql.and_"]),
        ("from sqlalchemy.dialects.postgresql import insert\n", ["imports sqlalchemy.dialects.postgresql.insert"]),
        ("from sqlalchemy.dialects import sqlite\nsqlite.insert(t)\n", ["uses sqlalchemy.dialects.sqlite.insert"]),
        ("from sqlalchemy.sql.expression import literal_column as lc\n", ["imports sqlalchemy.sql.expression.literal_column"]),
        ("from sqlalchemy import func, true\n", ["imports sqlalchemy.func", "imports sqlalchemy.true"]),
        ("from sqlalchemy import Select, exc\nfrom sqlalchemy.ext.asyncio import AsyncSession\n", []),
        ("import sqlalchemy.exc\nfrom other import select\nrows.select()\n", []),
    ],
)  # fmt: skip
def test_constructs_are_recognised(source: str, expected: list[str]) -> None:
    assert [f.detail for f in sql_constructs(source, "service.py")] == expected
