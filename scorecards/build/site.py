"""What ties build/ together: the index page, the input format's schema, and build/outputs.mk for make."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment

from scorecards.build.context import FORMATS, Context
from scorecards.build.corpus import Loaded
from scorecards.build.datafiles import EXPORTS
from scorecards.build.fingerprints import code_digest, company_fingerprint, language_base
from scorecards.build.layout import LayoutChecks
from scorecards.build.pages import SEASON_OUTPUTS
from scorecards.compute.readiness import Hold, readiness
from scorecards.errors import SettingsError
from scorecards.i18n import Language, available, load_language
from scorecards.model.schema import json_schema
from scorecards.model.scorecard import Scorecard
from scorecards.render.filters import hold
from scorecards.render.templates import make_env, render_index
from scorecards.settings import Settings

SCHEMA = "scorecard.schema.json"
logger = logging.getLogger("scorecards.build")


@dataclass(frozen=True)
class LanguageLink:
    """A language a company's scorecard is built in, for the index."""

    tag: str
    autonym: str
    folder: str  # relative to build/: '' for the default language, else the tag
    default: bool


def index_page(
    ctx: Context,
    loaded: list[Loaded],
    cards: list[Scorecard],
    built: dict[str, Language],
    envs: dict[str, Environment],
    checks: LayoutChecks,
) -> None:
    """build/index.html in the default language, linking each company's scorecard in every language whose
    outputs are current (built now, or by an earlier build with the same inputs, templates and catalogue);
    ``built``, ``envs``: the languages built now and their template environments; ``checks``: the PDFs' layout
    check, whose pages with ink outside the safe area hold their scorecard (also in the report, for the e-mails)."""
    settings = ctx.settings
    tags = list(dict.fromkeys([settings.default_language, *settings.languages, *built, *available(settings.locale)]))
    languages = {tag: built.get(tag) or _try_language(settings, tag) for tag in tags}
    found = {tag: lang for tag, lang in languages.items() if lang is not None}
    envs = {tag: envs.get(tag) or make_env(settings, lang) for tag, lang in found.items()}
    env = envs.get(settings.default_language) or make_env(settings, load_language(settings.locale, "en"))
    links: dict[str, list[LanguageLink]] = {item.slug: [] for item in loaded if item.card is not None}
    for tag, lang in found.items():
        base = language_base(settings, envs[tag], "company.html", lang)
        folder = settings.output_folder(tag)
        for item in loaded:
            if item.card is None:
                continue
            fingerprint = company_fingerprint(item.raw, item.inputs_digest, base)
            paths = [folder / f"{item.slug}.{fmt}" for fmt in FORMATS]
            if all(ctx.writer.records.get(str(path)) == fingerprint and path.exists() for path in paths):
                home = folder == settings.build
                links[item.slug].append(LanguageLink(tag, lang.autonym, "" if home else tag, home))
    failed = [
        {"slug": item.slug, "path": str(item.path), "errors": len(item.errors)} for item in loaded if item.card is None
    ]
    linked = {link.tag for items in links.values() for link in items}  # the languages the index links scorecards in
    ctx.report.overflow = {
        (card.slug, tag): pages
        for tag in found
        for card in cards
        if ctx.writer.current(pdf := settings.output_folder(tag) / f"{card.slug}.pdf") and (pages := checks.pages(pdf))
    }
    holds = holds_by_slug(cards, [settings.default_language, *(t for t in found if t in linked)], ctx.report.overflow)
    for slug, reasons in holds.items():
        logger.info("held: %s (%s)", slug, "; ".join(hold(h) for h in reasons))
    html = render_index(env, cards, failed, links, _season_links(ctx, built), holds)
    ctx.writer.write_if_changed(settings.build / "index.html", html)


def holds_by_slug(
    cards: list[Scorecard], languages: list[str], overflow: Mapping[tuple[str, str], Iterable[int]] | None = None
) -> dict[str, list[Hold]]:
    """Why each held scorecard is held, for readers of any of ``languages`` (the first is the default); the ready
    ones are not listed. ``overflow``: by (slug, language), the PDF pages a layout check found ink outside the
    safe area on (build/layout.py)."""
    out: dict[str, list[Hold]] = {}
    pages = overflow or {}
    for card in cards:
        reasons = [h for tag in languages for h in readiness(card, tag, pages.get((card.slug, tag), ())).holds]
        if reasons:
            out[card.slug] = list(dict.fromkeys(reasons))
    return out


def _season_links(ctx: Context, languages: dict[str, Language]) -> dict[str, Any]:
    """The season's outputs this build left current, for the index: per language it built the summary (HTML, PDF)
    and the book, and the data files (no language); paths relative to build/."""
    settings = ctx.settings
    summaries = []
    for tag, lang in languages.items():
        folder = settings.output_folder(tag)
        files = [name for name in ("season.html", "season.pdf", "season-book.pdf") if ctx.writer.current(folder / name)]
        if files:
            prefix = "" if folder == settings.build else f"{tag}/"
            summaries.append({"tag": tag, "autonym": lang.autonym, "files": {name: prefix + name for name in files}})
    data = [name for name in EXPORTS if ctx.writer.current(settings.build / name)]
    return {"summaries": summaries, "data": data}


def _try_language(settings: Settings, tag: str) -> Language | None:
    try:
        return load_language(settings.locale, tag)
    except SettingsError:
        return None


def schema_file(ctx: Context) -> None:
    """build/scorecard.schema.json (for editors), made again only when the code changed."""
    path = ctx.settings.build / SCHEMA
    if ctx.writer.stale(path, code_digest()):
        ctx.writer.write_if_changed(path, json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", code_digest())


def current_names(loaded: list[Loaded]) -> set[str]:
    """The names of every output a build makes now (a company's slug, 'season', ...): any other is an orphan."""
    return {item.slug for item in loaded} | {Path(name).stem for name in (*SEASON_OUTPUTS, SCHEMA)}


def outputs_mk(ctx: Context) -> None:
    """build/outputs.mk: what make checks for besides the companies' own (which it knows from inputs/), so that a
    no-op make starts no Python and a deleted output is rebuilt: the season outputs as the last build wrote them,
    in each language, and which languages the build makes."""
    settings = ctx.settings
    languages = list(dict.fromkeys([settings.default_language, *settings.languages]))
    lines = [
        "# Written by the build: outputs make checks for besides the companies' own.",
        f"DEFAULT_LANGUAGE := {settings.default_language}",
        f"LANGUAGES := {' '.join(languages)}",
    ]
    records = ctx.writer.records
    written = sorted({Path(key).parent.name for key in records if Path(key).parent.parent == settings.build})
    for tag in dict.fromkeys([*languages, *written]):
        folder = settings.output_folder(tag)
        names = SEASON_OUTPUTS if folder == settings.build else tuple(n for n in SEASON_OUTPUTS if n not in EXPORTS)
        expected = [folder / name for name in names if ctx.writer.current(folder / name)]
        variable = "SEASON_OUTPUTS" if folder == settings.build else f"SEASON_OUTPUTS_{tag}"
        lines.append(f"{variable} := " + " ".join(str(path) for path in expected))
    ctx.writer.write_if_changed(settings.build / "outputs.mk", "\n".join(lines) + "\n")
