"""The only module that writes into build/: atomically, once per path, under a lock.

A file is written to a temporary name beside its target and renamed over it,
so a reader (or make) never sees half a file, even if the build is killed.
"""
from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from pathlib import Path

from scorecards.errors import BuildError
from scorecards.files import _explain, remove, write_atomic, write_if_changed


def move_aside(path: Path, folder: Path) -> Path | None:
    """Move a stale output into ``folder`` (kept, but no longer looking fresh)."""
    if not path.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    os.replace(path, target)
    return target


class BuildLock:
    """An exclusive lock on the build folder, so two builds never write at once."""

    def __init__(self, folder: Path):
        self.path = folder / ".lock"
        self.handle: int | None = None

    def __enter__(self) -> "BuildLock":
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise BuildError(f"cannot write {self.path}: {folder} is not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BuildError(_explain(self.path, exc)) from None
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build to finish ({self.path})", flush=True)
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        for leftover in folder.glob(".*.tmp"):  # from a build that was killed mid-write; we hold the lock
            leftover.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            os.close(self.handle)
