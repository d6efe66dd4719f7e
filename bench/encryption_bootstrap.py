"""Run the ``faceless`` CLI with column encryption on, or bypassed: for the bench only.

    python bench/encryption_bootstrap.py {on|bypassed} serve --behind-proxy --port N

``on`` is the unchanged CLI. ``bypassed`` first replaces, in ``faceless.db.encryption``,
the ORM events' seal/restore/open steps and the Core helpers by identity and lets the
column type bind any value, so plaintext goes to the database and comes back untouched
(no AES-GCM, no envelope, no blind index). ``serve`` becomes the API process (``exec``,
ADR 0033) by running this script again with ``--api-process``, which patches before the
app is imported, in the one process that serves (``--workers 1``). Nothing in ``src/``
knows about it: there is no production switch.
"""

from __future__ import annotations

import sys
from typing import Any

from faceless.runtime import api_process

API_PROCESS_ARG = "--api-process"


def bypass_column_encryption() -> None:
    import faceless.db.encryption as encryption

    def bind_as_is(self: Any, value: str | None, dialect: Any) -> str | None:
        return value

    def identity(session: Any, attribute: Any, row_id: Any, value: str | None) -> str | None:
        return value

    def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    encryption.EncryptedText.process_bind_param = bind_as_is  # type: ignore[method-assign]
    # The event listeners look these up by name when they fire.
    encryption._seal = nothing  # type: ignore[assignment]
    encryption._restore = nothing  # type: ignore[assignment]
    encryption._open = nothing  # type: ignore[assignment]
    encryption.seal_column = identity
    encryption.open_column = identity


def main() -> None:
    variant = sys.argv[1] if len(sys.argv) > 1 else ""
    if variant not in ("on", "bypassed"):
        raise SystemExit(f"usage: {sys.argv[0]} {{on|bypassed}} <faceless arguments>")
    if sys.argv[2:3] == [API_PROCESS_ARG]:
        if variant == "bypassed":
            bypass_column_encryption()
        api_process.main(sys.argv[3:])
        return
    api_process.API_PROCESS[:] = [__file__, variant, API_PROCESS_ARG]
    from faceless.cli.entry import main as run_faceless

    sys.argv = ["faceless", *sys.argv[2:]]
    run_faceless()


if __name__ == "__main__":
    main()
