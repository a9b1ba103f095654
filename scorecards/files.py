"""Writing a file whole or not at all: to a temporary name beside it, then renamed over it; and reading an input
file only if it is a regular file of a bounded size.

A reader (or make) never sees half a file, even if the process is killed. Errors say which file and why, as a
user can act on them (a full disk, a folder that is not writable). An input that is a FIFO, a device or a link
to one (``inputs/z.yaml -> /dev/zero``), or larger than its kind of file can be, is refused before a byte is read,
so that one hostile file costs only itself.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
import tempfile
from pathlib import Path

from scorecards.errors import BuildError

logger = logging.getLogger(__name__)


class RefusedInput(OSError):
    """An input file refused before reading: not a regular file, too large, or outside the folder it must be in.

    An ``OSError``, so that a reader's ``except OSError as exc: ... f"cannot read the file: {exc.strerror}"`` reports
    it as it reports a missing file; ``strerror`` reads on from there ("it is a FIFO, not a regular file")."""

    def __init__(self, path: Path, reason: str, hint: str = ""):
        super().__init__(errno.EINVAL, reason, str(path))
        self.hint = hint


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def read_input(path: Path, limit: int, *, inside: Path | None = None, size_hint: str = "") -> bytes:
    """The bytes of the input file ``path``: a regular file (or a link to one) of at most ``limit`` bytes, and, with
    ``inside``, one that resolves to a place within that folder. Anything else raises ``RefusedInput`` before a byte
    is read (with ``size_hint`` as its hint when the file is too large); a missing or unreadable file raises the
    usual ``OSError``.

    The checks are made again on the open file (``fstat``), so a file swapped for a FIFO after the first look is
    still refused, and opening never waits on a FIFO (``O_NONBLOCK``); at most ``limit + 1`` bytes are ever read,
    should the file grow while it is read."""
    if inside is not None and not path.resolve().is_relative_to(inside.resolve()):
        raise RefusedInput(path, f"it is outside {inside}/", f"keep the file inside {inside}/")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if not path.is_symlink():
            raise
        target = os.readlink(path)
        raise RefusedInput(
            path, f"it links to {target}, which does not exist", "replace it with the file itself"
        ) from None
    if not stat.S_ISREG(mode):  # a device is never even opened
        raise _not_regular(path, mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if info.st_size > limit:
            raise _too_large(path, info.st_size, limit, size_hint)
        os.set_blocking(fd, True)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _too_large(path, len(data), limit, size_hint)
    return data


def _not_regular(path: Path, mode: int) -> RefusedInput:
    kind = _KINDS.get(stat.S_IFMT(mode), "a special file")
    what = f"links to {os.path.realpath(path)}, {kind}" if path.is_symlink() else f"is {kind}"
    return RefusedInput(path, f"it {what}, not a regular file", "replace it with the file itself")


def _too_large(path: Path, size: int, limit: int, hint: str) -> RefusedInput:
    return RefusedInput(path, f"it is {size:,} bytes, over the limit of {limit:,}", hint)


def write_atomic(path: Path, data: bytes | str, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``; ``durable``: fsynced (the file, then its
    folder), so that it is on disk, not only in the cache, when this returns (a record that must survive a crash)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            if durable:
                folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
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
