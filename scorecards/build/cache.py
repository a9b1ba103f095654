"""Scorecards computed by an earlier build, kept in build/.cache/cards/ so that an unchanged file is not read again.

Reading, validating and computing a company file takes a few milliseconds; a season of
500 files takes seconds, and every build needs all of them for the season summary even
when one file changed. An entry is used only when everything its scorecard was made
from is as it was: the file's bytes, the settings, the code, Python and the libraries
that read and format it (PyYAML, pydantic, Babel), and the other inputs beside it (the
sec/, consensus/ and transcripts/ folders: each file's name, size and modification
time). Anything else is a miss, and the file is read as usual. Only scorecards
without errors are kept; their warnings are kept with them and shown again.

Each entry is the key in hex, a newline, then two pickles: a small head (the company's ticker,
its warnings, the digest of the other inputs it took, whether its data-file lines are kept,
and the length of what follows) and the body (the scorecard and its lines). The key is
compared before anything is unpickled, so an entry written by other code is never loaded.
The body is unpickled only when the build needs it (``Kept.unpack``): after one file
changed, the build renders that company first and unpickles the other 499 while its PDF
is laid out.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorecards.errors import BuildError, Problem
from scorecards.files import write_atomic
from scorecards.sources.evidence import CONSENSUS_FOLDER, SEC_FOLDER, TRANSCRIPTS_FOLDER
from scorecards.sources.prices import PRICES_FOLDER

if TYPE_CHECKING:
    from scorecards.model.scorecard import Scorecard
    from scorecards.render.exports import Lines

UPSTREAM_FOLDERS = (SEC_FOLDER, CONSENSUS_FOLDER, TRANSCRIPTS_FOLDER, PRICES_FOLDER)


@dataclass(frozen=True)
class Kept:
    """An entry found for a file, its body still pickled."""

    ticker: str
    problems: list[Problem]  # warnings only: a file with errors is not kept
    inputs_digest: str
    has_lines: bool  # whether its part of the data files is kept with it
    body: bytes  # the pickled (scorecard, lines)

    def unpack(self) -> tuple[Scorecard, Lines | None]:
        """The scorecard and its lines (raises whatever a damaged body raises)."""
        card, lines = pickle.loads(self.body)
        return card, lines


def _libraries() -> str:
    """The versions of the libraries a kept scorecard's reading and lines depend on."""
    import babel
    import pydantic
    import yaml

    return f"PyYAML {yaml.__version__} pydantic {pydantic.VERSION} Babel {babel.__version__}"


class CardCache:
    """build/.cache/cards/<slug>.pickle, keyed by what the scorecard rests on (``base``: settings and code)."""

    def __init__(self, folder: Path, base: str):
        self.folder = folder
        self.base = (base + sys.version + _libraries()).encode()
        self._stamps: dict[Path, bytes] = {}
        self._remembered: list[tuple[Any, str, bool]] = []  # (Loaded, key, new)

    def key(self, raw: bytes, inputs: Path) -> str:
        return hashlib.sha256(raw + b"\0" + self._stamp(inputs) + b"\0" + self.base).hexdigest()

    def _stamp(self, inputs: Path) -> bytes:
        """The other inputs beside the company files in ``inputs``, by name, size and time (read once per build)."""
        if inputs not in self._stamps:
            digest = hashlib.sha256()
            for name in UPSTREAM_FOLDERS:
                folder = inputs / name
                try:
                    entries = sorted(os.scandir(folder), key=lambda e: e.name)
                except OSError:
                    digest.update(f"{name}: none\n".encode())
                    continue
                for entry in entries:
                    try:
                        stat = entry.stat()
                    except OSError:  # a link to nothing: its reader reports it; here, the link itself
                        stat = entry.stat(follow_symlinks=False)
                    digest.update(f"{name}/{entry.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
            self._stamps[inputs] = digest.digest()
        return self._stamps[inputs]

    def covers(self, inputs: Path, files: list[Path]) -> bool:
        """Whether the key covers every other file a scorecard took (a companyfacts path may lead elsewhere)."""
        folders = [(inputs / name).resolve() for name in UPSTREAM_FOLDERS]
        return all(path.resolve().parent in folders for path in files)

    def get(self, slug: str, key: str) -> Kept | None:
        try:
            data = (self.folder / f"{slug}.pickle").read_bytes()
        except OSError:
            return None
        if data[:65] != key.encode() + b"\n":
            return None
        stream = io.BytesIO(data)
        stream.seek(65)
        try:
            ticker, problems, inputs_digest, has_lines, length = pickle.Unpickler(stream).load()
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, never a failed build
            return None
        body = data[stream.tell() :]
        if len(body) != length or not isinstance(ticker, str) or not isinstance(problems, list):
            return None  # cut short, or not ours
        return Kept(ticker, problems, inputs_digest, bool(has_lines), body)

    def remember(self, item: Any, key: str, new: bool = False) -> None:
        """Keep ``item`` (a build's Loaded) on ``save``: when ``new``, or once its data-file lines are made."""
        self._remembered.append((item, key, new))

    def save(self, slugs: set[str], write: Callable[[Path, bytes], bool] | None = None) -> None:
        """Write what was remembered (with ``write``: the build's writer's, for what only saves time), and drop the
        entries of companies no longer built (``slugs``: those that are)."""
        write = write or _write_cache

        for item, key, new in self._remembered:
            if item.card is None or not (new or item.lines is not None):
                continue  # a duplicate found after loading, or nothing new to keep
            body = pickle.dumps((item.card, item.lines), protocol=5)
            head = pickle.dumps(
                (item.card.company.ticker, item.problems, item.inputs_digest, item.lines is not None, len(body)),
                protocol=5,
            )
            if not write(self.folder / f"{item.slug}.pickle", key.encode() + b"\n" + head + body):
                break  # a cache that cannot be written costs time next build, nothing else
        self._remembered.clear()
        try:
            for path in self.folder.glob("*.pickle"):
                if path.stem not in slugs:
                    path.unlink(missing_ok=True)
        except OSError:
            pass


def _write_cache(path: Path, data: bytes) -> bool:
    try:
        write_atomic(path, data)
    except BuildError:
        return False
    return True
