"""The build: load every scorecard, validate, compute, then render and write.

First gather all data from all files, then write (mkdocs' rule). A company
whose input, templates, settings and code are unchanged since its last good
build is not rendered again; its fingerprint is recorded in build/.records.json.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .compute import Scorecard, build_scorecard
from .consensus import ConsensusBook, read_folder as read_consensus
from .enrich import CONSENSUS_FOLDER, gather
from .errors import InputError, Problem
from .loader import Document, parse_yaml
from .settings import Settings
from .validate import validate, warnings_for

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FORMATS = ("html", "pdf")


@dataclass
class Loaded:
    """One input file after loading: a scorecard, or the problems that stopped it."""

    path: Path
    slug: str
    raw: bytes
    card: Scorecard | None
    problems: list[Problem] = field(default_factory=list)
    doc: Document | None = None
    inputs_digest: str = ""  # of the filings, consensus rows and transcripts the scorecard takes (enrich.py)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]


@dataclass
class Report:
    built: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

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


def read_company(path: Path, settings: Settings, consensus: ConsensusBook | None = None) -> Loaded:
    """Load, validate and compute one company file, with what its filing, consensus files and transcripts add."""
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
    try:
        doc = parse_yaml(raw, str(path))
        data = validate(doc)
    except InputError as exc:
        return Loaded(path, slug, raw, None, exc.problems)
    evidence = gather(doc, data, path, settings, consensus)
    problems = sorted(warnings_for(doc, data) + evidence.problems)
    if evidence.errors:
        return Loaded(path, slug, raw, None, problems, doc)
    card = evidence.apply(build_scorecard(slug, evidence.card, settings))
    return Loaded(path, slug, raw, card, problems, doc, evidence.digest)


def check_duplicates(loaded: list[Loaded]) -> None:
    """Two files for the same company: an error on each, naming the other."""
    by_ticker: dict[str, list[Loaded]] = {}
    for item in loaded:
        if item.card is not None:
            by_ticker.setdefault(item.card.company.ticker, []).append(item)
    for ticker, items in by_ticker.items():
        if len(items) < 2:
            continue
        for item in items:
            others = ", ".join(str(o.path) for o in items if o is not item)
            assert item.doc is not None
            item.problems.append(item.doc.problem(("company", "ticker"), f"{ticker} is also the company in {others}",
                                             "keep one file per company"))
            item.card = None


def load_all(settings: Settings, paths: list[Path] | None = None) -> list[Loaded]:
    books: dict[Path, ConsensusBook] = {}  # the consensus files beside the company files, read once per folder
    loaded = []
    for path in discover(settings, paths):
        folder = path.parent / CONSENSUS_FOLDER
        if folder not in books:
            books[folder] = read_consensus(folder)
        loaded.append(read_company(path, settings, books[folder]))
    check_duplicates(loaded)
    return loaded


def _code_digest() -> str:
    digest = hashlib.sha256(__version__.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
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
    pending: dict[str, tuple[list[Path], str]] = field(default_factory=dict)  # job -> (outputs, fingerprint)

    def stale(self, path: Path, fingerprint: str) -> bool:
        return self.force or self.records.get(str(path)) != fingerprint or not path.exists()

    def submit(self, name: str, outputs: list[Path], fingerprint: str, function, *args, alone: bool = False) -> None:
        """Hand a job to the workers (``alone``: to a process of its own); its outputs count once it succeeds."""
        for path in outputs:
            self.records.pop(str(path), None)
        self.pending[name] = (outputs, fingerprint)
        submit = self.workers.submit_alone if alone else self.workers.submit  # type: ignore[attr-defined]
        submit(function, *args)

    def collect(self) -> None:
        for name, error in self.workers.results():  # type: ignore[attr-defined]
            outputs, fingerprint = self.pending.pop(name)
            if error:
                print(error, file=sys.stderr)
                self.report.failed.append(name)
                continue
            for path in outputs:
                self.records[str(path)] = fingerprint
            if name not in ("season", "exports"):
                self.report.built.append(name)


def build(settings: Settings, formats: tuple[str, ...] = FORMATS, jobs: int | None = None,
          force: bool = False, out=sys.stdout) -> Report:
    """Build every company's outputs that are out of date, the season view, then the index and schema."""
    from .pdf import Workers
    from .render import asset_roots

    base_url = (settings.templates / "assets").resolve().as_uri() + "/"
    # PDF workers start now, so that loading WeasyPrint overlaps reading the YAML files
    workers = Workers(asset_roots(settings), base_url, (jobs or settings.workers) if "pdf" in formats else 1)
    try:
        loaded = load_all(settings)
        return _build(settings, formats, force, out, loaded, workers)
    finally:
        workers.close()


def _build(settings: Settings, formats: tuple[str, ...], force: bool, out, loaded: list[Loaded], workers) -> Report:
    from .pdf import harfbuzz_subset_available
    from .render import make_env, render_index
    from .schema import json_schema
    from .writer import BuildLock, write_atomic, write_if_changed

    build_dir = settings.build
    with BuildLock(build_dir):
        env = make_env(settings)
        records_path = build_dir / ".records.json"
        try:
            records: dict[str, str] = json.loads(records_path.read_text("utf-8"))
        except (OSError, ValueError):
            records = {}
        run = _Run(settings, formats, force, records, Report(), out, workers)
        if "pdf" in formats and not harfbuzz_subset_available():
            print("WARNING: libharfbuzz-subset is missing: WeasyPrint falls back to a font subsetter that is "
                  "many times slower. Install it (Debian: apt-get install libharfbuzz-subset0).", file=sys.stderr)
        fingerprints = _build_companies(run, env, loaded)
        cards = sorted((item.card for item in loaded if item.card is not None), key=lambda c: c.company.name.lower())
        season = _build_season(run, env, cards, fingerprints)
        run.collect()
        if season is not None:
            _build_book(run, env, cards, *season)

        _remove_orphans(run, loaded)
        failed = [{"slug": item.slug, "path": str(item.path), "errors": len(item.errors)}
                  for item in loaded if item.card is None]
        write_if_changed(build_dir / "index.html", render_index(env, cards, failed))
        write_if_changed(build_dir / "scorecard.schema.json", json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
        expected = [build_dir / name for name in SEASON_OUTPUTS
                    if str(build_dir / name) in records and (build_dir / name).exists()]
        write_if_changed(build_dir / "outputs.mk", "# Written by the build: outputs make checks for besides the "
                         "companies' own.\nSEASON_OUTPUTS := " + " ".join(str(p) for p in expected) + "\n")
        write_atomic(records_path, json.dumps(records, indent=1, sort_keys=True))
    for message in run.report.messages:
        print(message, file=out)
    return run.report


def _build_companies(run: _Run, env, loaded: list[Loaded]) -> dict[str, str]:
    """Render each out-of-date company; returns the fingerprint of every valid one."""
    from jinja2 import TemplateError

    from .pdf import PdfJob, render_pdf
    from .render import render_company, templates_digest
    from .writer import move_aside, write_atomic

    build_dir = run.settings.build
    base = hashlib.sha256((templates_digest(env, "company.html") + run.settings.model_dump_json()
                           + _code_digest()).encode()).hexdigest()
    fingerprints: dict[str, str] = {}
    for item in loaded:
        outputs = {fmt: build_dir / f"{item.slug}.{fmt}" for fmt in FORMATS}
        for problem in item.problems:
            print(problem, file=sys.stderr)
        if item.card is None:
            run.report.failed.append(item.slug)
            for fmt, path in outputs.items():
                run.records.pop(str(path), None)
                moved = move_aside(path, build_dir / "stale")
                if moved:
                    run.report.messages.append(f"{item.slug}: moved the last good {fmt.upper()} to {moved}")
            continue
        fingerprint = hashlib.sha256(item.raw + item.inputs_digest.encode() + base.encode()).hexdigest()
        fingerprints[item.slug] = fingerprint
        stale = [fmt for fmt in run.formats if run.stale(outputs[fmt], fingerprint)]
        if not stale:
            run.report.fresh.append(item.slug)
            continue
        try:
            html = render_company(env, item.card)
        except TemplateError as exc:
            print(f"{item.path}: cannot render: {_template_error(exc)}", file=sys.stderr)
            run.report.failed.append(item.slug)
            continue
        if "html" in stale:
            write_atomic(outputs["html"], html)
            run.records[str(outputs["html"])] = fingerprint
        if "pdf" in stale:
            run.submit(item.slug, [outputs["pdf"]], fingerprint, render_pdf, PdfJob(item.slug, html, outputs["pdf"], run.settings.pdf_variant, run.settings.pdf_tags))
        else:
            run.report.built.append(item.slug)
        print(f"  render  {item.slug} ({', '.join(stale)})", file=run.out, flush=True)
    return fingerprints


def _template_error(exc: Exception) -> str:
    from jinja2 import TemplateSyntaxError

    where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, TemplateSyntaxError) else ""
    return f"{where}{type(exc).__name__}: {exc}"


def _build_season(run: _Run, env, cards: list[Scorecard], fingerprints: dict[str, str]):
    """The season summary (HTML, PDF) and the data exports; returns (seasons, fingerprint) for the book."""
    from jinja2 import TemplateError

    from .errors import InputError
    from .fx import FX_FILE, load_rates
    from .pdf import PdfJob, render_pdf
    from .render import render_season, templates_digest
    from .season import build_seasons
    from .writer import write_atomic

    build_dir = run.settings.build
    fx_path = run.settings.inputs / FX_FILE
    try:
        rates = load_rates(run.settings.inputs)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        run.report.failed.append("season")
        return None
    digest = hashlib.sha256()
    for slug in sorted(fingerprints):
        digest.update(f"{slug}:{fingerprints[slug]}\n".encode())
    digest.update(fx_path.read_bytes() if fx_path.exists() else b"")
    digest.update((templates_digest(env, "season.html") + templates_digest(env, "book.html")
                   + run.settings.model_dump_json() + _code_digest()).encode())
    fingerprint = digest.hexdigest()
    seasons = build_seasons(cards, rates)
    paths = {name: build_dir / name for name in SEASON_OUTPUTS}
    stale_html = "html" in run.formats and run.stale(paths["season.html"], fingerprint)
    stale_pdf = "pdf" in run.formats and run.stale(paths["season.pdf"], fingerprint)
    exports = [n for n in ("season.csv", "season.xlsx", "season.json") if run.stale(paths[n], fingerprint)]
    if stale_html or stale_pdf:
        try:
            html = render_season(env, seasons, cards)
            pdf_html = render_season(env, seasons, cards, for_pdf=True) if stale_pdf else ""
        except TemplateError as exc:
            print(f"season summary: cannot render: {_template_error(exc)}", file=sys.stderr)
            run.report.failed.append("season")
            return None
        if stale_html:
            write_atomic(paths["season.html"], html)
            run.records[str(paths["season.html"])] = fingerprint
        if stale_pdf:
            run.submit("season", [paths["season.pdf"]], fingerprint, render_pdf,
                       PdfJob("season", pdf_html, paths["season.pdf"], run.settings.pdf_variant, run.settings.pdf_tags),
                       alone=len(cards) > 50)
        print(f"  render  season summary ({', '.join(f for f, s in (('html', stale_html), ('pdf', stale_pdf)) if s)})",
              file=run.out, flush=True)
    if exports:
        from .exports import write_exports

        data_date = max((c.data_date for c in cards if c.data_date), default=None)
        created = dt.datetime.combine(data_date, dt.time()) if data_date else None
        targets = [paths[name] for name in exports]
        run.submit("exports", targets, fingerprint, write_exports, cards, seasons, targets, created)
        print(f"  export  {', '.join(exports)}", file=run.out, flush=True)
    return seasons, fingerprint


def _build_book(run: _Run, env, cards: list[Scorecard], seasons, fingerprint: str) -> None:
    """build/season-book.pdf from the season PDF and every company PDF, once they are all current."""
    from . import book
    from .pdf import render_html_to_pdf
    from .render import asset_roots, render_book_contents
    from .writer import write_atomic

    build_dir = run.settings.build
    target = build_dir / "season-book.pdf"
    if "pdf" not in run.formats or not run.stale(target, fingerprint):
        return
    if len(cards) > run.settings.book_max_companies:
        from .writer import remove

        remove(target)
        run.records.pop(str(target), None)
        run.report.messages.append(
            f"season-book.pdf not built: {len(cards)} companies is over book_max_companies = "
            f"{run.settings.book_max_companies} (raise it in [tool.scorecard] to build the pack anyway)")
        return
    parts = [(card, build_dir / f"{card.slug}.pdf") for card in cards]
    season_pdf = build_dir / "season.pdf"
    if not season_pdf.exists() or any(not path.exists() for _, path in parts):
        return  # a part failed to render; its error is already reported
    base_url = (run.settings.templates / "assets").resolve().as_uri() + "/"
    contents_pages = 1
    while True:
        entries = book.plan(season_pdf, parts, contents_pages)
        contents = render_html_to_pdf(render_book_contents(env, seasons, entries), asset_roots(run.settings), base_url)
        pages = book.page_count_bytes(contents)
        if pages == contents_pages:
            break
        contents_pages = pages
    label = seasons[0].label if seasons else "Earnings season"
    metadata = {"/Title": f"Earnings scorecards: {label}", "/Author": run.settings.author,
                "/Subject": f"{label}: season summary and {len(cards)} company scorecards",
                "/Keywords": ", ".join(c.company.ticker for c in cards), "/Producer": "scorecards"}
    write_atomic(target, book.assemble(contents, season_pdf, parts, metadata))
    run.records[str(target)] = fingerprint
    print(f"  book    {target.name} ({len(cards)} companies)", file=run.out, flush=True)


def _remove_orphans(run: _Run, loaded: list[Loaded]) -> None:
    """Delete the outputs of companies whose input file is gone."""
    from .writer import remove

    current = {item.slug for item in loaded} | {Path(name).stem for name in SEASON_OUTPUTS}
    for key in list(run.records):
        path = Path(key)
        if path.parent == run.settings.build and path.stem not in current:
            remove(path)
            run.records.pop(key)
            run.report.messages.append(f"removed {path}: its input is gone")


def cards_only(loaded: list[Loaded]) -> list[Scorecard]:
    return [item.card for item in loaded if item.card is not None]
