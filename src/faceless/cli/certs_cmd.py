"""``faceless certs generate | renew | show``: the development CA and its leaf certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceless.security.tls import TlsError
from faceless.security.tls.certs import CertificateInfo, CertPaths, KeyType, generate, renew
from faceless.settings import load_settings

app = typer.Typer(
    no_args_is_help=True,
    help="Development certificates: a local, name-constrained CA and a leaf it signs.",
)

DirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Where the files live [default: <FACELESS_VAR_DIR>/tls]"),
]


def _paths(directory: Path | None) -> CertPaths:
    return CertPaths(directory or load_settings().tls_dir)


def _show(paths: CertPaths) -> None:
    for path in (paths.cert, paths.ca_cert):
        if path.exists():
            for line in CertificateInfo.of(path).lines():
                typer.echo(line)
    typer.echo(
        f"Trust the CA once (browser import, or curl --cacert {paths.ca_cert} "
        "https://localhost:8443/health); the server sends only the leaf."
    )


def _fail(exc: TlsError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command("generate")
def generate_cmd(
    name: Annotated[
        list[str] | None,
        typer.Option("--name", help="Extra host name or IP for the certificate (repeatable)"),
    ] = None,
    rsa: Annotated[bool, typer.Option("--rsa", help="RSA keys instead of ECDSA P-256")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing keys")] = False,
    directory: DirOption = None,
) -> None:
    """Create a CA and a 90-day leaf for localhost, 127.0.0.1, ::1 and every --name."""
    paths = _paths(directory)
    try:
        generate(
            paths,
            names=name or [],
            key_type=KeyType.RSA if rsa else KeyType.ECDSA,
            force=force,
        )
        _show(paths)
    except TlsError as exc:
        raise _fail(exc) from None


@app.command("renew")
def renew_cmd(
    force: Annotated[
        bool, typer.Option("--force", help="Renew even with 30 or more days left")
    ] = False,
    directory: DirOption = None,
) -> None:
    """Re-issue the leaf (new key, same names) when it has under 30 days left."""
    paths = _paths(directory)
    try:
        renewed = renew(paths, force=force)
        if not renewed:
            info = CertificateInfo.of(paths.cert)
            typer.echo(f"{paths.cert} is valid for {info.days_left} more days; nothing to do")
            return
        typer.echo("renewed:")
        for line in CertificateInfo.of(paths.cert).lines():
            typer.echo(line)
    except TlsError as exc:
        raise _fail(exc) from None


@app.command("show")
def show_cmd(directory: DirOption = None) -> None:
    """Print names, SHA-256 fingerprints and expiry of the leaf and the CA."""
    paths = _paths(directory)
    if not paths.cert.exists() and not paths.ca_cert.exists():
        typer.echo(f"error: no certificates in {paths.directory}; run `faceless certs generate`")
        raise typer.Exit(1)
    try:
        _show(paths)
    except TlsError as exc:
        raise _fail(exc) from None
