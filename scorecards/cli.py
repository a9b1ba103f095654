"""The command line: ``scorecard validate | build | new | schema | email | send``.

Errors become messages and exit codes here and only here.
"""
from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import click

from . import __version__
from .errors import ScorecardError
from .settings import load_settings


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
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
def main() -> None:
    """Earnings scorecards: YAML files in inputs/, HTML and PDF scorecards in build/."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Check company files (default: every inputs/*.yaml) and report every problem."""
    from .build import load_all

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
@click.option("--format", "formats", type=click.Choice(["html", "pdf"]), multiple=True,
              help="Build only this format (repeatable); default both.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="PDF worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild every company even if nothing changed.")
def build(formats: tuple[str, ...], jobs: int | None, force: bool) -> None:
    """Build build/<slug>.html and .pdf for every company, and build/index.html."""
    from .build import FORMATS, build as run

    settings = load_settings()
    report = run(settings, formats or FORMATS, jobs, force)
    parts = [f"{len(report.built)} built", f"{len(report.fresh)} up to date"]
    if report.failed:
        parts.append(f"{len(report.failed)} failed ({', '.join(report.failed)})")
    click.echo("scorecards: " + ", ".join(parts), err=not report.ok)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("ticker")
@click.option("--slug", help="File name without .yaml (default: the ticker in lower case).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(ticker: str, slug: str | None, force: bool) -> None:
    """Start inputs/<slug>.yaml for a company, with every field explained."""
    from .writer import write_atomic

    settings = load_settings()
    ticker = ticker.strip().upper()
    slug = slug or ticker.lower().replace(".", "-")
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
    from .schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    from .writer import write_atomic

    write_atomic(output, text)


@main.command()
def email() -> None:
    """Write each distribution list's e-mail into build/outbox/ as .eml files (a dry run: nothing is sent)."""
    from .build import build as run_build
    from .errors import MailError
    from .mail import fill_outbox
    from .outbox import describe
    from .send import ENV, load_config

    settings = load_settings()
    built = run_build(settings)  # the summaries are computed from the inputs: the PDFs must be built from them too
    if not built.ok:
        raise MailError(f"the build failed ({', '.join(built.failed)}): fix the errors above, then run `make email`")
    sender = load_config().sender
    run = fill_outbox(settings, sender)
    for warning in run.warnings:
        click.echo(warning, err=True)
    lines, to_send, sent = describe(settings.build / "outbox")
    click.echo(f"{settings.build / 'outbox'}/: {len(run.messages)} message{'s' if len(run.messages) != 1 else ''} "
               f"({len(run.written)} written, {len(run.removed)} removed); nothing was sent")
    click.echo("\n".join(lines))
    if sender is None:
        click.echo(f"no sender is configured ({ENV['sender']}): the messages have no From line yet; "
                   "`make send` adds the one configured then", err=True)
    click.echo(f"{to_send} to send, {sent} sent before: open the .eml files in a mail client to check them, "
               "then run `make send`" if to_send else f"nothing new to send ({sent} sent before)")


@main.command()
@click.option("--resend", is_flag=True, help="Send every message again, even to recipients the ledger says have it.")
def send(resend: bool) -> None:
    """Send the messages in build/outbox/ over SMTP; each recipient gets each message once."""
    from .send import account, load_config, send_outbox

    settings = load_settings()
    report = send_outbox(settings, load_config(), resend, progress=click.echo)
    for line in account(report):
        click.echo(line, err=not report.ok)
    sys.exit(0 if report.ok else 1)
