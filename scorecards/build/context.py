"""What every step of a build shares: the settings, the writer, the PDF workers, and the report.

A step renders its pages here and hands its PDFs (and the data files) to the workers with ``submit``;
``collect`` writes what they hand back, through the writer, as they finish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from scorecards.build.writer import Writer
from scorecards.errors import BuildError, Problem
from scorecards.i18n import Language
from scorecards.model.scorecard import Scorecard
from scorecards.render.pdf import Done, Workers
from scorecards.settings import Settings

logger = logging.getLogger("scorecards.build")

FORMATS = ("html", "pdf")


@dataclass
class Report:
    """What a build did: names such as 'amazon', 'zh-Hant/amazon', 'season'."""

    built: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # every input file's, located (warnings too)
    cards: list[Scorecard] = field(default_factory=list)  # every company's scorecard, by name: what e-mails take
    # (slug, language) -> the pages of its PDF with ink outside the safe area (build/layout.py): they hold it
    overflow: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


class Progress(Protocol):
    """Told how many jobs there are to wait for, and each time one is done (``scorecard build`` shows a bar)."""

    def start(self, total: int) -> None:
        """``total`` jobs handed to the workers."""

    def advance(self, name: str) -> None:
        """One more is done."""


class Silent:
    """No progress shown."""

    def start(self, total: int) -> None:
        pass

    def advance(self, name: str) -> None:
        pass


@dataclass
class Context:
    """One build's shared state."""

    settings: Settings
    formats: tuple[str, ...]
    writer: Writer
    workers: Workers
    progress: Progress = field(default_factory=Silent)
    report: Report = field(default_factory=Report)
    # job -> (its outputs, their fingerprint, the key of the HTML a PDF is laid out from)
    pending: dict[str, tuple[list[Path], str, str | None]] = field(default_factory=dict)

    def named(self, language: Language, name: str) -> str:
        """How the build names a job or an output in its messages: 'amazon', 'zh-Hant/amazon'."""
        return name if language.tag == self.settings.default_language else f"{language.tag}/{name}"

    def stale_folder(self, language: Language) -> Path:
        """Where the last good outputs go once they no longer match their inputs: build/stale/[<language>/]."""
        folder = self.settings.output_folder(language.tag)
        return self.settings.build / "stale" / ("" if folder == self.settings.build else language.tag)

    def submit(
        self,
        name: str,
        outputs: list[Path],
        fingerprint: str,
        function: Callable[..., Done],
        *args: Any,
        alone: bool = False,
        forked: bool = False,
        laid_out: str | None = None,
    ) -> None:
        """Hand a job to the workers (``alone``: to a process of its own; ``forked``: to a process forked now,
        which inherits the arguments); its outputs are written once it is done (a PDF's with ``laid_out``, the
        key of its HTML)."""
        for path in outputs:
            self.writer.forget(path)
        self.pending[name] = (outputs, fingerprint, laid_out)
        if forked:
            self.workers.submit_forked(name, function, *args)
        elif alone:
            self.workers.submit_alone(function, *args)
        else:
            self.workers.submit(function, *args)

    def collect(self, written: Callable[[list[Path]], None] | None = None) -> None:
        """Write each job's files as it finishes, then hand them to ``written``; a job that failed, or whose files
        cannot be written, is reported and its outputs stay unwritten (the build goes on). The report lists them in the
        order they were handed in."""
        order = list(self.pending)
        errors: dict[str, str] = {}
        self.progress.start(len(order))
        for done in self.workers.finished():
            outputs, fingerprint, laid_out = self.pending.pop(done.name)
            self.progress.advance(done.name)
            try:
                if done.error:
                    raise BuildError(done.error)
                for path in outputs:
                    self.writer.write(path, done.files[path], fingerprint, laid_out)
                if written is not None:
                    written(outputs)
            except BuildError as exc:
                logger.error("%s", exc)
                errors[done.name] = str(exc)
        for name in order:
            if name in errors:
                self.report.failed.append(name)
            elif name.rsplit("/", 1)[-1] != "season" and not name.startswith("exports"):
                self.report.built.append(name)
