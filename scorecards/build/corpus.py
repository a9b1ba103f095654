"""The companies of a build: every company file loaded, validated, given its evidence and computed, once.

First gather all data from all files, then write (mkdocs' rule): the pages, the season summary, the data files
and the e-mails all read the same scorecards. A scorecard whose file and other inputs are unchanged is taken from
the cache (build/.cache/cards/) instead, and stays pickled until it is needed: after one file changed, that
company is rendered before the others are unpickled.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scorecards.build.cache import CardCache
from scorecards.compute.company import build_scorecard
from scorecards.errors import InputError, Problem
from scorecards.load.validate import validate, warnings_for
from scorecards.load.yaml import Document, parse_yaml, read_yaml_file
from scorecards.model.scorecard import Scorecard
from scorecards.settings import Settings
from scorecards.sources.consensus import ConsensusBook
from scorecards.sources.consensus import read_folder as read_consensus
from scorecards.sources.evidence import CONSENSUS_FOLDER, gather
from scorecards.sources.prices import PRICES_FOLDER, PriceBook

if TYPE_CHECKING:
    from scorecards.build.cache import Kept
    from scorecards.render.exports import Lines

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RESERVED_SLUGS = {"index", "season", "season-book", "scorecard"}  # names of the season's outputs and the schema


@dataclass
class Loaded:
    """One input file after loading: a scorecard, or the problems that stopped it.

    A scorecard kept by an earlier build (``kept``) stays pickled until its card or lines are first asked for, or
    ``unpack_all`` takes out every one: the build renders a changed company before it needs the others."""

    path: Path
    slug: str
    raw: bytes
    _card: Scorecard | None
    problems: list[Problem] = field(default_factory=list)
    doc: Document | None = None
    inputs_digest: str = ""  # of the filings, consensus rows and transcripts the scorecard takes (sources/evidence.py)
    _lines: Lines | None = None  # its part of the data files, once made (or kept from an earlier build)
    kept: Kept | None = None
    again: Callable[[], Loaded] | None = None  # reads the file again, should its kept scorecard be damaged

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def valid(self) -> bool:
        """Whether the file gave a scorecard (asked without taking out a kept one)."""
        return self.kept is not None or self._card is not None

    @property
    def ticker(self) -> str | None:
        if self.kept is not None:
            return self.kept.ticker
        return self._card.company.ticker if self._card is not None else None

    @property
    def card(self) -> Scorecard | None:
        self._unpack()
        return self._card

    @card.setter
    def card(self, card: Scorecard | None) -> None:
        self.kept, self._card = None, card

    @property
    def lines(self) -> Lines | None:
        self._unpack()
        return self._lines

    @lines.setter
    def lines(self, lines: Lines | None) -> None:
        self._unpack()
        self._lines = lines

    def _unpack(self) -> None:
        if self.kept is None:
            return
        try:
            self._card, self._lines = self.kept.unpack()
        except Exception:  # noqa: BLE001 - a damaged entry: the file is read again, never a failed build
            assert self.again is not None
            fresh = self.again()
            self._card, self._lines = fresh._card, None
            self.problems, self.doc, self.inputs_digest = fresh.problems, fresh.doc, fresh.inputs_digest
        self.kept = None


@contextlib.contextmanager
def _kept_for_good() -> Iterator[None]:
    """Objects made inside live as long as the process (the scorecards): made with the collector paused (hundreds of
    thousands of them: collecting while they are made only costs time), then frozen, so that it never scans them
    again (enabled as they are, its next pass would go through every one, ~0.1 s at 500 companies, and so would
    later ones and the exit's, and forked jobs would copy the pages it touches)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


def unpack_all(loaded: list[Loaded]) -> None:
    """Take out every kept scorecard still pickled (~0.25 s at 500 companies)."""
    with _kept_for_good():
        for item in loaded:
            item._unpack()  # noqa: SLF001 - its own module


def discover(settings: Settings, paths: list[Path] | None = None) -> list[Path]:
    """The company files: given paths (files or folders), or every inputs/*.yaml."""
    found: list[Path] = []
    for path in paths or [settings.inputs]:
        if path.is_dir():
            found.extend(sorted(path.glob("*.yaml")))
        else:
            found.append(path)
    return found


def read_company(
    path: Path,
    settings: Settings,
    consensus: ConsensusBook | Callable[[], ConsensusBook] | None = None,
    cache: CardCache | None = None,
    prices: PriceBook | None = None,
) -> Loaded:
    """Load, validate and compute one company file, with what its filing, consensus files and transcripts add
    (or take it from ``cache`` when nothing it rests on has changed). ``consensus``: the folder's consensus files,
    or what reads them when first needed (a build whose companies are all kept reads none)."""
    slug = path.stem
    try:
        raw = read_yaml_file(path, str(path))  # a regular file of a bounded size: never a FIFO or /dev/zero
    except InputError as exc:
        return Loaded(path, slug, b"", None, exc.problems)
    if slug in RESERVED_SLUGS:
        return _refused(
            path,
            raw,
            f"'{path.name}' would overwrite the {slug} page",
            "rename the file, e.g. after the company's ticker",
        )
    if not SLUG_RE.match(slug):
        hint = "use lower-case letters, digits and hyphens, e.g. bloom-energy.yaml"
        return _refused(path, raw, f"file name '{path.name}' cannot name a page", hint)
    key = cache.key(raw, path.parent) if cache is not None else ""
    kept = cache.get(slug, key) if cache is not None else None
    if kept is not None:
        assert cache is not None  # kept came from it

        def again() -> Loaded:
            fresh = read_company(path, settings, consensus, prices=prices)
            cache.remember(fresh, key, new=True)
            return fresh

        item = Loaded(path, slug, raw, None, kept.problems, None, kept.inputs_digest, None, kept, again)
        if not kept.has_lines:
            cache.remember(item, key)  # kept again once its lines are made
        return item
    try:
        doc = parse_yaml(raw, str(path))
        data = validate(doc)
    except InputError as exc:
        return Loaded(path, slug, raw, None, exc.problems)
    book = consensus() if callable(consensus) else consensus
    evidence = gather(doc, data, path, settings, book, prices)
    problems = sorted(warnings_for(doc, data) + evidence.problems)
    if evidence.errors:
        return Loaded(path, slug, raw, None, problems, doc)
    card = build_scorecard(slug, evidence.card, settings, evidence)
    item = Loaded(path, slug, raw, card, problems, doc, evidence.digest)
    if cache is not None and cache.covers(path.parent, evidence.files):
        cache.remember(item, key, new=True)
    return item


def _refused(path: Path, raw: bytes, message: str, hint: str = "") -> Loaded:
    """A file that gives no scorecard for a reason of its own (not its contents): one problem on its first line."""
    return Loaded(path, path.stem, raw, None, [Problem(str(path), 1, 1, "", message, hint)])


def check_duplicates(loaded: list[Loaded]) -> None:
    """Two files for the same company: an error on each, naming the other."""
    by_ticker: dict[str, list[Loaded]] = {}
    for item in loaded:
        if item.valid:
            ticker = item.ticker
            assert ticker is not None  # a valid file has a scorecard (kept or made), and so a ticker
            by_ticker.setdefault(ticker, []).append(item)
    for ticker, items in by_ticker.items():
        if len(items) < 2:
            continue
        for item in items:
            others = ", ".join(str(o.path) for o in items if o is not item)
            doc = item.doc or parse_yaml(item.raw, str(item.path))  # a kept scorecard has no positions: read again
            item.problems.append(
                doc.problem(
                    ("company", "ticker"), f"{ticker} is also the company in {others}", "keep one file per company"
                )
            )
            item.card = None


def load_all(
    settings: Settings, paths: list[Path] | None = None, cache: CardCache | None = None, unpack: bool = True
) -> list[Loaded]:
    """Every company file (``paths``, default: the inputs folder's), taken from ``cache`` where it holds the file's
    scorecard; ``unpack=False`` leaves kept scorecards pickled until they are asked for (``unpack_all``)."""
    # the consensus files beside the company files, read once per folder, when a company first needs them
    books: dict[Path, Callable[[], ConsensusBook]] = {}
    prices: dict[Path, PriceBook] = {}  # and the price files, each read once when first asked for
    loaded = []
    with _kept_for_good():
        for path in discover(settings, paths):
            folder = path.parent / CONSENSUS_FOLDER
            if folder not in books:
                books[folder] = functools.cache(functools.partial(read_consensus, folder))
            closes = prices.setdefault(path.parent, PriceBook(path.parent / PRICES_FOLDER))
            loaded.append(read_company(path, settings, books[folder], cache, closes))
    check_duplicates(loaded)
    if unpack:
        unpack_all(loaded)
    return loaded


def cards_only(loaded: list[Loaded]) -> list[Scorecard]:
    return [item.card for item in loaded if item.card is not None]
