"""Writing a file whole or not at all: to a temporary name beside it, then renamed over it.

A reader (or make) never sees half a file, even if the process is killed. Errors say which file and why, as a
user can act on them (a full disk, a folder that is not writable).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import tempfile
from pathlib import Path

from scorecards.errors import BuildError

logger = logging.getLogger(__name__)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise BuildError(_explain(path, exc)) from None


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write only when the content differs, so an unchanged file keeps its time stamp."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == payload:
            return False
    except OSError:
        pass
    write_atomic(path, payload)
    return True


def remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise BuildError(_explain(path, exc)) from None


def _explain(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"cannot write {path}: the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path}: permission denied (is the build folder writable?)"
    return f"cannot write {path}: {exc.strerror or exc}"


class FolderLock:
    """An exclusive lock on a folder (build/, build/outbox/), so two commands never write into it at once."""

    def __init__(self, folder: Path):
        self.path = folder / ".lock"
        self.handle: int | None = None

    def __enter__(self) -> FolderLock:
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
            logger.warning("waiting for another build to finish (%s)", self.path)
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        for leftover in folder.glob(".*.tmp"):  # from a build that was killed mid-write; we hold the lock
            leftover.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            os.close(self.handle)
