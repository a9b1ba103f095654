"""The layout check of the PDFs a build leaves current: the pages with ink outside the page's safe area
(scorecards.render.safearea). A scorecard with such a page is held (compute/readiness.py); the season summary's
are reported as warnings.

Each PDF's result is kept in build/.cache/overflow.json under the PDF's fingerprint: the key of the HTML it was laid
out from, its size and its modification time, so an unchanged PDF is never checked again (a no-op build checks
nothing; after one file changed, its PDF and the season summary's). The checks run in threads (each is a pdftotext
process), each PDF's from when it is written, while the others are laid out and the book is put together. The index
waits for the companies' results; the season summaries' are read after it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from scorecards.build.context import Context
from scorecards.build.corpus import Loaded
from scorecards.build.writer import Writer
from scorecards.i18n import Language
from scorecards.render.safearea import CheckUnavailable, available, overflowing_pages

CHECKED = Path(".cache") / "overflow.json"
logger = logging.getLogger("scorecards.build")


class LayoutChecks:
    """``with LayoutChecks(writer, threads) as checks``: ``start`` the check of PDFs, then ask for ``pages``."""

    def __init__(self, writer: Writer, threads: int):
        self.writer = writer
        self.threads = max(1, threads)
        self.kept: dict[str, tuple[str, tuple[int, ...]]] = {}  # path -> (fingerprint, pages)
        self.running: dict[str, tuple[str, Future[tuple[int, ...]]]] = {}
        self.pool: ThreadPoolExecutor | None = None
        self.missing = not available()
        self.warned = False

    def __enter__(self) -> LayoutChecks:
        try:
            data = json.loads((self.writer.folder / CHECKED).read_text("utf-8"))
            self.kept = {path: (str(key), tuple(int(p) for p in pages)) for path, (key, pages) in data.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            self.kept = {}
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                for path in list(self.running):
                    self.pages(Path(path))
                kept = {  # the PDFs still there (a company removed takes its entry with it)
                    path: [key, list(pages)] for path, (key, pages) in sorted(self.kept.items()) if Path(path).exists()
                }
                self.writer.write_cache(self.writer.folder / CHECKED, json.dumps(kept, indent=1))
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def fingerprint(self, path: Path) -> str | None:
        """What the PDF at ``path`` is, cheaply: the key of the HTML it was laid out from, its size and time."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return f"{self.writer.laid_out.get(str(path), '')}:{stat.st_size}:{stat.st_mtime_ns}"

    def start(self, paths: Iterable[Path]) -> None:
        """Check each PDF not checked as it is now, in the threads."""
        for path in paths:
            fingerprint = self.fingerprint(path)
            if fingerprint is None or str(path) in self.running or self.kept.get(str(path), ("",))[0] == fingerprint:
                continue
            if self.missing:
                self._unchecked(path, "pdftotext is missing (Debian: apt-get install poppler-utils)")
                continue
            if self.pool is None:
                self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="layout-check")
            self.running[str(path)] = (fingerprint, self.pool.submit(overflowing_pages, path))

    def written(self, paths: Iterable[Path]) -> None:
        """Start checking the PDFs among ``paths``, files the build has just written."""
        self.start(path for path in paths if path.suffix == ".pdf")

    def pages(self, path: Path) -> tuple[int, ...]:
        """The pages of the PDF at ``path`` with ink outside the safe area (checked now if it was not yet)."""
        self.start([path])
        if str(path) in self.running:
            fingerprint, future = self.running.pop(str(path))
            try:
                self.kept[str(path)] = (fingerprint, future.result())
            except CheckUnavailable as exc:
                self._unchecked(path, str(exc))
                return ()
        found = self.kept.get(str(path))
        return found[1] if found is not None and found[0] == self.fingerprint(path) else ()

    def _unchecked(self, path: Path, why: str) -> None:
        if not self.warned:
            logger.warning("warning: the pages' safe area is not checked (%s: %s)", path, why)
            self.warned = True


def start_checks(ctx: Context, loaded: list[Loaded], languages: list[Language], checks: LayoutChecks) -> None:
    """Start checking the PDFs this build leaves current: each company's and the season summary's, per language."""
    if "pdf" not in ctx.formats:
        return
    for language in languages:
        folder = ctx.settings.output_folder(language.tag)
        paths = [folder / f"{item.slug}.pdf" for item in loaded if item.valid] + [folder / "season.pdf"]
        checks.start(path for path in paths if ctx.writer.current(path))


def report_season(ctx: Context, languages: list[Language], checks: LayoutChecks) -> None:
    """A warning for each season summary with pages whose ink runs outside the safe area (nothing is held)."""
    for language in languages:
        path = ctx.settings.output_folder(language.tag) / "season.pdf"
        if "pdf" in ctx.formats and ctx.writer.current(path) and (pages := checks.pages(path)):
            logger.warning(
                "warning: %s: ink outside the page's safe area on page %s",
                ctx.named(language, "season"),
                ", ".join(map(str, pages)),
            )
