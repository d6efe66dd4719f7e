"""Publisher credentials kept in the database, encrypted like every other secret column.

Design:

* One row per (provider, account); ``credentials`` is an :class:`EncryptedText` column
  holding the provider's OAuth values as a JSON document, sealed with AES-GCM and bound
  to its row (a ciphertext copied to another row fails to open). Only envelopes reach
  SQL parameters; the model's repr names the account, never the values.
* The shape is checked before anything is written (and again when read back): for
  YouTube exactly ``client_id``, ``client_secret`` and ``refresh_token``, each a
  non-empty string. Error messages name keys, never values; unexpected keys are only
  counted, since a value pasted in the wrong place would otherwise be echoed.
* Publishing uses one account per provider for now: the most recently updated one.
* Setting credentials is audited (``publisher.credentials_set``, target
  ``publisher:<provider>/<account>``); reading them is not, like any other column.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.models import PublisherCredential
from faceless.publishing import repository

# The OAuth values each provider needs, in a stable order.
PROVIDER_KEYS: Mapping[str, tuple[str, ...]] = {
    "youtube": ("client_id", "client_secret", "refresh_token"),
}
MAX_ACCOUNT = 100
MAX_VALUE = 4096


class CredentialsError(ValueError):
    """Credentials were refused; the message names keys and never holds a value."""


def _check_provider(provider: str) -> tuple[str, ...]:
    keys = PROVIDER_KEYS.get(provider)
    if keys is None:
        raise CredentialsError(
            f"unknown publisher {provider[:32]!r}; known: {', '.join(sorted(PROVIDER_KEYS))}"
        )
    return keys


def _check_account(account: str) -> str:
    account = account.strip()
    if not account or len(account) > MAX_ACCOUNT or not account.isprintable():
        raise CredentialsError(f"the account name must be 1 to {MAX_ACCOUNT} printable characters")
    return account


def validate_credentials(provider: str, values: object) -> dict[str, str]:
    """``values`` as the provider's credential document, or a :class:`CredentialsError`."""
    keys = _check_provider(provider)
    wanted = ", ".join(keys)
    if not isinstance(values, Mapping):
        raise CredentialsError(f"{provider} credentials must be a JSON object with {wanted}")
    problems = []
    if missing := [key for key in keys if key not in values]:
        problems.append("missing " + ", ".join(missing))
    if extra := [key for key in values if key not in keys]:
        problems.append(f"{len(extra)} unexpected key(s) (only {wanted} are allowed)")
    for key in keys:
        value = values.get(key)
        if key in values and not (isinstance(value, str) and value.strip()):
            problems.append(f"{key} must be a non-empty string")
        elif isinstance(value, str) and len(value) > MAX_VALUE:
            problems.append(f"{key} is longer than {MAX_VALUE} characters")
    if problems:
        raise CredentialsError(f"invalid {provider} credentials: " + "; ".join(problems))
    return {key: values[key] for key in keys}


def parse_credentials(provider: str, document: str | bytes) -> dict[str, str]:
    """A JSON document (as read from standard input) checked for ``provider``."""
    _check_provider(provider)
    try:
        values = orjson.loads(document)
    except orjson.JSONDecodeError as exc:
        # Position only: orjson's message could quote part of the document.
        raise CredentialsError(
            f"{provider} credentials are not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    return validate_credentials(provider, values)


async def set_credentials(
    session: AsyncSession,
    *,
    provider: str,
    account: str,
    values: Mapping[str, str],
    actor_id: uuid.UUID | None,
    ctx: RequestContext | None,
) -> PublisherCredential:
    """Insert or replace the credentials of ``provider``/``account`` (flushes, no commit)."""
    account = _check_account(account)
    document = orjson.dumps(validate_credentials(provider, values)).decode()
    row = await repository.find(session, provider=provider, account=account)
    if row is None:
        row = PublisherCredential(
            id=uuid.uuid4(), provider=provider, account=account, credentials=document
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # Set concurrently for the same account: replace what the other one wrote.
            row = await repository.find(session, provider=provider, account=account)
            assert row is not None  # the concurrent insert committed it
            _replace(row, document)
    else:
        _replace(row, document)
    await session.flush()
    # New credentials: whatever the provider said about the old ones no longer holds.
    await repository.set_status(session, provider, account, invalid_at=None, detail=None)
    await record(
        session,
        action="publisher.credentials_set",
        actor_id=actor_id,
        target=f"publisher:{provider}/{account}",
        ctx=ctx,
    )
    return row


def _replace(row: PublisherCredential, document: str) -> None:
    row.credentials = document
    # Also when the values are unchanged: the most recently set account is the one used.
    row.updated_at = utcnow()


async def get_credentials(session: AsyncSession, provider: str) -> dict[str, str] | None:
    """The decrypted credentials of the most recently updated ``provider`` account."""
    _check_provider(provider)
    row = await repository.newest(session, provider)
    if row is None:
        return None
    # The load event has opened the envelope (a DecryptionError names the row if not).
    return parse_credentials(provider, row.credentials)


async def get_account(session: AsyncSession, provider: str) -> tuple[str, dict[str, str]] | None:
    """The most recently updated ``provider`` account's name and decrypted credentials."""
    _check_provider(provider)
    row = await repository.newest(session, provider)
    if row is None:
        return None
    return row.account, parse_credentials(provider, row.credentials)
