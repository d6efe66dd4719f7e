"""What ``faceless backup`` refuses, in messages that name the problem and no secret."""

from __future__ import annotations


class BackupError(Exception):
    """A backup or restore that cannot go ahead (the database, a tool, a file in the way)."""


class BackupFormatError(BackupError):
    """Not a backup, a damaged one, or one made with a key this process does not hold."""
