"""The season book, season-book.pdf: a contents page, the season summary and every company's scorecard, put
together from the PDFs this build left current (scorecards.render.book), in one language.

Its contents page is laid out ahead, while the workers render (``book_ahead``), from the parts' page counts as
they were before this build: a changed company almost always keeps its page count.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from scorecards.build.context import Context, logger
from scorecards.build.fingerprints import language_base
from scorecards.build.pages import Summary
from scorecards.compute.season import Season
from scorecards.i18n import Language
from scorecards.model.scorecard import Scorecard
from scorecards.render import book
from scorecards.render.filters import season_label
from scorecards.render.pdf import render_html_to_pdf
from scorecards.render.templates import render_book_contents

BOOK = "season-book.pdf"
CONTENTS_GUESSES = Path(".cache") / "book-contents.json"  # how many pages each book's contents took last time

Parts = list[tuple[Scorecard, Path]]


@dataclass
class Ahead:
    """The contents page laid out ahead, and the plan it was laid out for."""

    contents_pages: int
    plan: list[tuple[str, int, int]]
    contents: Future[bytes]


def book_ahead(
    ctx: Context, env: Environment, cards: list[Scorecard], language: Language, summary: Summary
) -> Ahead | None:
    """Start laying out the contents page of a book that is to be made, if its parts exist already."""
    found = _parts(ctx, cards, language, summary.fingerprint)
    if found is None:
        return None
    target, season_pdf, parts = found
    key = _key(ctx, env, language, season_pdf, parts)
    if key and ctx.writer.laid_out_from(target, key):
        return None  # every part is as it was: the book is kept (season_book)
    contents_pages = _guess(ctx, target)
    entries = book.plan(season_pdf, parts, contents_pages)
    return Ahead(contents_pages, _plan(entries), _contents(ctx, env, summary.seasons, entries))


def season_book(
    ctx: Context,
    env: Environment,
    cards: list[Scorecard],
    language: Language,
    summary: Summary,
    ahead: Ahead | None = None,
) -> None:
    """season-book.pdf in one language from its season PDF and every company PDF, once they are all current."""
    settings = ctx.settings
    folder = settings.output_folder(language.tag)
    target = folder / BOOK
    name = ctx.named(language, target.name)
    if "pdf" not in ctx.formats or not ctx.writer.stale(target, summary.fingerprint):
        return
    if len(cards) > settings.book_max_companies:
        ctx.writer.remove(target)
        logger.warning(
            "%s not built: %d companies is over book_max_companies = %d (raise it in [tool.scorecard] to build the "
            "pack anyway)",
            name,
            len(cards),
            settings.book_max_companies,
        )
        return
    found = _parts(ctx, cards, language, summary.fingerprint)
    every_part = [folder / "season.pdf", *(folder / f"{card.slug}.pdf" for card in cards)]
    behind = [path.name for path in every_part if not ctx.writer.current(path)]
    if found is None or behind:  # a part failed to render (its error is reported): an older PDF must not go in
        moved = ctx.writer.move_aside(target, ctx.stale_folder(language))
        logger.warning(
            "%s not built: no current %s (see the errors above)%s",
            name,
            ", ".join(behind),
            f"; moved the last book to {moved}" if moved else "",
        )
        return
    _, season_pdf, parts = found
    key = _key(ctx, env, language, season_pdf, parts)
    if key and ctx.writer.keep_pdf(target, summary.fingerprint, key):
        logger.info("  book    %s (kept: every part is as it was)", name)
        return
    contents = _contents_page(ctx, env, summary.seasons, season_pdf, parts, target, ahead)
    entries = book.plan(season_pdf, parts, book.page_count_bytes(contents))
    footers = _footers(ctx, env, entries[-1].first_page + entries[-1].pages - 1)
    data = book.assemble(
        contents,
        season_pdf,
        parts,
        _metadata(ctx, cards, language, summary.seasons),
        language.gettext("Contents"),
        language.tag,
        footers.result(),
    )
    ctx.writer.write(target, data, summary.fingerprint, key)
    logger.info("  book    %s (%d companies)", name, len(cards))


def _contents_page(
    ctx: Context,
    env: Environment,
    seasons: tuple[Season, ...],
    season_pdf: Path,
    parts: Parts,
    target: Path,
    ahead: Ahead | None,
) -> bytes:
    """The contents page, laid out until its page count is the one its page numbers assumed."""
    guess = contents_pages = ahead.contents_pages if ahead else _guess(ctx, target)
    while True:
        entries = book.plan(season_pdf, parts, contents_pages)
        if ahead is not None and ahead.contents_pages == contents_pages and ahead.plan == _plan(entries):
            contents = ahead.contents.result()
        else:
            contents = _contents(ctx, env, seasons, entries).result()
        ahead = None
        pages = book.page_count_bytes(contents)
        if pages == contents_pages:
            break
        contents_pages = pages
    if guess != contents_pages:
        guesses = {**_guesses(ctx), str(target): contents_pages}
        ctx.writer.write_cache(ctx.settings.build / CONTENTS_GUESSES, json.dumps(guesses, sort_keys=True))
    return contents


def _metadata(ctx: Context, cards: list[Scorecard], language: Language, seasons: tuple[Season, ...]) -> dict[str, str]:
    count = len(cards)
    if seasons:
        label = season_label(seasons[0].quarter, lang=language)
        title = language.gettext("Earnings scorecards: %(season)s") % {"season": label}
        subject = language.ngettext(
            "%(season)s: season summary and %(num)d company scorecard",
            "%(season)s: season summary and %(num)d company scorecards",
            count,
        ) % {"season": label, "num": count}
    else:
        title = language.gettext("Earnings scorecards")
        subject = language.ngettext(
            "the season summary and %(num)d company scorecard",
            "the season summary and %(num)d company scorecards",
            count,
        ) % {"num": count}
    keywords = ", ".join(c.company.ticker for c in cards)
    return {
        "/Title": title,
        "/Author": ctx.settings.author,
        "/Subject": subject,
        "/Keywords": keywords,
        "/Producer": "scorecards",
    }


def _parts(
    ctx: Context, cards: list[Scorecard], language: Language, fingerprint: str
) -> tuple[Path, Path, Parts] | None:
    """(target, season PDF, [(card, PDF)]) when the book is to be made now and every part exists, else None."""
    folder = ctx.settings.output_folder(language.tag)
    target = folder / BOOK
    if "pdf" not in ctx.formats or not ctx.writer.stale(target, fingerprint):
        return None
    if len(cards) > ctx.settings.book_max_companies:
        return None
    parts = [(card, folder / f"{card.slug}.pdf") for card in cards]
    season_pdf = folder / "season.pdf"
    if not season_pdf.exists() or any(not path.exists() for _, path in parts):
        return None
    return target, season_pdf, parts


def _key(ctx: Context, env: Environment, language: Language, season_pdf: Path, parts: Parts) -> str | None:
    """What the book is made from: each part's HTML (its PDF key), the book's template, settings, code and
    language; None while a part is being laid out."""
    keys = [ctx.writer.laid_out.get(str(path)) for path in [season_pdf, *(path for _, path in parts)]]
    if None in keys:
        return None
    base = language_base(ctx.settings, env, "book.html", language)
    return hashlib.sha256("\0".join([base, *(k for k in keys if k)]).encode()).hexdigest()


def _plan(entries: list[book.Entry]) -> list[tuple[str, int, int]]:
    return [(entry.title, entry.first_page, entry.pages) for entry in entries]


def _guesses(ctx: Context) -> dict[str, int]:
    try:
        guesses = json.loads((ctx.settings.build / CONTENTS_GUESSES).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return guesses if isinstance(guesses, dict) else {}


def _guess(ctx: Context, target: Path) -> int:
    guess = _guesses(ctx).get(str(target))
    return guess if isinstance(guess, int) and guess >= 1 else 1


def _contents(ctx: Context, env: Environment, seasons: tuple[Season, ...], entries: list[book.Entry]) -> Future[bytes]:
    """The contents page for ``entries``, laid out by a pool worker (WeasyPrint is loaded there)."""
    html = render_book_contents(env, seasons, entries)
    return ctx.workers.call_async(render_html_to_pdf, html, ctx.workers.roots, ctx.workers.base_url)


def _footers(ctx: Context, env: Environment, pages: int) -> Future[bytes]:
    """The book's page numbers, one page each ("Page 7 of 19"), laid over its pages in place of each part's own."""
    html = env.get_template("book-footers.html").render(pages=pages)
    return ctx.workers.call_async(render_html_to_pdf, html, ctx.workers.roots, ctx.workers.base_url)
