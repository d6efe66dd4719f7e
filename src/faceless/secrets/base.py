"""The secret value type and the backend protocol.

A :class:`Secret` hides its value from ``repr``, ``str``, f-strings, logging and
pydantic dumps; the only way to the plaintext is the explicit :meth:`Secret.reveal`,
which makes every use of a secret greppable.
"""

from __future__ import annotations

from typing import Any, Protocol, final

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


@final
class Secret:
    __slots__ = ("_value", "backend", "name", "version")

    def __init__(self, name: str, value: str, *, backend: str, version: str | None = None) -> None:
        self.name = name
        self.backend = backend
        # The store's own version id (Vault KV version, AWS VersionId), for audit and logs.
        self.version = version
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, backend={self.backend!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.name == self.name and other._value == self._value

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("secrets are not picklable")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # A model holding a Secret dumps it (Python or JSON mode) as its repr, never the value.
        return core_schema.is_instance_schema(
            cls, serialization=core_schema.plain_serializer_function_ser_schema(repr)
        )


class SecretBackend(Protocol):
    """One source of secrets. ``get`` returns None when the backend lacks the name."""

    name: str

    def get(self, name: str) -> Secret | None: ...

    def health(self) -> str:
        """``"ok"`` or a short reason the backend is unusable (never a value)."""
        ...

    def reload(self) -> None:
        """Forget anything read so far, so the next ``get`` sees the store as it is now."""
        ...
