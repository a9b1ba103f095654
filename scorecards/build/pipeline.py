"""The build, from inputs/ to build/: load, validate, gather evidence and compute every company, then render and
write each output that is out of date.

First gather all data from all files, then write (mkdocs' rule). A company whose input, other sources, templates,
settings and code are unchanged since its last good build is not rendered again (build/.records.json).
"""

from __future__ import annotations

import os

from jinja2 import Environment

from scorecards.build.cache import CardCache
from scorecards.build.context import FORMATS, Context, Progress, Report, Silent, logger
from scorecards.build.corpus import Loaded, load_all, unpack_all
from scorecards.build.datafiles import data_files, season_data
from scorecards.build.fingerprints import code_digest
from scorecards.build.layout import LayoutChecks, report_season, start_checks
from scorecards.build.pack import book_ahead, season_book
from scorecards.build.pages import Summary, company_pages, season_pages
from scorecards.build.site import current_names, index_page, outputs_mk, schema_file
from scorecards.build.writer import Writer
from scorecards.errors import SettingsError
from scorecards.i18n import Language, canonical_tag, load_language
from scorecards.model.scorecard import Scorecard
from scorecards.render.pdf import Workers, harfbuzz_subset_available
from scorecards.render.templates import asset_roots, make_env
from scorecards.settings import Settings

__all__ = ["FORMATS", "Progress", "Report", "build"]


def build(
    settings: Settings,
    formats: tuple[str, ...] = FORMATS,
    jobs: int | None = None,
    force: bool = False,
    languages: list[str] | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
) -> Report:
    """Build every output that is out of date: each company's pages, the season summary, the data files and the
    book, then the index and the schema. In each of ``languages`` (default: the ``languages`` setting): the
    default language into build/, any other into build/<language>/. With a ``scheduler`` address (or the ``executor``
    and ``scheduler`` settings), the PDFs are laid out on that Dask cluster."""
    chosen = _languages(settings, languages)  # a missing catalogue stops here, before any work
    workers = _workers(settings, formats, jobs, scheduler)  # they start now: WeasyPrint loads while the files are read
    try:
        cache = CardCache(settings.build / ".cache" / "cards", settings.model_dump_json() + code_digest())
        loaded = load_all(settings, cache=cache, unpack=False)  # kept scorecards stay pickled until needed
        logger.debug(
            "read %d company files (%d kept from the last build)", len(loaded), sum(i.kept is not None for i in loaded)
        )
        with Writer(settings.build, force) as writer, LayoutChecks(writer, os.cpu_count() or 1) as checks:
            ctx = Context(settings, formats, writer, workers, progress or Silent())
            _report_problems(ctx, loaded)
            envs = {lang.tag: make_env(settings, lang) for lang in chosen}
            # the companies to render go first: after one file changed, its PDF is laid out while the kept
            # scorecards of the others are unpickled for the season
            fingerprints = {lang.tag: company_pages(ctx, envs[lang.tag], loaded, lang) for lang in chosen}
            cards = _cards(loaded)
            logger.debug("%d scorecards for the season", len(cards))
            summaries = _season(ctx, envs, chosen, loaded, cards, fingerprints)
            cache.save({item.slug for item in loaded}, writer.write_cache)  # while the workers render
            made = [(lang, summary) for lang in chosen if (summary := summaries[lang.tag]) is not None]
            ahead = {lang.tag: book_ahead(ctx, envs[lang.tag], cards, lang, summary) for lang, summary in made}
            logger.debug("waiting for %d jobs of the workers", len(ctx.pending))
            ctx.collect(checks.written)  # the workers' PDFs and data files written as they finish; each new PDF's
            start_checks(ctx, loaded, chosen, checks)  # safe area checked from then on, while the books are made
            for lang, summary in made:
                season_book(ctx, envs[lang.tag], cards, lang, summary, ahead[lang.tag])
            for path in writer.remove_orphans(current_names(loaded)):
                logger.info("removed %s: its input is gone", path)
            index_page(ctx, loaded, cards, {lang.tag: lang for lang in chosen}, envs, checks)  # waits for the
            report_season(ctx, chosen, checks)  # companies' checks; the season summary's is read while it is made
            schema_file(ctx)
            outputs_mk(ctx)
    finally:
        workers.close()
    ctx.report.cards = cards
    return ctx.report


def _languages(settings: Settings, tags: list[str] | None) -> list[Language]:
    wanted = dict.fromkeys(canonical_tag(tag) for tag in (tags or settings.languages))
    return [load_language(settings.locale, tag) for tag in wanted]


def _workers(settings: Settings, formats: tuple[str, ...], jobs: int | None, scheduler: str | None) -> Workers:
    address = cluster_address(settings, scheduler)
    if "pdf" in formats and not harfbuzz_subset_available():
        logger.warning(
            "warning: libharfbuzz-subset is missing: WeasyPrint falls back to a font subsetter that is many times "
            "slower. Install it (Debian: apt-get install libharfbuzz-subset0)."
        )
    base_url = (settings.templates / "assets").resolve().as_uri() + "/"
    if address is not None and "pdf" in formats:
        from scorecards.build.cluster import ClusterWorkers  # only here: nothing else imports Dask

        return ClusterWorkers(asset_roots(settings), base_url, address)
    return Workers(asset_roots(settings), base_url, (jobs or settings.workers) if "pdf" in formats else 1)


def cluster_address(settings: Settings, scheduler: str | None) -> str | None:
    """The Dask scheduler to lay out the PDFs on: ``--scheduler``, else the ``scheduler`` setting when ``executor``
    is "dask"; None for this machine's workers."""
    if scheduler:
        return scheduler
    if settings.executor != "dask":
        return None
    if not settings.scheduler:
        raise SettingsError(
            f'{settings.source_path}: executor: "dask" needs the scheduler\'s address (scheduler = '
            '"tcp://host:8786", or scorecard build --scheduler tcp://host:8786)'
        )
    return settings.scheduler


def _report_problems(ctx: Context, loaded: list[Loaded]) -> None:
    ctx.report.problems = [problem for item in loaded for problem in item.problems]
    for problem in ctx.report.problems:
        (logger.warning if problem.warning else logger.error)("%s", problem)


def _cards(loaded: list[Loaded]) -> list[Scorecard]:
    """Every company's scorecard, in the order of the season summary (by name)."""
    unpack_all(loaded)
    return sorted((item.card for item in loaded if item.card is not None), key=lambda c: c.company.name.lower())


def _season(
    ctx: Context,
    envs: dict[str, Environment],
    languages: list[Language],
    loaded: list[Loaded],
    cards: list[Scorecard],
    fingerprints: dict[str, dict[str, str]],
) -> dict[str, Summary | None]:
    """The season view, its data files, and its summary in each language (None where it failed)."""
    data = season_data(ctx, cards)
    if data is None:  # the exchange rates could not be read (reported)
        ctx.report.failed.extend(ctx.named(lang, "season") for lang in languages)
        return dict.fromkeys((lang.tag for lang in languages), None)
    seasons, fx = data
    # the first summary's PDF is handed in first (after one file changed its layout is what ends last), then the data
    # files are forked, so that they are written while it is laid out, then the summary's page is made
    forked = False

    def fork_data_files() -> None:
        nonlocal forked
        if not forked:
            forked = True
            data_files(ctx, cards, loaded, seasons, fx)

    summaries = {
        lang.tag: season_pages(ctx, envs[lang.tag], cards, fingerprints[lang.tag], lang, seasons, fx, fork_data_files)
        for lang in languages
    }
    fork_data_files()  # when no summary was made
    return summaries
