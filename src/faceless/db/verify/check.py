"""The result of one hardening check: a named PASS, FAIL or SKIP with its evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.db.encryption import DataProtection
from faceless.settings import Settings

__all__ = ["Check", "Status", "VerifyTarget", "db_error", "format_check", "passed_if"]


class VerifyTarget(Protocol):
    """The database to verify, as the process sees it (the runtime container)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def data_protection(self) -> DataProtection: ...


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    evidence: str


def format_check(check: Check) -> str:
    return f"{check.status.value:<5} {check.name:<22} {check.evidence}"


def passed_if(name: str, passed: bool, evidence: str) -> Check:
    return Check(name, Status.PASS if passed else Status.FAIL, evidence)


def db_error(exc: BaseException) -> str:
    """The server's message without the driver's class-name prefix or the statement."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return re.sub(r"^<class '[\w.]+'>:\s*", "", message)
