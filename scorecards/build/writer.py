"""The one writer of build/: every output goes through it, whole or not at all, under a lock.

It knows what is current. ``build/.records.json`` maps each output to the fingerprint of what it was made from
(inputs, templates, settings, code); an output whose fingerprint is unchanged is not made again.
``build/.cache/pdf-html.json`` maps each PDF to the key of the HTML it was laid out from, so a PDF whose page shows
nothing new is kept even when what it rests on changed (a comment edited). Outputs whose input is gone are
removed; the last good outputs of a company that no longer builds are moved aside to build/stale/.

Workers hand back bytes; only this writer (in the build's own process) puts them on disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType

from scorecards.errors import BuildError
from scorecards.files import FolderLock, remove, write_atomic, write_if_changed

RECORDS = ".records.json"
LAID_OUT = Path(".cache") / "pdf-html.json"


class Writer:
    """Owns ``folder`` (build/) for one build: ``with Writer(folder) as writer: ...``.

    The records are saved when the block ends without an exception; an interrupted build leaves the records of
    the build before, so what it did not finish is made again next time.
    """

    def __init__(self, folder: Path, force: bool = False):
        self.folder = folder
        self.force = force  # every output is stale, and no PDF is kept
        self.records: dict[str, str] = {}
        self.laid_out: dict[str, str] = {}
        self._lock = FolderLock(folder)

    def __enter__(self) -> Writer:
        self._lock.__enter__()
        self.records = _read_json(self.folder / RECORDS)
        self.laid_out = _read_json(self.folder / LAID_OUT)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                write_atomic(self.folder / RECORDS, json.dumps(self.records, indent=1, sort_keys=True))
                self.write_cache(self.folder / LAID_OUT, json.dumps(self.laid_out, indent=1, sort_keys=True))
        finally:
            self._lock.__exit__(kind, exc, traceback)

    # --- what is current ----------------------------------------------------------------------------------------

    def stale(self, path: Path, fingerprint: str) -> bool:
        """Whether ``path`` is to be made: forced, made from something else, or missing."""
        return self.force or self.records.get(str(path)) != fingerprint or not path.exists()

    def current(self, path: Path) -> bool:
        """Whether ``path`` is on disk and recorded as made by this build or one whose inputs were the same."""
        return str(path) in self.records and path.exists()

    def laid_out_from(self, path: Path, key: str) -> bool:
        """Whether the PDF at ``path`` was laid out from this very HTML (``key``) by this code: what it rests on may
        have changed, what it shows did not. Never under --force."""
        return not self.force and self.laid_out.get(str(path)) == key and path.exists()

    def keep_pdf(self, path: Path, fingerprint: str, key: str) -> bool:
        """``laid_out_from``; if so, the PDF is recorded as current for ``fingerprint``."""
        if not self.laid_out_from(path, key):
            return False
        self.records[str(path)] = fingerprint
        return True

    def forget(self, path: Path) -> None:
        """``path`` is being made again: not current until it is written."""
        self.records.pop(str(path), None)
        self.laid_out.pop(str(path), None)

    # --- writing ------------------------------------------------------------------------------------------------

    def write(self, path: Path, data: bytes | str, fingerprint: str, laid_out: str | None = None) -> None:
        """Write an output and record what it was made from (a PDF: also the key of its HTML)."""
        write_atomic(path, data)
        self.records[str(path)] = fingerprint
        if laid_out:
            self.laid_out[str(path)] = laid_out
        else:
            self.laid_out.pop(str(path), None)

    def write_if_changed(self, path: Path, data: bytes | str, fingerprint: str | None = None) -> bool:
        """Write only when the content differs, so an unchanged file keeps its time stamp (make reads it)."""
        changed = write_if_changed(path, data)
        if fingerprint is not None:
            self.records[str(path)] = fingerprint
        return changed

    def write_cache(self, path: Path, data: bytes | str) -> bool:
        """Write what only saves time next build (a guess, a key): one that cannot be written costs nothing else."""
        try:
            write_atomic(path, data)
        except BuildError:
            return False
        return True

    def move_aside(self, path: Path, folder: Path) -> Path | None:
        """Move the last good output at ``path`` into ``folder`` (kept, but no longer looking current)."""
        self.forget(path)
        if not path.exists():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        os.replace(path, target)
        return target

    def remove(self, path: Path) -> None:
        self.forget(path)
        remove(path)

    def remove_orphans(self, current: set[str]) -> list[Path]:
        """Delete the recorded outputs in build/ or a language's folder whose name is not in ``current`` (their
        input is gone); returns them."""
        removed = []
        for key in list(self.records):
            path = Path(key)
            if self.folder in (path.parent, path.parent.parent) and path.stem not in current:
                self.remove(path)
                removed.append(path)
        return removed


def _read_json(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
