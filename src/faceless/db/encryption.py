"""Encrypted columns: sealed in the application, bound to their table, column and row.

Design:

* A column declared with :class:`EncryptedText` stores only AES-GCM envelopes
  (:mod:`faceless.crypto.aead`). The type is also the marker the ORM events below look
  for, and a guard: it refuses to bind anything that is not an envelope, so plaintext can
  never reach the database by a forgotten code path (a Core UPDATE with a raw value fails
  loudly instead of leaking).
* A plain ``TypeDecorator`` cannot see the row id that the associated data must carry,
  nor the keyring. So the ORM attribute keeps the *plaintext* in Python, and mapper
  events translate at the flush and load boundaries: ``before_insert``/``before_update``
  swap in the envelope (assigning the primary key first if it is still unset) and
  ``after_insert``/``after_update`` put the plaintext back as the committed value;
  ``load``/``refresh`` open envelopes as rows arrive. A blind index column named by the
  type is kept in step with the value.
* The keyring travels with the session, never globally: ``build_runtime`` puts a
  :class:`DataProtection` into the ``info`` of its session factories, and the events
  and the Core helpers (:func:`seal_column`, :func:`open_column`) take it from there, so
  the API, the workers and the CLI use whatever keys their own start-up loaded. The key
  never travels to the database: only envelopes and HMACs appear in SQL parameters.
* Core statements that read or write an encrypted column (the worker's conditional
  UPDATE, caption lookup, rotation) call the helpers explicitly with the row id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Text, TypeDecorator, event, inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstanceState, Mapper, QueryContext, Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from faceless.crypto.aead import ColumnCipher, is_envelope
from faceless.crypto.hashing import BlindIndex, normalise
from faceless.crypto.keys import Keyring
from faceless.db.base import Base

INFO_KEY = "faceless.data_protection"


class PlaintextRefusedError(ValueError):
    """Something tried to write a raw value into an encrypted column."""


class EncryptedText(TypeDecorator[str]):
    """Text holding an AES-GCM envelope; ``blind_index`` names a sibling HMAC column."""

    impl = Text
    cache_ok = True

    def __init__(self, *, blind_index: str | None = None) -> None:
        super().__init__()
        self.blind_index = blind_index

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and not (isinstance(value, str) and is_envelope(value)):
            raise PlaintextRefusedError("refusing to write an unencrypted value")
        return value


@dataclass(frozen=True)
class DataProtection:
    """The cipher and blind indexes built from ``DATA_ENCRYPTION_KEY`` at start-up."""

    cipher: ColumnCipher
    # HKDF once per blind-indexed column, not once per row.
    _indexes: dict[str, BlindIndex] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_keyring(cls, keyring: Keyring) -> DataProtection:
        return cls(ColumnCipher(keyring))

    def blind_index(self, table: str, column: str) -> BlindIndex:
        label = f"{table}.{column}"
        index = self._indexes.get(label)
        if index is None:
            index = self._indexes[label] = BlindIndex(self.cipher.keyring, label)
        return index


def bind_data_protection(
    factory: async_sessionmaker[AsyncSession], protection: DataProtection
) -> None:
    """Make every session from ``factory`` seal and open with ``protection``."""
    info = dict(factory.kw.get("info") or {})
    info[INFO_KEY] = protection
    factory.configure(info=info)


def protection_of(session: Session | AsyncSession | None) -> DataProtection:
    protection = session.info.get(INFO_KEY) if session is not None else None
    if isinstance(protection, DataProtection):
        return protection
    raise RuntimeError("no data keyring is bound to this session (see bind_data_protection)")


# -- explicit use from Core statements ---------------------------------------------------


def _column_of(attribute: Any) -> Column[Any]:
    column = attribute.property.columns[0]
    if not (isinstance(column, Column) and isinstance(column.type, EncryptedText)):
        raise TypeError("not an encrypted column")
    return column


def seal_column(
    session: Session | AsyncSession, attribute: Any, row_id: uuid.UUID, value: str | None
) -> str | None:
    """The envelope to write into ``attribute`` (e.g. ``Job.result``) of row ``row_id``."""
    return seal_with(protection_of(session), attribute, row_id, value)


def seal_with(
    protection: DataProtection, attribute: Any, row_id: uuid.UUID, value: str | None
) -> str | None:
    """``seal_column`` for rows written without a session (``db.fast_write``)."""
    if value is None:
        return None
    column = _column_of(attribute)
    return protection.cipher.seal(value, table=column.table.name, column=column.name, row_id=row_id)


def open_column(
    session: Session | AsyncSession, attribute: Any, row_id: uuid.UUID, value: str | None
) -> str | None:
    """The plaintext of an envelope read from ``attribute`` of row ``row_id``."""
    return open_with(protection_of(session), attribute, row_id, value)


def open_with(
    protection: DataProtection, attribute: Any, row_id: uuid.UUID, value: str | None
) -> str | None:
    """``open_column`` for rows read without a session (``db.fast_read``)."""
    if value is None:
        return None
    column = _column_of(attribute)
    return protection.cipher.open(value, table=column.table.name, column=column.name, row_id=row_id)


def open_rows(
    protection: DataProtection, attribute: Any, rows: Iterable[dict[str, Any]], key: str
) -> None:
    """``open_with`` for ``row[key]`` of each row (by ``row["id"]``), in place: a page."""
    column = _column_of(attribute)
    table, name, cipher = column.table.name, column.name, protection.cipher
    for row in rows:
        value = row[key]
        if value is not None:
            row[key] = cipher.open(value, table=table, column=name, row_id=row["id"])


# -- ORM events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncryptedField:
    key: str  # attribute name
    column: Column[Any]
    index_key: str | None


_FIELDS: dict[Mapper[Any], tuple[EncryptedField, ...]] = {}


def encrypted_fields(mapper: Mapper[Any]) -> tuple[EncryptedField, ...]:
    fields = _FIELDS.get(mapper)
    if fields is None:
        found = []
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if isinstance(column, Column) and isinstance(column.type, EncryptedText):
                index = column.type.blind_index
                index_key = (
                    mapper.get_property_by_column(column.table.c[index]).key if index else None
                )
                found.append(EncryptedField(prop.key, column, index_key))
        fields = _FIELDS[mapper] = tuple(found)
    return fields


def _row_id(mapper: Mapper[Any], target: Any) -> Any:
    (pk,) = mapper.primary_key
    return getattr(target, mapper.get_property_by_column(pk).key)


_STASH = "faceless.plaintext"


def _seal(mapper: Mapper[Any], target: Any, *, inserting: bool) -> None:
    fields = encrypted_fields(mapper)
    if not fields:
        return
    state: InstanceState[Any] = inspect(target)
    protection = protection_of(object_session(target))
    if inserting and _row_id(mapper, target) is None:
        # The id is part of the associated data, so it must exist before sealing
        # (every encrypted table has a UUID key whose default would be uuid4 anyway).
        (pk,) = mapper.primary_key
        setattr(target, mapper.get_property_by_column(pk).key, uuid.uuid4())
    row_id = _row_id(mapper, target)
    stash: dict[str, str | None] = {}
    for spec in fields:
        if not inserting and not state.attrs[spec.key].history.has_changes():
            continue
        value = getattr(target, spec.key)
        if value is None and inserting and spec.column.default is not None:
            default = spec.column.default
            value = default.arg if default.is_scalar else None  # type: ignore[attr-defined]
        stash[spec.key] = value
        table, column = spec.column.table.name, spec.column.name
        sealed = (
            None
            if value is None
            else protection.cipher.seal(value, table=table, column=column, row_id=row_id)
        )
        setattr(target, spec.key, sealed)
        if spec.index_key is not None:
            index = (
                None
                if value is None
                else protection.blind_index(table, column).compute(normalise(value))
            )
            setattr(target, spec.index_key, index)
    state.info[_STASH] = stash


def _restore(target: Any) -> None:
    state: InstanceState[Any] = inspect(target)
    stash = state.info.pop(_STASH, None)
    if stash:
        for key, value in stash.items():
            set_committed_value(target, key, value)


def _open(state: InstanceState[Any], session: Session | None, attrs: Any = None) -> None:
    fields = [
        spec
        for spec in encrypted_fields(state.mapper)
        if (attrs is None or spec.key in attrs) and state.dict.get(spec.key) is not None
    ]
    if not fields:
        return
    # Bulk UPDATE synchronisation refreshes without a query context.
    protection = protection_of(session or state.session)
    target = state.obj()
    row_id = _row_id(state.mapper, target)
    for spec in fields:
        plaintext = protection.cipher.open(
            state.dict[spec.key],
            table=spec.column.table.name,
            column=spec.column.name,
            row_id=row_id,
        )
        set_committed_value(target, spec.key, plaintext)


@event.listens_for(Base, "before_insert", propagate=True)
def _before_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _seal(mapper, target, inserting=True)


@event.listens_for(Base, "before_update", propagate=True)
def _before_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _seal(mapper, target, inserting=False)


@event.listens_for(Base, "after_insert", propagate=True)
def _after_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _restore(target)


@event.listens_for(Base, "after_update", propagate=True)
def _after_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _restore(target)


@event.listens_for(Base, "load", propagate=True)
def _on_load(target: Any, context: QueryContext) -> None:
    _open(inspect(target), context.session)


@event.listens_for(Base, "refresh", propagate=True)
def _on_refresh(target: Any, context: QueryContext | None, attrs: Any) -> None:
    _open(inspect(target), context.session if context is not None else None, attrs)
