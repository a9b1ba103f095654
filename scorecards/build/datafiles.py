"""The season in numbers: the season view of every company (in no language), and the data files made from it,
build/season.csv, .xlsx and .json."""

from __future__ import annotations

import datetime as dt
import hashlib

from scorecards.build.context import Context, logger
from scorecards.build.corpus import Loaded
from scorecards.build.fingerprints import code_digest
from scorecards.compute.season import Season, build_seasons
from scorecards.errors import InputError
from scorecards.model.scorecard import Scorecard
from scorecards.render.exports import card_lines, export_files
from scorecards.sources.fx import FX_FILE, load_rates

EXPORTS = ("season.csv", "season.xlsx", "season.json")


def season_data(ctx: Context, cards: list[Scorecard]) -> tuple[tuple[Season, ...], bytes] | None:
    """The season view of every company and the exchange-rate file's bytes; None (reported) when the rates
    cannot be read."""
    try:
        rates = load_rates(ctx.settings.inputs)
    except InputError as exc:
        for problem in exc.problems:
            logger.error("%s", problem)
        ctx.report.problems.extend(exc.problems)
        return None
    fx_path = ctx.settings.inputs / FX_FILE
    settings = ctx.settings
    seasons = build_seasons(
        cards,
        rates,
        min_seasons=settings.season_history_min_seasons,
        min_companies=settings.season_history_min_companies,
        upcoming_days=settings.season_upcoming_days,
    )
    return seasons, fx_path.read_bytes() if fx_path.exists() else b""


def data_files(
    ctx: Context, cards: list[Scorecard], loaded: list[Loaded], seasons: tuple[Season, ...], fx: bytes
) -> None:
    """build/season.csv, .xlsx and .json, from every company's inputs, in one process of their own (each joins the
    companies' kept lines; a second process cost more in copied memory than it saved)."""
    items = [item for item in loaded if item.card is not None]
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: i.slug):
        digest.update(item.slug.encode() + b":" + hashlib.sha256(item.raw + item.inputs_digest.encode()).digest())
    digest.update(fx + (ctx.settings.model_dump_json() + code_digest()).encode())
    fingerprint = digest.hexdigest()
    targets = [ctx.settings.build / name for name in EXPORTS]
    stale = [path for path in targets if ctx.writer.stale(path, fingerprint)]
    if not stale:
        return
    data_date = max((c.data_date for c in cards if c.data_date), default=None)
    created = dt.datetime.combine(data_date, dt.time()) if data_date else None
    order = {id(card): index for index, card in enumerate(cards)}  # the companies in the order of the summary
    lines = []
    for item in sorted(items, key=lambda i: order[id(i.card)]):
        if item.lines is None:
            item.lines = card_lines(item.card)  # type: ignore[arg-type]  # items have cards
        lines.append(item.lines)
    name = "exports " + ", ".join(path.name for path in stale)
    ctx.submit(name, stale, fingerprint, export_files, name, seasons, lines, stale, created, forked=True)
    logger.info("  export  %s", ", ".join(path.name for path in stale))
