"""The command line: ``scorecard validate | build | serve | new | schema | email | send | ...``.

Errors become messages and exit codes here and only here. The rest of the package reports through ``logging``;
this module sends it to standard error (``-v`` for more, ``-q`` for errors only), with a progress bar on a
terminal while a build waits for its PDFs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from scorecards import __version__
from scorecards.errors import ScorecardError
from scorecards.i18n import TAG_RE, canonical_tag
from scorecards.settings import load_settings

if TYPE_CHECKING:
    from rich.progress import Progress as Bar
    from rich.progress import TaskID

    from scorecards.build.pipeline import Report


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScorecardError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scorecard")
@click.option("-v", "--verbose", is_flag=True, help="Say more: each step of a build, each request served.")
@click.option("-q", "--quiet", is_flag=True, help="Say only what went wrong.")
def main(verbose: bool, quiet: bool) -> None:
    """Earnings scorecards: YAML files in inputs/, HTML and PDF scorecards in build/."""
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    package = logging.getLogger("scorecards")
    package.handlers[:] = [handler]
    package.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)
    package.propagate = False


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a message comes (the progress bar stands in for it while shown,
    so that messages scroll above the bar)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


class _ProgressBar:
    """A bar on standard error while a build waits for its PDFs, when standard error is a terminal and there are
    enough of them to wait for (make's logs stay clean)."""

    SHOWN_FROM = 8  # jobs

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar: Bar | None = None
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        if self.quiet or total < self.SHOWN_FROM or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("laying out PDFs"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("pdf", total=total)
        self.bar.start()

    def advance(self, name: str) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.stop()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Check company files (default: every inputs/*.yaml) and report every problem."""
    from scorecards.build.corpus import load_all

    settings = load_settings()
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{path} does not exist", param_hint="PATHS")
    loaded = load_all(settings, list(paths) or None)
    errors = warnings = 0
    for item in loaded:
        for problem in item.problems:
            click.echo(str(problem), err=True)
            warnings += problem.warning
            errors += not problem.warning
    bad = errors or (strict and warnings)
    summary = f"{len(loaded)} file{'s' if len(loaded) != 1 else ''} checked: "
    summary += f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    click.echo(summary, err=bool(bad))
    if not loaded:
        click.echo(f"no company files found in {settings.inputs}/", err=True)
    sys.exit(1 if bad else 0)


@main.command()
@click.option(
    "--format",
    "formats",
    type=click.Choice(["html", "pdf"]),
    multiple=True,
    help="Build only this format (repeatable); default both.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="PDF worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild every company even if nothing changed.")
@click.option(
    "--locale",
    "locales",
    multiple=True,
    metavar="LANGUAGE",
    help="Build in this language only (repeatable), e.g. zh-Hant; default: the languages setting.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Lay out the PDFs on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 (docs/cluster.md).",
)
def build(
    formats: tuple[str, ...], jobs: int | None, force: bool, locales: tuple[str, ...], scheduler: str | None
) -> None:
    """Build build/<slug>.html and .pdf for every company, and build/index.html (other languages: build/<language>/)."""
    settings = load_settings()
    local = not scheduler and settings.executor == "local"
    if local and (not formats or "pdf" in formats) and (jobs or settings.workers or os.cpu_count() or 1) > 1:
        from scorecards.render.pdf import start_fork_server

        start_fork_server()  # only for a pool of workers (with one, PDFs are laid out in this process)
    from scorecards.build.pipeline import FORMATS
    from scorecards.build.pipeline import build as run

    languages = [tag for given in locales for tag in given.split()] or None
    for tag in languages or ():  # a tag names a folder of locale/ and of build/: '../../x' would walk out of both
        if not TAG_RE.match(canonical_tag(tag)):
            raise ScorecardError(f"--locale: '{tag}' is not a language tag (write e.g. en, zh-Hant or zh-Hans)")
    with _ProgressBar(_quiet()) as bar:
        report = run(settings, formats or FORMATS, jobs, force, languages, progress=bar, scheduler=scheduler)
    click.echo(summary(report), err=not report.ok)
    _end_now(0 if report.ok else 1)


def _end_now(code: int) -> NoReturn:
    """End the process at once, once what it says is out: every file is written and closed, the workers have ended,
    and Python's tearing down of what the build holds (every scorecard, object by object) would only keep ``make``
    waiting, ~0.1 s at 500 companies. Only for a command run as a process of its own (``scorecard build``)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away, a stream closed: nothing to say
            stream.flush()
    os._exit(code)


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free one).",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="PDF worker processes (default: one per core).")
def serve(port: int, jobs: int | None) -> None:
    """Build, serve build/ on http://127.0.0.1:PORT/, rebuild on every save and reload the open page."""
    from scorecards.build.serve import serve as run

    run(load_settings, port, jobs)


def summary(report: Report) -> str:
    """The build's last line: 'scorecards: 1 built, 7 up to date'."""
    parts = [f"{len(report.built)} built", f"{len(report.fresh)} up to date"]
    if report.failed:
        parts.append(f"{len(report.failed)} failed ({', '.join(report.failed)})")
    return "scorecards: " + ", ".join(parts)


def _quiet() -> bool:
    return logging.getLogger("scorecards").level > logging.INFO


@main.command()
@click.argument("ticker")
@click.option("--slug", help="File name without .yaml (default: the ticker in lower case).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(ticker: str, slug: str | None, force: bool) -> None:
    """Start inputs/<slug>.yaml for a company, with every field explained."""
    from scorecards.build.corpus import RESERVED_SLUGS, SLUG_RE
    from scorecards.files import write_atomic

    settings = load_settings()
    ticker = ticker.strip().upper()
    given = slug
    slug = slug or ticker.lower().replace(".", "-")
    option = "--slug" if given else f"the ticker {ticker} (give --slug)"
    if not SLUG_RE.match(slug):  # and never a path: '../../x' would write outside inputs/
        raise ScorecardError(
            f"{option}: '{slug}' cannot name a file in {settings.inputs}/ "
            "(use lower-case letters, digits and hyphens, e.g. bloom-energy)"
        )
    if slug in RESERVED_SLUGS:
        raise ScorecardError(f"{option}: '{slug}' would overwrite the {slug} page (choose another name)")
    target = settings.inputs / f"{slug}.yaml"
    if target.exists() and not force:
        raise ScorecardError(f"{target} already exists (use --force to overwrite)")
    skeleton = resources.files("scorecards").joinpath("skeleton.yaml").read_text("utf-8")
    write_atomic(target, skeleton.replace("TICKER", ticker))
    click.echo(f"wrote {target}: fill it in, then run `scorecard validate {target}`")


@main.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file instead of standard output.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the input format (editors use it to check as you type)."""
    from scorecards.model.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    from scorecards.files import write_atomic

    write_atomic(output, text)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--period", required=True, help="The fiscal period: 'Q4 FY2021', 'H1 FY2026' or 'FY2025'.")
@click.option(
    "--fiscal-year-end",
    default="12-31",
    show_default=True,
    metavar="MM-DD",
    help="Month and day the company's fiscal year ends, e.g. 06-30.",
)
@click.option(
    "--named-by",
    type=click.Choice(["end", "start"]),
    default="end",
    show_default=True,
    help="Whether FY2025 is the fiscal year that ends in 2025 (most) or starts in it (Sony).",
)
@click.option("--currency", metavar="CODE", help="Take figures in this currency (default: USD where filed).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def facts(file: Path, period: str, fiscal_year_end: str, named_by: str, currency: str | None, fmt: str) -> None:
    """The standard figures an SEC companyfacts FILE gives for a period, and the filing each comes from."""
    import re

    from scorecards.sources.sec import as_json, as_table, dumps_exact, load_companyfacts, period_span, resolve_all

    if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", fiscal_year_end):
        raise click.BadParameter(
            f"'{fiscal_year_end}' is not a month and day such as 12-31", param_hint="--fiscal-year-end"
        )
    company = load_companyfacts(file)
    span = period_span(period, fiscal_year_end, named_by)
    results = resolve_all(company, span, currency.upper() if currency else None)
    if fmt == "json":
        click.echo(dumps_exact(as_json(results)))
    else:
        click.echo(as_table(company, span, results), nl=False)


@main.command("fetch-sec")
@click.argument("companies", nargs=-1, required=True, metavar="TICKER-OR-CIK...")
@click.option("--force", is_flag=True, help="Download even when the saved file is fresh.")
def fetch_sec(companies: tuple[str, ...], force: bool) -> None:
    """Download SEC companyfacts into inputs/sec/CIK##########.json (needs SCORECARD_SEC_USER_AGENT)."""
    from scorecards.errors import FetchError
    from scorecards.sources.fetch import fetch_companyfacts, user_agent

    settings = load_settings()
    agent = user_agent(settings.sec_user_agent)
    folder = settings.inputs / "sec"
    failed = 0
    for identifier in companies:
        try:
            got = fetch_companyfacts(identifier, folder, agent, refresh_hours=settings.sec_refresh_hours, force=force)
        except FetchError as exc:
            click.echo(f"error: {identifier}: {exc}", err=True)
            failed += 1
            continue
        said = {
            "downloaded": "downloaded",
            "not modified": "unchanged at the SEC; kept",
            "fresh": f"downloaded less than {settings.sec_refresh_hours:g} hours ago; kept (--force to download)",
        }
        click.echo(f"{got.path}: {got.name}, CIK {got.cik}: {said[got.action]}")
        click.echo(f"  use it with `cik: {got.cik}` under company: in the company's file")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
def consensus(paths: tuple[Path, ...]) -> None:
    """Check consensus CSV files (default: inputs/consensus/*.csv) and list what they hold, by company."""
    from scorecards.sources.consensus import ConsensusBook, Estimate, read_file

    settings = load_settings()
    files: list[Path] = []
    for path in paths or (settings.inputs / "consensus",):
        files.extend(sorted(path.glob("*.csv")) if path.is_dir() else [path])
    book = ConsensusBook()
    for path in files:
        read_file(path, book)
    problems = sorted({p for _, p in book.row_problems} | {p for _, p in book.file_problems})
    for problem in problems:
        click.echo(str(problem), err=True)
    by_ticker: dict[str, list[Estimate]] = {}
    for estimate in book.estimates:
        by_ticker.setdefault(estimate.ticker, []).append(estimate)
    for ticker, rows in sorted(by_ticker.items()):
        periods = sorted({e.period for e in rows})
        click.echo(f"{ticker}: {len(rows)} estimate{'s' if len(rows) != 1 else ''} for {', '.join(periods)}")
    click.echo(
        f"{len(files)} file{'s' if len(files) != 1 else ''} checked: {len(book.estimates)} estimates, "
        f"{len(problems)} problem{'s' if len(problems) != 1 else ''}",
        err=bool(problems),
    )
    sys.exit(1 if problems else 0)


@main.command()
@click.option(
    "--include-held",
    is_flag=True,
    help="Send scorecards the ready-to-send gate holds too, each with its reasons in the summary.",
)
def email(include_held: bool) -> None:
    """Write each distribution list's e-mail into build/outbox/ as .eml files (a dry run: nothing is sent).

    Scorecards held by the ready-to-send gate (see build/index.html) are left out, and said so."""
    from scorecards.build.pipeline import build as run_build
    from scorecards.deliver.compose import fill_outbox
    from scorecards.deliver.lists import languages_wanted
    from scorecards.deliver.outbox import describe
    from scorecards.deliver.send import ENV, load_config
    from scorecards.errors import MailError

    settings = load_settings()
    # the summaries are computed from the inputs: the PDFs must be built from them too, in every language a list gets
    languages = list(dict.fromkeys([*settings.languages, *languages_wanted(settings.email.distribution)]))
    with _ProgressBar(_quiet()) as bar:
        built = run_build(settings, languages=languages, progress=bar)
    if not built.ok:  # no list may silently go without a company
        raise MailError(f"the build failed ({', '.join(built.failed)}): fix the errors above, then run `make email`")
    sender = load_config().sender
    run = fill_outbox(settings, built.cards, sender, include_held, built.overflow)
    for warning in run.warnings:
        click.echo(warning, err=True)
    lines, to_send, sent = describe(settings.build / "outbox")
    click.echo(
        f"{settings.build / 'outbox'}/: {len(run.messages)} message{'s' if len(run.messages) != 1 else ''} "
        f"({len(run.written)} written, {len(run.removed)} removed); nothing was sent"
    )
    click.echo("\n".join(lines))
    if sender is None:
        click.echo(
            f"no sender is configured ({ENV['sender']}): the messages have no From line yet; "
            "`make send` adds the one configured then",
            err=True,
        )
    click.echo(
        f"{to_send} to send, {sent} sent before: open the .eml files in a mail client to check them, "
        "then run `make send`"
        if to_send
        else f"nothing new to send ({sent} sent before)"
    )


@main.command()
@click.option("--resend", is_flag=True, help="Send every message again, even to recipients the ledger says have it.")
def send(resend: bool) -> None:
    """Send the messages in build/outbox/ over SMTP; each recipient gets each message once."""
    from scorecards.deliver.send import account, load_config, send_outbox

    settings = load_settings()
    report = send_outbox(settings, load_config(), resend, progress=click.echo)
    for line in account(report):
        click.echo(line, err=not report.ok)
    sys.exit(0 if report.ok else 1)
