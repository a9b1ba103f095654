"""The build: load every scorecard, validate, compute, then render and write.

First gather all data from all files, then write (mkdocs' rule). A company
whose input, templates, settings and code are unchanged since its last good
build is not rendered again; its fingerprint is recorded in build/.records.json.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scorecards import __version__
from scorecards.build.cache import CardCache
from scorecards.compute.company import build_scorecard
from scorecards.errors import BuildError, InputError, Problem
from scorecards.i18n import canonical_tag
from scorecards.load.validate import validate, warnings_for
from scorecards.load.yaml import Document, parse_yaml
from scorecards.model.scorecard import Scorecard
from scorecards.settings import Settings
from scorecards.sources.consensus import ConsensusBook
from scorecards.sources.consensus import read_folder as read_consensus
from scorecards.sources.evidence import CONSENSUS_FOLDER, gather

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future

    from scorecards.build.cache import Kept
    from scorecards.render.exports import Lines

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FORMATS = ("html", "pdf")


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
    inputs_digest: str = ""  # of the filings, consensus rows and transcripts the scorecard takes (enrich.py)
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
def _kept_for_good():
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


@dataclass
class Report:
    built: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # every input file's, located (warnings too)

    @property
    def ok(self) -> bool:
        return not self.failed


def discover(settings: Settings, paths: list[Path] | None = None) -> list[Path]:
    """The company files: given paths (files or folders), or every inputs/*.yaml."""
    found: list[Path] = []
    for path in paths or [settings.inputs]:
        if path.is_dir():
            found.extend(sorted(path.glob("*.yaml")))
        else:
            found.append(path)
    return found


def read_company(path: Path, settings: Settings, consensus: ConsensusBook | None = None,
                 cache: CardCache | None = None) -> Loaded:
    """Load, validate and compute one company file, with what its filing, consensus files and transcripts add
    (or take it from ``cache`` when nothing it rests on has changed)."""
    slug = path.stem
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Loaded(path, slug, b"", None, [Problem(str(path), 1, 1, "", f"cannot read the file: {exc.strerror}")])
    if slug in RESERVED_SLUGS:
        return Loaded(path, slug, raw, None, [Problem(str(path), 1, 1, "", f"'{path.name}' would overwrite the {slug} page",
                                                      "rename the file, e.g. after the company's ticker")])
    if not SLUG_RE.match(slug):
        return Loaded(path, slug, raw, None, [Problem(str(path), 1, 1, "", f"file name '{path.name}' cannot name a page",
                                                      "use lower-case letters, digits and hyphens, e.g. bloom-energy.yaml")])
    key = cache.key(raw, path.parent) if cache is not None else ""
    kept = cache.get(slug, key) if cache is not None else None
    if kept is not None:
        def again() -> Loaded:
            fresh = read_company(path, settings, consensus)
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
    evidence = gather(doc, data, path, settings, consensus)
    problems = sorted(warnings_for(doc, data) + evidence.problems)
    if evidence.errors:
        return Loaded(path, slug, raw, None, problems, doc)
    card = build_scorecard(slug, evidence.card, settings, evidence)
    item = Loaded(path, slug, raw, card, problems, doc, evidence.digest)
    if cache is not None and cache.covers(path.parent, evidence.files):
        cache.remember(item, key, new=True)
    return item


def check_duplicates(loaded: list[Loaded]) -> None:
    """Two files for the same company: an error on each, naming the other."""
    by_ticker: dict[str, list[Loaded]] = {}
    for item in loaded:
        if item.valid:
            by_ticker.setdefault(item.ticker, []).append(item)
    for ticker, items in by_ticker.items():
        if len(items) < 2:
            continue
        for item in items:
            others = ", ".join(str(o.path) for o in items if o is not item)
            doc = item.doc or parse_yaml(item.raw, str(item.path))  # a kept scorecard has no positions: read again
            item.problems.append(doc.problem(("company", "ticker"), f"{ticker} is also the company in {others}",
                                             "keep one file per company"))
            item.card = None


def load_all(settings: Settings, paths: list[Path] | None = None, cache: CardCache | None = None,
             unpack: bool = True) -> list[Loaded]:
    """Every company file (``paths``, default: the inputs folder's), taken from ``cache`` where it holds the file's
    scorecard; ``unpack=False`` leaves kept scorecards pickled until they are asked for (``unpack_all``)."""
    books: dict[Path, ConsensusBook] = {}  # the consensus files beside the company files, read once per folder
    loaded = []
    with _kept_for_good():
        for path in discover(settings, paths):
            folder = path.parent / CONSENSUS_FOLDER
            if folder not in books:
                books[folder] = read_consensus(folder)
            loaded.append(read_company(path, settings, books[folder], cache))
    check_duplicates(loaded)
    if unpack:
        unpack_all(loaded)
    return loaded


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """The package's code, hashed once per process (every fingerprint of one build sees the same code)."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


SEASON_OUTPUTS = ("season.html", "season.pdf", "season.csv", "season.xlsx", "season.json", "season-book.pdf")
RESERVED_SLUGS = {"index", "season", "season-book", "scorecard"}


@dataclass
class _Run:
    """State of one build: what is recorded, what is to render, and the report."""

    settings: Settings
    formats: tuple[str, ...]
    force: bool
    records: dict[str, str]
    report: Report
    out: object
    workers: object = None  # pdf.Workers, when PDFs are built
    # job -> (outputs, fingerprint, key of the HTML a PDF job lays out)
    pending: dict[str, tuple[list[Path], str, str | None]] = field(default_factory=dict)
    laid_out: dict[str, str] = field(default_factory=dict)  # PDF -> key of the HTML it was laid out from (_pdf_key)

    def stale(self, path: Path, fingerprint: str) -> bool:
        return self.force or self.records.get(str(path)) != fingerprint or not path.exists()

    def laid_out_from(self, path: Path, key: str) -> bool:
        """Whether the PDF at ``path`` was laid out from this very HTML (``key``, _pdf_key) by this code: what it
        rests on may have changed, what it shows did not (a comment, or a field it does not show, edited). Never
        under --force."""
        return not self.force and self.laid_out.get(str(path)) == key and path.exists()

    def keep_pdf(self, path: Path, fingerprint: str, key: str) -> bool:
        """``laid_out_from``; if so, the PDF is recorded as current for ``fingerprint``."""
        if not self.laid_out_from(path, key):
            return False
        self.records[str(path)] = fingerprint
        return True

    def submit(self, name: str, outputs: list[Path], fingerprint: str, function, *args, alone: bool = False,
               forked: bool = False, laid_out: str | None = None) -> None:
        """Hand a job to the workers (``alone``: to a process of its own; ``forked``: to a process forked now,
        which inherits the arguments); its outputs count once it succeeds (a PDF's with ``laid_out``, its HTML's
        key)."""
        for path in outputs:
            self.records.pop(str(path), None)
            self.laid_out.pop(str(path), None)
        self.pending[name] = (outputs, fingerprint, laid_out)
        if forked:
            self.workers.submit_forked(name, function, *args)  # type: ignore[attr-defined]
            return
        submit = self.workers.submit_alone if alone else self.workers.submit  # type: ignore[attr-defined]
        submit(function, *args)

    def collect(self) -> None:
        for name, error in self.workers.results():  # type: ignore[attr-defined]
            outputs, fingerprint, laid_out = self.pending.pop(name)
            if error:
                print(error, file=sys.stderr)
                self.report.failed.append(name)
                continue
            for path in outputs:
                self.records[str(path)] = fingerprint
                if laid_out:
                    self.laid_out[str(path)] = laid_out
            if name.rsplit("/", 1)[-1] != "season" and not name.startswith("exports"):
                self.report.built.append(name)


def build(settings: Settings, formats: tuple[str, ...] = FORMATS, jobs: int | None = None,
          force: bool = False, out=sys.stdout, languages: list[str] | None = None) -> Report:
    """Build every company's outputs that are out of date, the season view, then the index and schema.

    In each of ``languages`` (default: the ``languages`` setting): the default language into
    build/, any other into build/<language>/.
    """
    from scorecards.i18n import load_language
    from scorecards.render.pdf import Workers
    from scorecards.render.templates import asset_roots

    tags = list(dict.fromkeys(canonical_tag(t) for t in (languages or settings.languages)))
    chosen = [load_language(settings.locale, tag) for tag in tags]  # a missing catalogue stops here, before any work
    base_url = (settings.templates / "assets").resolve().as_uri() + "/"
    # PDF workers start now, so that loading WeasyPrint overlaps reading the YAML files
    workers = Workers(asset_roots(settings), base_url, (jobs or settings.workers) if "pdf" in formats else 1)
    try:
        cache = CardCache(settings.build / ".cache" / "cards", settings.model_dump_json() + _code_digest())
        loaded = load_all(settings, cache=cache, unpack=False)  # kept scorecards are unpickled once needed
        return _build(settings, formats, force, out, loaded, workers, chosen, cache)
    finally:
        workers.close()


def _build(settings: Settings, formats: tuple[str, ...], force: bool, out, loaded: list[Loaded], workers,
           languages: list, cache: CardCache) -> Report:
    from scorecards.build.writer import BuildLock, write_atomic, write_if_changed
    from scorecards.render.pdf import harfbuzz_subset_available
    from scorecards.render.templates import make_env

    build_dir = settings.build
    with BuildLock(build_dir):
        records_path = build_dir / ".records.json"
        try:
            records: dict[str, str] = json.loads(records_path.read_text("utf-8"))
        except (OSError, ValueError):
            records = {}
        run = _Run(settings, formats, force, records, Report(), out, workers)
        laid_out_path = build_dir / ".cache" / "pdf-html.json"
        try:
            run.laid_out = json.loads(laid_out_path.read_text("utf-8"))
        except (OSError, ValueError):
            pass
        if "pdf" in formats and not harfbuzz_subset_available():
            print("WARNING: libharfbuzz-subset is missing: WeasyPrint falls back to a font subsetter that is "
                  "many times slower. Install it (Debian: apt-get install libharfbuzz-subset0).", file=sys.stderr)
        run.report.problems = [p for item in loaded for p in item.problems]
        for problem in run.report.problems:
            print(problem, file=sys.stderr)
        # The companies to render go first: after one file changed, its PDF is laid out while the kept scorecards
        # of the others are unpickled for the season (the PDF workers would wait for them otherwise).
        envs = {lang.tag: make_env(settings, lang) for lang in languages}
        fingerprints = {lang.tag: _build_companies(run, envs[lang.tag], loaded, lang) for lang in languages}
        unpack_all(loaded)
        cards = sorted((item.card for item in loaded if item.card is not None), key=lambda c: c.company.name.lower())
        season = _season_data(run, cards)
        if season is not None:
            _build_exports(run, cards, loaded, *season)
        seasons = {lang.tag: _build_season(run, envs[lang.tag], cards, fingerprints[lang.tag], lang, season)
                   for lang in languages}
        cache.save({item.slug for item in loaded})  # while the workers render
        ahead = {lang.tag: _book_ahead(run, envs[lang.tag], cards, lang, *seasons[lang.tag])
                 for lang in languages if seasons[lang.tag] is not None}
        run.collect()
        for lang in languages:
            if seasons[lang.tag] is not None:
                _build_book(run, envs[lang.tag], cards, lang, *seasons[lang.tag], ahead=ahead[lang.tag])

        _remove_orphans(run, loaded)
        _write_index(run, loaded, cards, {lang.tag: lang for lang in languages}, envs)
        _write_schema(run)
        write_if_changed(build_dir / "outputs.mk", _outputs_mk(run))
        write_atomic(records_path, json.dumps(records, indent=1, sort_keys=True))
        try:
            write_atomic(laid_out_path, json.dumps(run.laid_out, indent=1, sort_keys=True))
        except BuildError:
            pass  # costs a layout next time, nothing else
    for message in run.report.messages:
        print(message, file=out)
    return run.report


def _language_base(settings: Settings, env, template: str, language) -> str:
    """What every output of ``template`` in ``language`` rests on besides its data: templates, settings, code,
    the language and its catalogue."""
    from scorecards.render.templates import templates_digest

    return hashlib.sha256((templates_digest(env, template) + settings.model_dump_json() + _code_digest()
                           + language.tag + "\0" + language.digest).encode()).hexdigest()


def _company_fingerprint(item: Loaded, base: str) -> str:
    return hashlib.sha256(item.raw + item.inputs_digest.encode() + base.encode()).hexdigest()


def _named(language, settings: Settings, name: str) -> str:
    """How the build names a job or an output in its messages: 'amazon', 'zh-Hant/amazon'."""
    return name if language.tag == settings.default_language else f"{language.tag}/{name}"


def _stale_folder(settings: Settings, language) -> Path:
    """Where the last good outputs go once they no longer match their inputs: build/stale/[<language>/]."""
    folder = settings.output_folder(language.tag)
    return settings.build / "stale" / ("" if folder == settings.build else language.tag)


def _build_companies(run: _Run, env, loaded: list[Loaded], language) -> dict[str, str]:
    """Render each out-of-date company in one language; returns the fingerprint of every valid one."""
    from jinja2 import TemplateError

    from scorecards.build.writer import move_aside, write_atomic
    from scorecards.render.pdf import PdfJob, render_pdf
    from scorecards.render.templates import render_company

    settings = run.settings
    folder = settings.output_folder(language.tag)
    stale_folder = _stale_folder(settings, language)
    base = _language_base(settings, env, "company.html", language)
    fingerprints = {item.slug: _company_fingerprint(item, base) for item in loaded if item.valid}
    stale_formats = {slug: [fmt for fmt in run.formats if run.stale(folder / f"{slug}.{fmt}", fingerprint)]
                     for slug, fingerprint in fingerprints.items()}
    if sum(map(bool, stale_formats.values())) > UNPACK_ONE_BY_ONE:
        unpack_all(loaded)  # each one taken out by itself would have the collector scan the ones before it
    for item in loaded:
        name = _named(language, settings, item.slug)
        outputs = {fmt: folder / f"{item.slug}.{fmt}" for fmt in FORMATS}
        if not item.valid:
            if item.slug not in run.report.failed:
                run.report.failed.append(item.slug)
            for fmt, path in outputs.items():
                run.records.pop(str(path), None)
                moved = move_aside(path, stale_folder)
                if moved:
                    run.report.messages.append(f"{name}: moved the last good {fmt.upper()} to {moved}")
            continue
        fingerprint, stale = fingerprints[item.slug], stale_formats[item.slug]
        if not stale:
            run.report.fresh.append(name)
            continue
        card = item.card  # a kept scorecard is taken out here (the file read again, should it be damaged)
        if card is None:
            for problem in item.errors:
                print(problem, file=sys.stderr)
            run.report.failed.append(name)
            continue
        try:
            html = render_company(env, card)
        except TemplateError as exc:
            print(f"{item.path}: cannot render{'' if name == item.slug else ' in ' + language.tag}: "
                  f"{_template_error(exc)}", file=sys.stderr)
            run.report.failed.append(name)
            continue
        if "html" in stale:
            write_atomic(outputs["html"], html)
            run.records[str(outputs["html"])] = fingerprint
        kept = ""
        if "pdf" in stale:
            key = _pdf_key(settings, html)
            if run.keep_pdf(outputs["pdf"], fingerprint, key):
                stale.remove("pdf")
                kept = PDF_KEPT
            else:
                run.submit(name, [outputs["pdf"]], fingerprint, render_pdf,
                           PdfJob(name, html, outputs["pdf"], settings.pdf_variant, settings.pdf_tags), laid_out=key)
        if "pdf" not in stale:
            run.report.built.append(name)
        print(f"  render  {name} ({'; '.join(filter(None, (', '.join(stale), kept)))})", file=run.out, flush=True)
    return fingerprints


PDF_KEPT = "its PDF shows nothing that changed"
UNPACK_ONE_BY_ONE = 20  # companies to render whose kept scorecards are taken out one by one, before the others


def _pdf_key(settings: Settings, html: str) -> str:
    """What a PDF is made from: its HTML (the stylesheet is in it), the PDF settings and the code."""
    return hashlib.sha256(f"{_code_digest()}\0{settings.pdf_variant}\0{settings.pdf_tags}\0{html}".encode()).hexdigest()


def _template_error(exc: Exception) -> str:
    from jinja2 import TemplateSyntaxError

    where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, TemplateSyntaxError) else ""
    return f"{where}{type(exc).__name__}: {exc}"


def _season_data(run: _Run, cards: list[Scorecard]):
    """The season view of every company, in no language, and the exchange-rate file's bytes; None (reported)
    when the rates cannot be read."""
    from scorecards.compute.season import build_seasons
    from scorecards.errors import InputError
    from scorecards.sources.fx import FX_FILE, load_rates

    fx_path = run.settings.inputs / FX_FILE
    try:
        rates = load_rates(run.settings.inputs)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None
    return build_seasons(cards, rates), fx_path.read_bytes() if fx_path.exists() else b""


def _build_season(run: _Run, env, cards: list[Scorecard], fingerprints: dict[str, str], language, season):
    """The season summary (HTML, PDF) in one language, from ``season`` (seasons, fx bytes; None when the rates
    could not be read); returns (seasons, fingerprint) for the book."""
    from jinja2 import TemplateError

    from scorecards.build.writer import write_atomic
    from scorecards.render.pdf import PdfJob, render_pdf
    from scorecards.render.templates import render_season

    settings = run.settings
    folder = settings.output_folder(language.tag)
    name = _named(language, settings, "season")
    if season is None:
        run.report.failed.append(name)
        return None
    seasons, fx = season
    digest = hashlib.sha256()
    for slug in sorted(fingerprints):
        digest.update(f"{slug}:{fingerprints[slug]}\n".encode())
    digest.update(fx)
    digest.update((_language_base(settings, env, "season.html", language)
                   + _language_base(settings, env, "book.html", language)).encode())
    fingerprint = digest.hexdigest()
    paths = {part: folder / part for part in SEASON_OUTPUTS}
    stale_html = "html" in run.formats and run.stale(paths["season.html"], fingerprint)
    stale_pdf = "pdf" in run.formats and run.stale(paths["season.pdf"], fingerprint)
    if stale_html or stale_pdf:
        kept = ""
        try:  # the PDF's HTML first, so that its render starts while the page's HTML is made
            pdf_html = render_season(env, seasons, cards, for_pdf=True) if stale_pdf else ""
            key = _pdf_key(settings, pdf_html) if stale_pdf else ""
            if stale_pdf and run.keep_pdf(paths["season.pdf"], fingerprint, key):
                stale_pdf, kept = False, PDF_KEPT
            if stale_pdf:
                run.submit(name, [paths["season.pdf"]], fingerprint, render_pdf,
                           PdfJob(name, pdf_html, paths["season.pdf"], settings.pdf_variant, settings.pdf_tags),
                           alone=_listed(seasons, settings) > 50, laid_out=key)
            if stale_html:
                write_atomic(paths["season.html"], render_season(env, seasons, cards))
                run.records[str(paths["season.html"])] = fingerprint
        except TemplateError as exc:
            print(f"season summary: cannot render: {_template_error(exc)}", file=sys.stderr)
            run.report.failed.append(name)
            return None
        where = "" if folder == settings.build else f" in {language.tag}"
        made = ", ".join(f for f, s in (("html", stale_html), ("pdf", stale_pdf)) if s)
        print(f"  render  season summary{where} ({'; '.join(filter(None, (made, kept)))})", file=run.out, flush=True)
    return seasons, fingerprint


def _listed(seasons, settings: Settings) -> int:
    """How many company rows the summary's PDF lists (a season past season_table_max_companies lists none): past
    about 50, its PDF is long enough to be rendered in a process of its own, so the pool's workers stay small."""
    return sum(len(s.rows) for s in seasons if len(s.rows) <= settings.season_table_max_companies)


EXPORTS = ("season.csv", "season.xlsx", "season.json")


def _build_exports(run: _Run, cards: list[Scorecard], loaded: list[Loaded], seasons, fx: bytes) -> None:
    """build/season.csv, .xlsx and .json: data, in no language, from every company's inputs."""
    from scorecards.render.exports import card_lines, write_exports

    items = [i for i in loaded if i.card is not None]
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.slug):
        digest.update(item.slug.encode() + b":" + hashlib.sha256(item.raw + item.inputs_digest.encode()).digest())
    digest.update(fx + (run.settings.model_dump_json() + _code_digest()).encode())
    fingerprint = digest.hexdigest()
    paths = {part: run.settings.build / part for part in EXPORTS}
    stale = [part for part in EXPORTS if run.stale(paths[part], fingerprint)]
    if not stale:
        return
    data_date = max((c.data_date for c in cards if c.data_date), default=None)
    created = dt.datetime.combine(data_date, dt.time()) if data_date else None
    order = {id(card): index for index, card in enumerate(cards)}  # the companies in the order of the summary
    for item in items:
        if item.lines is None:
            item.lines = card_lines(item.card)  # type: ignore[arg-type]
    lines = [item.lines for item in sorted(items, key=lambda i: order[id(i.card)])]
    # one process for the three: each joins the kept lines (the workbook ~0.4 s at 500 companies, the others
    # ~0.1 s); a second process cost more in copied memory than it saved by running beside the first
    targets = [paths[part] for part in EXPORTS if part in stale]
    name = "exports " + ", ".join(t.name for t in targets)
    run.submit(name, targets, fingerprint, write_exports, name, seasons, lines, targets, created, forked=True)
    print(f"  export  {', '.join(stale)}", file=run.out, flush=True)


@dataclass
class _BookAhead:
    """The book's contents page laid out while the workers render, from the parts' page counts as they were
    before this build (a changed company almost always keeps its page count): used if the counts still hold."""

    contents_pages: int
    plan: list[tuple[str, int, int]]
    contents: Future  # the contents page's PDF


def _book_parts(run: _Run, cards: list[Scorecard], language, fingerprint: str):
    """(target, season PDF, [(card, PDF)]) when the book is to be made now and every part exists, else None."""
    folder = run.settings.output_folder(language.tag)
    target = folder / "season-book.pdf"
    if "pdf" not in run.formats or not run.stale(target, fingerprint) or len(cards) > run.settings.book_max_companies:
        return None
    parts = [(card, folder / f"{card.slug}.pdf") for card in cards]
    season_pdf = folder / "season.pdf"
    if not season_pdf.exists() or any(not path.exists() for _, path in parts):
        return None
    return target, season_pdf, parts


def _plan_key(entries) -> list[tuple[str, int, int]]:
    return [(entry.title, entry.first_page, entry.pages) for entry in entries]


def _contents_guesses(settings: Settings) -> tuple[Path, dict]:
    """How many pages each book's contents took last time (a long contents laid out twice cost ~1.2 s per
    layout at 100 companies): build/.cache/book-contents.json."""
    path = settings.build / ".cache" / "book-contents.json"
    try:
        guesses = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        guesses = {}
    return path, guesses if isinstance(guesses, dict) else {}


def _contents_guess(settings: Settings, target: Path) -> int:
    guess = _contents_guesses(settings)[1].get(str(target))
    return guess if isinstance(guess, int) and guess >= 1 else 1


def _contents_page(run: _Run, env, seasons, entries) -> Future:
    """The book's contents page for ``entries``, laid out by a pool worker (WeasyPrint is loaded there)."""
    from scorecards.render.pdf import render_html_to_pdf
    from scorecards.render.templates import render_book_contents

    return run.workers.call_async(render_html_to_pdf, render_book_contents(env, seasons, entries),  # type: ignore[attr-defined]
                                  run.workers.roots, run.workers.base_url)  # type: ignore[attr-defined]


def _book_key(run: _Run, env, language, season_pdf: Path, parts) -> str | None:
    """What the book is made from: each part's HTML (its _pdf_key), the book's template, settings, code and
    language; None while a part is being laid out (or was laid out before keys were kept)."""
    keys = [run.laid_out.get(str(path)) for path in [season_pdf, *(path for _, path in parts)]]
    if None in keys:
        return None
    base = _language_base(run.settings, env, "book.html", language)
    return hashlib.sha256("\0".join([base, *keys]).encode()).hexdigest()  # type: ignore[list-item]


def _book_ahead(run: _Run, env, cards: list[Scorecard], language, seasons, fingerprint: str) -> _BookAhead | None:
    from scorecards.render import book

    found = _book_parts(run, cards, language, fingerprint)
    if found is None:
        return None
    target, season_pdf, parts = found
    key = _book_key(run, env, language, season_pdf, parts)
    if key and run.laid_out_from(target, key):
        return None  # every part is as it was: the book is kept (_build_book)
    contents_pages = _contents_guess(run.settings, target)
    entries = book.plan(season_pdf, parts, contents_pages)
    return _BookAhead(contents_pages, _plan_key(entries), _contents_page(run, env, seasons, entries))


def _build_book(run: _Run, env, cards: list[Scorecard], language, seasons, fingerprint: str,
                ahead: _BookAhead | None = None) -> None:
    """season-book.pdf in one language from its season PDF and every company PDF, once they are all current."""
    from scorecards.build.writer import write_atomic
    from scorecards.render import book
    from scorecards.render.filters import season_label

    settings = run.settings
    folder = settings.output_folder(language.tag)
    target = folder / "season-book.pdf"
    name = _named(language, settings, target.name)
    if "pdf" not in run.formats or not run.stale(target, fingerprint):
        return
    if len(cards) > settings.book_max_companies:
        from scorecards.build.writer import remove

        remove(target)
        run.records.pop(str(target), None)
        run.report.messages.append(
            f"{name} not built: {len(cards)} companies is over book_max_companies = "
            f"{settings.book_max_companies} (raise it in [tool.scorecard] to build the pack anyway)")
        return
    found = _book_parts(run, cards, language, fingerprint)
    behind = [path.name for path in [folder / "season.pdf", *(folder / f"{card.slug}.pdf" for card in cards)]
              if str(path) not in run.records or not path.exists()]
    if found is None or behind:  # a part failed to render (its error is reported): an older PDF must not go in
        from scorecards.build.writer import move_aside

        run.records.pop(str(target), None)
        moved = move_aside(target, _stale_folder(settings, language))
        run.report.messages.append(f"{name} not built: no current {', '.join(behind)} (see the errors above)"
                                   + (f"; moved the last book to {moved}" if moved else ""))
        return
    _, season_pdf, parts = found
    key = _book_key(run, env, language, season_pdf, parts)
    if key and run.keep_pdf(target, fingerprint, key):
        print(f"  book    {name} (kept: every part is as it was)", file=run.out, flush=True)
        return
    guess = contents_pages = ahead.contents_pages if ahead else _contents_guess(settings, target)
    while True:
        entries = book.plan(season_pdf, parts, contents_pages)
        if ahead is not None and ahead.contents_pages == contents_pages and ahead.plan == _plan_key(entries):
            contents = ahead.contents.result()
        else:
            contents = _contents_page(run, env, seasons, entries).result()
        ahead = None
        pages = book.page_count_bytes(contents)
        if pages == contents_pages:
            break
        contents_pages = pages
    if guess != contents_pages:
        guesses_path, guesses = _contents_guesses(settings)
        try:
            write_atomic(guesses_path, json.dumps({**guesses, str(target): contents_pages}, sort_keys=True))
        except BuildError:
            pass  # only a guess for next time
    if seasons:
        label = season_label(seasons[0].quarter, lang=language)
        title = language.gettext("Earnings scorecards: %(season)s") % {"season": label}
        subject = language.ngettext("%(season)s: season summary and %(num)d company scorecard",
                                    "%(season)s: season summary and %(num)d company scorecards",
                                    len(cards)) % {"season": label, "num": len(cards)}
    else:
        title = language.gettext("Earnings scorecards")
        subject = language.ngettext("the season summary and %(num)d company scorecard",
                                    "the season summary and %(num)d company scorecards", len(cards)) % {"num": len(cards)}
    metadata = {"/Title": title, "/Author": settings.author, "/Subject": subject,
                "/Keywords": ", ".join(c.company.ticker for c in cards), "/Producer": "scorecards"}
    write_atomic(target, book.assemble(contents, season_pdf, parts, metadata, language.gettext("Contents"),
                                              language.tag))
    run.records[str(target)] = fingerprint
    if key:
        run.laid_out[str(target)] = key
    else:
        run.laid_out.pop(str(target), None)
    print(f"  book    {name} ({len(cards)} companies)", file=run.out, flush=True)


SCHEMA = "scorecard.schema.json"


def _write_schema(run: _Run) -> None:
    """build/scorecard.schema.json (for editors), made again only when the code changed (~0.05 s at the very end
    of every build, when the last PDF is done)."""
    from scorecards.build.writer import write_if_changed
    from scorecards.model.schema import json_schema

    path = run.settings.build / SCHEMA
    if run.stale(path, _code_digest()):
        write_if_changed(path, json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
        run.records[str(path)] = _code_digest()


def _remove_orphans(run: _Run, loaded: list[Loaded]) -> None:
    """Delete the outputs of companies whose input file is gone, in every language's folder."""
    from scorecards.build.writer import remove

    build_dir = run.settings.build
    current = {item.slug for item in loaded} | {Path(name).stem for name in (*SEASON_OUTPUTS, SCHEMA)}
    for key in list(run.records):
        path = Path(key)
        if build_dir in (path.parent, path.parent.parent) and path.stem not in current:
            remove(path)
            run.records.pop(key)
            run.report.messages.append(f"removed {path}: its input is gone")


@dataclass(frozen=True)
class LanguageLink:
    """A language a company's scorecard is built in, for the index."""

    tag: str
    autonym: str
    folder: str        # relative to build/: '' for the default language, else the tag
    default: bool


def _write_index(run: _Run, loaded: list[Loaded], cards: list[Scorecard], built: dict, envs: dict) -> None:
    """build/index.html in the default language, linking each company's scorecard in every language whose
    outputs are current (built now, or by an earlier build with the same inputs, templates and catalogue);
    ``envs``: the template environments of the languages built now."""
    from scorecards.build.writer import write_if_changed
    from scorecards.i18n import available, load_language
    from scorecards.render.templates import make_env, render_index

    settings = run.settings
    tags = list(dict.fromkeys([settings.default_language, *settings.languages, *built, *available(settings.locale)]))
    languages = {tag: built.get(tag) or _try_language(settings, tag) for tag in tags}
    languages = {tag: lang for tag, lang in languages.items() if lang is not None}
    envs = {tag: envs.get(tag) or make_env(settings, lang) for tag, lang in languages.items()}
    env = envs.get(settings.default_language) or make_env(settings, load_language(settings.locale, "en"))
    links: dict[str, list[LanguageLink]] = {item.slug: [] for item in loaded if item.card is not None}
    for tag, lang in languages.items():
        base = _language_base(settings, envs[tag], "company.html", lang)
        folder = settings.output_folder(tag)
        for item in loaded:
            if item.card is None:
                continue
            fingerprint = _company_fingerprint(item, base)
            if all(run.records.get(str(folder / f"{item.slug}.{fmt}")) == fingerprint and
                   (folder / f"{item.slug}.{fmt}").exists() for fmt in FORMATS):
                links[item.slug].append(LanguageLink(tag, lang.autonym, "" if folder == settings.build else tag,
                                                     folder == settings.build))
    failed = [{"slug": item.slug, "path": str(item.path), "errors": len(item.errors)}
              for item in loaded if item.card is None]
    write_if_changed(settings.build / "index.html", render_index(env, cards, failed, links, _season_links(run, built)))


def _season_links(run: _Run, languages: dict) -> dict:
    """The season's outputs this build left current, for the index: per language it built (``languages``) the
    summary (HTML, PDF) and the book, and the data files (no language); paths relative to build/."""
    settings = run.settings

    def current(path: Path) -> bool:
        return str(path) in run.records and path.exists()

    summaries = []
    for tag, lang in languages.items():
        folder = settings.output_folder(tag)
        files = [name for name in ("season.html", "season.pdf", "season-book.pdf") if current(folder / name)]
        if files:
            prefix = "" if folder == settings.build else f"{tag}/"
            summaries.append({"tag": tag, "autonym": lang.autonym, "files": {name: prefix + name for name in files}})
    data = [name for name in EXPORTS if current(settings.build / name)]
    return {"summaries": summaries, "data": data}


def _try_language(settings: Settings, tag: str):
    from scorecards.errors import SettingsError
    from scorecards.i18n import load_language

    try:
        return load_language(settings.locale, tag)
    except SettingsError:
        return None


def _outputs_mk(run: _Run) -> str:
    """build/outputs.mk: what make checks for besides the companies' own (which it knows from inputs/), so that a
    no-op make starts no Python and a deleted output is rebuilt: the season outputs as the last build wrote them,
    in each language, and which languages the build makes."""
    settings = run.settings
    lines = ["# Written by the build: outputs make checks for besides the companies' own."]
    languages = list(dict.fromkeys([settings.default_language, *settings.languages]))
    lines.append(f"DEFAULT_LANGUAGE := {settings.default_language}")
    lines.append(f"LANGUAGES := {' '.join(languages)}")
    written = sorted({Path(key).parent.name for key in run.records if Path(key).parent.parent == settings.build})
    for tag in dict.fromkeys([*languages, *written]):
        folder = settings.output_folder(tag)
        names = SEASON_OUTPUTS if folder == settings.build else tuple(n for n in SEASON_OUTPUTS if n not in EXPORTS)
        expected = [folder / n for n in names if str(folder / n) in run.records and (folder / n).exists()]
        variable = "SEASON_OUTPUTS" if folder == settings.build else f"SEASON_OUTPUTS_{tag}"
        lines.append(f"{variable} := " + " ".join(str(p) for p in expected))
    return "\n".join(lines) + "\n"


def cards_only(loaded: list[Loaded]) -> list[Scorecard]:
    return [item.card for item in loaded if item.card is not None]
