"""The build: load every scorecard, validate, compute, then render and write.

First gather all data from all files, then write (mkdocs' rule). A company
whose input, templates, settings and code are unchanged since its last good
build is not rendered again; its fingerprint is recorded in build/.records.json.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .compute import Scorecard, build_scorecard
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


def read_company(path: Path, settings: Settings) -> Loaded:
    slug = path.stem
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Loaded(path, slug, b"", None, [Problem(str(path), 1, 1, "", f"cannot read the file: {exc.strerror}")])
    if not SLUG_RE.match(slug):
        return Loaded(path, slug, raw, None, [Problem(str(path), 1, 1, "", f"file name '{path.name}' cannot name a page",
                                                      "use lower-case letters, digits and hyphens, e.g. bloom-energy.yaml")])
    try:
        doc = parse_yaml(raw, str(path))
        data = validate(doc)
    except InputError as exc:
        return Loaded(path, slug, raw, None, exc.problems)
    return Loaded(path, slug, raw, build_scorecard(slug, data, settings), warnings_for(doc, data), doc)


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
    loaded = [read_company(path, settings) for path in discover(settings, paths)]
    check_duplicates(loaded)
    return loaded


def _code_digest() -> str:
    digest = hashlib.sha256(__version__.encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def build(settings: Settings, formats: tuple[str, ...] = FORMATS, jobs: int | None = None,
          force: bool = False, out=sys.stdout) -> Report:
    """Build every company's outputs that are out of date, then the index and schema."""
    from jinja2 import TemplateError, TemplateSyntaxError

    from .pdf import PdfJob, harfbuzz_subset_available, render_all
    from .render import asset_roots, make_env, render_company, render_index, templates_digest
    from .schema import json_schema
    from .writer import BuildLock, move_aside, remove, write_atomic, write_if_changed

    report = Report()
    build_dir = settings.build
    loaded = load_all(settings)
    with BuildLock(build_dir):
        env = make_env(settings)
        records_path = build_dir / ".records.json"
        try:
            records: dict[str, str] = json.loads(records_path.read_text("utf-8"))
        except (OSError, ValueError):
            records = {}
        base = hashlib.sha256((templates_digest(env, "company.html") + settings.model_dump_json()
                               + _code_digest()).encode()).hexdigest()

        pdf_jobs: list[PdfJob] = []
        pending: dict[str, str] = {}
        for item in loaded:
            outputs = {fmt: build_dir / f"{item.slug}.{fmt}" for fmt in FORMATS}
            for problem in item.problems:
                print(problem, file=sys.stderr)
            if item.card is None:
                report.failed.append(item.slug)
                for fmt, path in outputs.items():
                    records.pop(str(path), None)
                    moved = move_aside(path, build_dir / "stale")
                    if moved:
                        report.messages.append(f"{item.slug}: moved the last good {fmt.upper()} to {moved}")
                continue
            fingerprint = hashlib.sha256(item.raw + base.encode()).hexdigest()
            stale = [fmt for fmt in formats
                     if force or records.get(str(outputs[fmt])) != fingerprint or not outputs[fmt].exists()]
            if not stale:
                report.fresh.append(item.slug)
                continue
            try:
                html = render_company(env, item.card)
            except TemplateError as exc:
                where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, TemplateSyntaxError) else ""
                print(f"{item.path}: cannot render: {where}{type(exc).__name__}: {exc}", file=sys.stderr)
                report.failed.append(item.slug)
                continue
            if "html" in stale:
                write_atomic(outputs["html"], html)
                records[str(outputs["html"])] = fingerprint
            if "pdf" in stale:
                records.pop(str(outputs["pdf"]), None)
                pdf_jobs.append(PdfJob(item.slug, html, outputs["pdf"]))
                pending[item.slug] = fingerprint
            else:
                report.built.append(item.slug)
            print(f"  render  {item.slug} ({', '.join(stale)})", file=out, flush=True)

        if pdf_jobs:
            if not harfbuzz_subset_available():
                print("WARNING: libharfbuzz-subset is missing: WeasyPrint falls back to a font subsetter that is "
                      "many times slower. Install it (Debian: apt-get install libharfbuzz-subset0).", file=sys.stderr)
            base_url = (settings.templates / "assets").resolve().as_uri() + "/"
            for slug, error in render_all(pdf_jobs, asset_roots(settings), base_url, jobs or settings.workers).items():
                if error:
                    print(error, file=sys.stderr)
                    report.failed.append(slug)
                else:
                    records[str(build_dir / f"{slug}.pdf")] = pending[slug]
                    report.built.append(slug)

        current = {item.slug for item in loaded}
        for key in list(records):
            path = Path(key)
            if path.parent == build_dir and path.stem not in current:
                remove(path)
                records.pop(key)
                report.messages.append(f"removed {path}: its input is gone")

        cards = sorted((item.card for item in loaded if item.card is not None), key=lambda c: c.company.name.lower())
        failed = [{"slug": item.slug, "path": str(item.path), "errors": len(item.errors)}
                  for item in loaded if item.card is None]
        write_if_changed(build_dir / "index.html", render_index(env, cards, failed))
        write_if_changed(build_dir / "scorecard.schema.json", json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
        write_atomic(records_path, json.dumps(records, indent=1, sort_keys=True))
    for message in report.messages:
        print(message, file=out)
    return report


def cards_only(loaded: list[Loaded]) -> list[Scorecard]:
    return [item.card for item in loaded if item.card is not None]
