"""The engine keeps bound values out of error messages (and so out of the 500's log)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from faceless.db.engine import create_engine

VALUE = "QuokkaParameterValue"


async def test_a_failed_statement_does_not_carry_its_parameters(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as caught:
                await connection.execute(
                    text("INSERT INTO no_such_table (x) VALUES (:value)"), {"value": VALUE}
                )
    finally:
        await engine.dispose()
    assert "no_such_table" in str(caught.value)
    assert VALUE not in str(caught.value) and VALUE not in repr(caught.value)
