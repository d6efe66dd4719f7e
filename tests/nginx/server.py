"""nginx as a private child process, with a configuration rendered by the project.

``NginxServer`` renders ``faceless.nginx.render`` for loopback and free high ports, with
the pid file, temp paths and logs inside its own directory, ``daemon off;`` so the
process is ours to stop, and (only when running as root) ``user nobody`` for the
workers, as a packaged nginx would run them. The bench uses it too.
"""

from __future__ import annotations

import grp
import json
import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from faceless.nginx.render import NginxOptions, render_nginx_config
from faceless.settings import Settings
from tests.fixtures import ManagedProcess, free_port

__all__ = ["NginxServer", "nginx_binary", "public_temp_dir", "trusting", "worker_user"]


def trusting(ca_file: Path) -> ssl.SSLContext:
    """A client context that trusts exactly the development CA (for httpx's ``verify``)."""
    return ssl.create_default_context(cafile=str(ca_file))


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
    return found


def worker_user() -> str | None:
    """``nobody`` and its group when we are root (nginx then drops privileges), else None."""
    if os.geteuid() != 0:
        return None
    for group in ("nogroup", "nobody"):
        try:
            grp.getgrnam(group)
        except KeyError:
            continue
        return f"nobody {group}"
    return "nobody"


def public_temp_dir(prefix: str) -> Path:
    """A temp dir the unprivileged nginx workers can traverse (pytest's tmp dirs are 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class NginxServer:
    """The rendered configuration, running; a context manager."""

    def __init__(
        self,
        *,
        settings: Settings,
        directory: Path,
        cert: Path,
        key: Path,
        upstreams: Sequence[str],
        http_port: int | None = None,
        https_port: int | None = None,
        **options: Any,
    ) -> None:
        self.directory = directory
        self.http_port = http_port or free_port()
        self.https_port = https_port or free_port()
        while self.https_port == self.http_port:
            self.https_port = free_port()
        (directory / "tmp").mkdir(exist_ok=True)
        self.access_log = directory / "access.log"
        self.error_log = directory / "error.log"
        chosen: dict[str, Any] = {
            "upstreams": tuple(upstreams),
            "cert": str(cert),
            "key": str(key),
            "http_port": self.http_port,
            "https_port": self.https_port,
            "listen_addresses": ("127.0.0.1",),
            "foreground": True,
            "user": worker_user(),
            "pid_path": str(directory / "nginx.pid"),
            "temp_dir": str(directory / "tmp"),
            "error_log": str(self.error_log),
            "access_log": str(self.access_log),
        }
        self.options = NginxOptions(**{**chosen, **options})
        self.config = directory / "nginx.conf"
        self.config.write_text(render_nginx_config(settings, self.options))
        self.process = ManagedProcess(
            [nginx_binary(), "-c", str(self.config), "-p", str(directory), "-e", "stderr"],
            name="nginx",
            log_dir=directory,
            stop_timeout=5,
        )

    def test_config(self) -> None:
        """``nginx -t`` on the rendered file; raises with nginx's message on failure."""
        result = subprocess.run(
            [
                nginx_binary(),
                "-t",
                "-c",
                str(self.config),
                "-p",
                str(self.directory),
                "-e",
                "stderr",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{result.stderr}")

    def start(self) -> Self:
        self.test_config()
        self.process.start()
        self.process.wait_for_port(self.https_port, timeout=20)
        self.process.wait_for_port(self.http_port, timeout=20)
        return self

    def stop(self) -> None:
        self.process.stop()

    def access_entries(self) -> list[dict[str, Any]]:
        if not self.access_log.exists():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines() if line]

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
