"""A fresh, private multiprocess directory for every ``faceless`` process tree.

Design:

* prometheus-client's multiprocess mode keeps each process's values in mmapped files
  under ``PROMETHEUS_MULTIPROC_DIR`` and sums them at scrape time. That is what makes a
  scrape of ``faceless serve --workers N`` (spawned workers) or of ``faceless worker``
  (Celery's forked pool) show the whole process tree, not the one process that answers.
* The mode is chosen when prometheus-client is first imported, from the environment.
  So the console script (:mod:`faceless.cli.entry`) calls :func:`use_private_directory`
  before importing the commands; children, spawned or forked, inherit the variable.
  ``faceless serve`` replaces its image with the API process's (``exec``, same pid):
  exit handlers do not survive that, so it first releases its directory and the API
  process makes its own.
* Fresh and private: ``mkdtemp`` (mode 0700, a new name each time), so no values of an
  earlier run or of another user are ever summed in. One directory per process tree:
  two ``faceless serve`` instances on one host are two scrape targets, each with its own
  counters, and Prometheus adds them up (a restart of one is an ordinary counter reset).
* Removed when the process that made it exits (forked children inherit ``atexit``
  handlers, hence the pid check). A tree killed with SIGKILL leaves its directory in the
  temp dir (a tmpfs in the container), never read again.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_made: list[Path] = []  # by this process: an inherited directory is its maker's to remove


class MetricsAlreadyImportedError(RuntimeError):
    """prometheus-client was imported first: its mode can no longer change."""


def use_private_directory() -> Path:
    """Create this process tree's directory and point prometheus-client at it."""
    if "prometheus_client" in sys.modules:
        raise MetricsAlreadyImportedError(
            "prometheus_client is already imported; the multiprocess directory must be set "
            "before any metric exists"
        )
    directory = Path(tempfile.mkdtemp(prefix="faceless-metrics-"))
    os.environ[MULTIPROC_ENV] = str(directory)
    atexit.register(_remove, directory, os.getpid())
    _made.append(directory)
    return directory


def release_private_directory() -> None:
    """Remove the directory this process made, before it replaces its image (``exec``)."""
    while _made:
        _remove(_made.pop(), os.getpid())
    os.environ.pop(MULTIPROC_ENV, None)


def _remove(directory: Path, owner: int) -> None:
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)
