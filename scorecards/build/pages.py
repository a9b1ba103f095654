"""The pages: each company's scorecard and the season summary, as HTML (written here) and PDF (laid out by the
workers), in one language.

Each step first gathers what it needs (fingerprints, which outputs are stale), then produces its files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, TemplateError

from scorecards.build.context import FORMATS, Context, logger
from scorecards.build.corpus import Loaded, unpack_all
from scorecards.build.fingerprints import company_fingerprint, language_base, pdf_key
from scorecards.compute.season import Season
from scorecards.i18n import Language
from scorecards.model.scorecard import Scorecard
from scorecards.render.pdf import PdfJob, render_pdf
from scorecards.render.templates import render_company, render_season, template_error

PDF_KEPT = "its PDF shows nothing that changed"
UNPACK_ONE_BY_ONE = 20  # companies to render whose kept scorecards are taken out one by one, before the others
SEASON_OUTPUTS = ("season.html", "season.pdf", "season.csv", "season.xlsx", "season.json", "season-book.pdf")
ALONE_PAST = 50  # a summary listing more companies is laid out in a process of its own: the pool's workers stay small


@dataclass(frozen=True)
class Summary:
    """The season summary of one language, for its book: the seasons and the summary's fingerprint."""

    seasons: tuple[Season, ...]
    fingerprint: str


def company_pages(ctx: Context, env: Environment, loaded: list[Loaded], language: Language) -> dict[str, str]:
    """Render each out-of-date company in one language; returns the fingerprint of every valid one."""
    folder = ctx.settings.output_folder(language.tag)
    base = language_base(ctx.settings, env, "company.html", language)
    fingerprints = {item.slug: company_fingerprint(item.raw, item.inputs_digest, base) for item in loaded if item.valid}
    stale = {
        slug: [fmt for fmt in ctx.formats if ctx.writer.stale(folder / f"{slug}.{fmt}", fingerprint)]
        for slug, fingerprint in fingerprints.items()
    }
    if sum(map(bool, stale.values())) > UNPACK_ONE_BY_ONE:
        unpack_all(loaded)  # each one taken out by itself would have the collector scan the ones before it
    for item in loaded:
        if item.valid:
            _company_page(ctx, env, item, language, fingerprints[item.slug], stale[item.slug])
        else:
            _failed_company(ctx, item, language)
    return fingerprints


def _failed_company(ctx: Context, item: Loaded, language: Language) -> None:
    """A company whose file has errors: its last good outputs are moved aside, so they no longer look current."""
    if item.slug not in ctx.report.failed:
        ctx.report.failed.append(item.slug)
    folder = ctx.settings.output_folder(language.tag)
    for fmt in FORMATS:
        moved = ctx.writer.move_aside(folder / f"{item.slug}.{fmt}", ctx.stale_folder(language))
        if moved:
            logger.warning("%s: moved the last good %s to %s", ctx.named(language, item.slug), fmt.upper(), moved)


def _company_page(
    ctx: Context, env: Environment, item: Loaded, language: Language, fingerprint: str, stale: list[str]
) -> None:
    name = ctx.named(language, item.slug)
    if not stale:
        ctx.report.fresh.append(name)
        return
    folder = ctx.settings.output_folder(language.tag)
    card = item.card  # a kept scorecard is taken out here (the file read again, should it be damaged)
    if card is None:
        for problem in item.errors:
            logger.error("%s", problem)
        _not_current(ctx, folder, item.slug, name)
        return
    try:
        html = render_company(env, card)
    except TemplateError as exc:
        where = "" if name == item.slug else " in " + language.tag
        logger.error("%s: cannot render%s: %s", item.path, where, template_error(exc))
        _not_current(ctx, folder, item.slug, name)
        return
    if "html" in stale:
        ctx.writer.write(folder / f"{item.slug}.html", html, fingerprint)
    kept = ""
    if "pdf" in stale:
        target = folder / f"{item.slug}.pdf"
        key = pdf_key(ctx.settings, html)
        if ctx.writer.keep_pdf(target, fingerprint, key):
            stale.remove("pdf")
            kept = PDF_KEPT
        else:
            job = PdfJob(name, html, target, ctx.settings.pdf_variant, ctx.settings.pdf_tags)
            ctx.submit(name, [target], fingerprint, render_pdf, job, laid_out=key)
    if "pdf" not in stale:
        ctx.report.built.append(name)
    logger.info("  render  %s (%s)", name, "; ".join(filter(None, (", ".join(stale), kept))))


def _not_current(ctx: Context, folder: Path, slug: str, name: str) -> None:
    """A company that could not be rendered: its older outputs stay on disk but no longer count as current (the
    book must not take them, the index must not link them)."""
    for fmt in FORMATS:
        ctx.writer.forget(folder / f"{slug}.{fmt}")
    ctx.report.failed.append(name)


def season_pages(
    ctx: Context,
    env: Environment,
    cards: list[Scorecard],
    fingerprints: dict[str, str],
    language: Language,
    seasons: tuple[Season, ...],
    fx: bytes,
    before_page: Callable[[], None] = lambda: None,
) -> Summary | None:
    """The season summary (HTML, PDF) in one language; None when it cannot be rendered (reported). ``before_page`` is
    called once its PDF is handed in, before its page is made."""
    settings = ctx.settings
    folder = settings.output_folder(language.tag)
    name = ctx.named(language, "season")
    digest = hashlib.sha256()
    for slug in sorted(fingerprints):
        digest.update(f"{slug}:{fingerprints[slug]}\n".encode())
    digest.update(fx)
    for template in ("season.html", "book.html"):
        digest.update(language_base(settings, env, template, language).encode())
    fingerprint = digest.hexdigest()
    html_path, pdf_path = folder / "season.html", folder / "season.pdf"
    stale_html = "html" in ctx.formats and ctx.writer.stale(html_path, fingerprint)
    stale_pdf = "pdf" in ctx.formats and ctx.writer.stale(pdf_path, fingerprint)
    if not (stale_html or stale_pdf):
        return Summary(seasons, fingerprint)
    kept = ""
    try:  # the PDF's HTML first, so that its layout starts while the page's HTML is made
        if stale_pdf:
            pdf_html = render_season(env, seasons, cards, for_pdf=True)
            key = pdf_key(settings, pdf_html)
            if ctx.writer.keep_pdf(pdf_path, fingerprint, key):
                stale_pdf, kept = False, PDF_KEPT
            else:
                job = PdfJob(name, pdf_html, pdf_path, settings.pdf_variant, settings.pdf_tags)
                alone = _listed(seasons, settings.season_table_max_companies) > ALONE_PAST
                ctx.submit(name, [pdf_path], fingerprint, render_pdf, job, alone=alone, laid_out=key)
        before_page()
        if stale_html:
            ctx.writer.write(html_path, render_season(env, seasons, cards), fingerprint)
    except TemplateError as exc:
        logger.error("season summary: cannot render: %s", template_error(exc))
        ctx.report.failed.append(name)
        return None
    where = "" if folder == settings.build else f" in {language.tag}"
    made = ", ".join(fmt for fmt, stale in (("html", stale_html), ("pdf", stale_pdf)) if stale)
    logger.info("  render  season summary%s (%s)", where, "; ".join(filter(None, (made, kept))))
    return Summary(seasons, fingerprint)


def _listed(seasons: tuple[Season, ...], table_max: int) -> int:
    """How many company rows the summary's PDF lists (a season past ``table_max`` companies lists none)."""
    return sum(len(s.rows) for s in seasons if len(s.rows) <= table_max)
