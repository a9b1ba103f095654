"""Render: scorecards to HTML with Jinja2 (autoescape and StrictUndefined on)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    meta,
)
from jinja2.bccache import Bucket

from scorecards.errors import BuildError
from scorecards.files import write_atomic
from scorecards.i18n import ENGLISH, Language
from scorecards.model.scorecard import Scorecard, headline_eps, headline_revenue
from scorecards.render import charts
from scorecards.render.filters import filters_for, fonts, page_counter
from scorecards.settings import Settings

if TYPE_CHECKING:
    from scorecards.compute.season import Season
    from scorecards.render.book import Entry


def make_env(settings: Settings, language: Language = ENGLISH) -> Environment:
    """The templates in one language: its catalogue installed for ``_()``/``ngettext()``, its filters bound.

    Compiled templates are kept in build/.cache/jinja (Jinja's own cache, keyed by each template's source), so a
    build does not compile them again."""
    env = Environment(
        loader=FileSystemLoader(str(settings.templates)),
        bytecode_cache=_bytecode_cache(settings.build / ".cache" / "jinja" / _options()),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(language.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(filters_for(language))
    env.globals.update(
        settings=settings,
        charts=charts,
        headline_eps=headline_eps,
        headline_revenue=headline_revenue,
        language=language,
        page_counter=partial(page_counter, lang=language),
        fonts=partial(fonts, lang=language),
    )
    return env


@lru_cache(maxsize=1)
def _options() -> str:
    """Jinja's cache knows each template's source and Jinja's version, not this environment's options: they are in
    this file, so its hash names the cache's folder."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


class _BytecodeCache(FileSystemBytecodeCache):
    """Compiled templates kept between builds; one that cannot be written (a full disk) costs time, nothing else:
    the build reports the problem where it writes its outputs."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@lru_cache(maxsize=8)
def _bytecode_cache(folder: Path) -> FileSystemBytecodeCache | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


REFERENCES = "references.json"  # beside the compiled templates: the templates each template's source names


def template_files(env: Environment, name: str) -> list[str]:
    """Every template ``name`` uses (extends, includes, imports), itself first."""
    known = _references(env)
    seen: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        source, filename, _ = env.loader.get_source(env, current)  # type: ignore[union-attr]
        key = hashlib.sha256(source.encode("utf-8")).hexdigest()
        if key not in known:  # parsing a template costs ~20 ms: its references are kept with the compiled ones
            parsed = env.parse(source, current, filename)
            known[key] = [ref for ref in meta.find_referenced_templates(parsed) if ref]
            if isinstance(env.bytecode_cache, FileSystemBytecodeCache):
                with contextlib.suppress(BuildError):  # not kept: the next build parses it again, nothing else
                    write_atomic(Path(env.bytecode_cache.directory) / REFERENCES, json.dumps(known))
        pending.extend(known[key])
    return seen


_known: dict[str, dict[str, list[str]]] = {}  # the kept references, by the folder of the compiled templates


def _references(env: Environment) -> dict[str, list[str]]:
    """The references of each template source (by its hash), as kept in the compiled templates' folder."""
    cache = env.bytecode_cache
    folder = cache.directory if isinstance(cache, FileSystemBytecodeCache) else ""
    if folder not in _known:
        try:
            kept = json.loads((Path(folder) / REFERENCES).read_bytes()) if folder else {}
        except (OSError, ValueError):
            kept = {}
        valid = isinstance(kept, dict) and all(
            isinstance(refs, list) and all(isinstance(r, str) for r in refs) for refs in kept.values()
        )
        _known[folder] = kept if valid else {}
    return _known[folder]


def templates_digest(env: Environment, name: str) -> str:
    """A content hash over ``name`` and every template it uses (a template that cannot be read: a BuildError)."""
    digest = hashlib.sha256()
    try:
        for ref in sorted(template_files(env, name)):
            source, _, _ = env.loader.get_source(env, ref)  # type: ignore[union-attr]
            digest.update(ref.encode() + b"\0" + source.encode("utf-8") + b"\0")
    except TemplateError as exc:
        raise BuildError(f"cannot read the templates: {template_error(exc)}") from None
    return digest.hexdigest()


def template_error(exc: Exception) -> str:
    """A template's error, located where Jinja knows where ('templates/season.html:12: TemplateSyntaxError: ...')."""
    where = f"{exc.filename}:{exc.lineno}: " if isinstance(exc, TemplateSyntaxError) else ""
    return f"{where}{type(exc).__name__}: {exc}"


def render_company(env: Environment, card: Scorecard) -> str:
    return env.get_template("company.html").render(card=card)


def render_season(
    env: Environment, seasons: tuple[Season, ...], cards: list[Scorecard], *, for_pdf: bool = False
) -> str:
    """The season summary; ``for_pdf`` leaves out links to the HTML pages (a PDF stands on its own)."""
    dates = [c.data_date for c in cards if c.data_date]
    return env.get_template("season.html").render(
        seasons=seasons, cards=cards, for_pdf=for_pdf, data_date=max(dates) if dates else None
    )


def render_book_contents(env: Environment, seasons: tuple[Season, ...], entries: list[Entry]) -> str:
    return env.get_template("book.html").render(seasons=seasons, entries=entries)


def render_index(
    env: Environment,
    cards: list[Scorecard],
    failed: list[dict[str, Any]],
    languages: dict[str, list[Any]] | None = None,
    season: dict[str, Any] | None = None,
    holds: dict[str, list[Any]] | None = None,
) -> str:
    """The index; ``languages`` lists, per company slug, the languages whose scorecard is current (build.LanguageLink);
    without it every company links its scorecard in the default language. ``season``: the season's current
    outputs (build._season_links), linked above the companies. ``holds``: why each held scorecard is held
    (compute.readiness.Hold), by slug."""
    return env.get_template("index.html").render(
        cards=cards,
        failed=failed,
        languages=languages or {},
        season=season or {"summaries": [], "data": []},
        holds=holds or {},
    )


def asset_roots(settings: Settings) -> list[Path]:
    """The only folders WeasyPrint may read from."""
    return [(settings.templates / "assets").resolve()]
