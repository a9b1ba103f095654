"""Typed settings, read from ``[tool.scorecard]`` in pyproject.toml or from scorecard.toml.

Every setting has a default, so a project with neither works.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scorecards.errors import AmountError, SettingsError
from scorecards.i18n import DEFAULT as DEFAULT_LANGUAGE
from scorecards.i18n import N_, TAG_RE, canonical_tag
from scorecards.model.amounts import Unit, parse_amount
from scorecards.model.metrics import Band, Kind

SETTINGS_FILES = ("scorecard.toml", "pyproject.toml")


class EmailSettings(BaseModel):
    """``[tool.scorecard.email]``: what ``scorecard email`` composes (the SMTP server is never configured here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    distribution: Path = Field(Path("distribution.yaml"), description="The distribution lists: who gets what.")
    per_recipient: bool = Field(False, description="One message per recipient instead of one per list.")
    max_message_mb: float = Field(10, gt=0, description="Largest message, attachments included, in MB (10^6 bytes).")

    @property
    def max_message_bytes(self) -> int:
        return int(self.max_message_mb * 1_000_000)


# Counted in call transcripts unless [tool.scorecard] topics says otherwise. Terms match whole words;
# a term in capitals (AI) matches only in capitals, any other in any case.
# The topic names are translated on the page (N_); other topics show as written.
DEFAULT_TOPICS: dict[str, tuple[str, ...]] = {
    N_("AI"): ("AI", "artificial intelligence", "generative AI", "GenAI"),
    N_("capex"): (
        "capex",
        "capital expenditure",
        "capital expenditures",
        "capital spending",
        "capital investment",
        "capital investments",
    ),
    N_("data centre"): ("data center", "data centers", "data centre", "data centres", "datacenter", "datacenters"),
    N_("tariffs"): ("tariff", "tariffs"),
    N_("backlog"): ("backlog", "backlogs", "remaining performance obligations", "RPO"),
}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: Path = Field(Path("inputs"), description="Folder of company YAML files.")
    build: Path = Field(Path("build"), description="Output folder; safe to delete.")
    templates: Path = Field(Path("templates"), description="Jinja2 templates, stylesheets and assets.")
    # excluded from the fingerprint: each output's fingerprint holds its own language and that language's catalogue
    languages: list[str] = Field(
        default_factory=lambda: [DEFAULT_LANGUAGE],
        min_length=1,
        exclude=True,
        description="Languages to build, each with a catalogue in locale/ (en needs none); the first is the default, "
        "built into build/, the others into build/<language>/.",
    )
    locale: Path = Field(Path("locale"), exclude=True, description="Folder of the translation catalogues.")
    page_size: Literal["A4", "Letter"] = "A4"
    author: str = Field("Equity research", description="Author written into each PDF's metadata.")
    inline_band: dict[str, str] = Field(
        default_factory=dict,
        description="In-line bands by metric key or kind: '0.01' (absolute, in units) or '0.5%' (of consensus).",
    )
    workers: int | None = Field(None, ge=1, description="PDF worker processes; default: one per core.")
    pdf_variant: Literal["pdf/a-3u", "pdf/ua-1"] | None = Field(
        None, description="Write PDF/A-3u (archiving) or PDF/UA-1 (screen readers); default: plain PDF."
    )
    pdf_tags: bool = Field(True, description="Tag the PDF (structure for screen readers); on by default.")
    book_max_companies: int = Field(
        100,
        ge=1,
        description="Build season-book.pdf only up to this many companies: beyond it the pack is too "
        "large to email and costs more to assemble than the scorecards themselves.",
    )
    season_table_max_companies: int = Field(
        100,
        ge=1,
        description="The season summary's PDF lists every company and every capital expenditure plan only "
        "up to this many companies; beyond it the PDF keeps the aggregates and charts, and the "
        "full tables are in season.html, season.xlsx and season.csv.",
    )
    season_history_min_seasons: int = Field(
        2,
        ge=1,
        description="An average over earlier seasons (last 4, last 20) is shown only when it rests on at least this "
        "many seasons; below it the summary says how many there are instead.",
    )
    season_history_min_companies: int = Field(
        5,
        ge=1,
        description="An earlier season counts in an average only when at least this many companies have the figure "
        "in it (a consensus to judge against, a guidance item, a reaction).",
    )
    consensus_thin_estimates: int = Field(
        3,
        ge=1,
        description="A consensus of fewer estimates than this (or of an unknown number) is flagged as thinly covered.",
    )
    price_index: str = Field(
        "SPX",
        pattern=r"^[A-Z0-9][A-Z0-9.\-]{0,9}$",
        description="The market index reactions are compared with: inputs/prices/<price_index>.csv.",
    )
    reaction_sessions_before: int = Field(
        2, ge=1, description="The standard reaction window starts at the close this many trading days before day 0."
    )
    reaction_sessions_after: int = Field(
        2, ge=1, description="... and ends at the close of this many reacting sessions (day 0 is the first)."
    )
    season_upcoming_days: int = Field(
        7,
        ge=1,
        description="The summary lists the companies scheduled to report within this many days of the data date.",
    )
    topics: dict[str, list[str]] = Field(
        default_factory=lambda: {topic: list(terms) for topic, terms in DEFAULT_TOPICS.items()},
        description="Topics counted in call transcripts, each with the words and phrases that mention it.",
    )
    # excluded from the fingerprint: they change what is downloaded, not how a page looks
    sec_user_agent: str | None = Field(
        None, exclude=True, description="'Name email' the SEC requires; SCORECARD_SEC_USER_AGENT wins."
    )
    sec_refresh_hours: float = Field(
        24, gt=0, exclude=True, description="A downloaded companyfacts file younger than this is not asked for again."
    )
    # excluded from the fingerprint: where a PDF is laid out does not change it (the workers are checked alike)
    executor: Literal["local", "dask"] = Field(
        "local",
        exclude=True,
        description="Where PDFs are laid out: 'local' (this machine's worker processes) or 'dask' (the workers "
        "of the Dask scheduler at ``scheduler``; docs/cluster.md).",
    )
    scheduler: str | None = Field(
        None,
        exclude=True,
        description="The Dask scheduler's address, e.g. 'tcp://10.0.0.5:8786', for executor = 'dask'.",
    )
    source_path: str = Field("defaults", exclude=True)
    # excluded from the dump the build fingerprints, so changing a mail setting rebuilds no PDF
    email: EmailSettings = Field(default_factory=EmailSettings, exclude=True)

    @field_validator("languages")
    @classmethod
    def _languages_are_tags(cls, languages: list[str]) -> list[str]:
        tags = [canonical_tag(text) for text in languages]
        for tag in tags:
            if not TAG_RE.match(tag):
                raise ValueError(f"'{tag}' is not a language tag (write e.g. en, zh-Hant or zh-Hans)")
        if len(set(tags)) != len(tags):
            raise ValueError("a language is listed twice")
        return tags

    @property
    def default_language(self) -> str:
        """The language built into build/ itself; the others go into build/<language>/."""
        return self.languages[0]

    def output_folder(self, language: str) -> Path:
        return self.build if language == self.default_language else self.build / language

    @field_validator("inline_band")
    @classmethod
    def _bands_parse(cls, bands: dict[str, str]) -> dict[str, str]:
        for key, text in bands.items():
            _parse_band(key, text)
        return bands

    def band_for(self, metric_key: str, kind: Kind) -> Band | None:
        text = self.inline_band.get(metric_key) or self.inline_band.get(kind.value)
        return _parse_band(metric_key, text) if text else None


def _parse_band(key: str, text: str) -> Band:
    try:
        amount = parse_amount(text)
    except AmountError as exc:
        raise ValueError(f"inline_band.{key}: {exc} ({exc.hint})") from None
    if amount.value < 0 or amount.unit not in (Unit.PLAIN, Unit.PERCENT):
        raise ValueError(f"inline_band.{key}: '{text}' must be a non-negative amount or a percentage")
    return Band(Decimal(amount.value), relative=amount.unit is Unit.PERCENT)


def load_settings(root: Path = Path(".")) -> Settings:
    """The first of scorecard.toml or pyproject.toml [tool.scorecard]; defaults if neither has settings."""
    for name in SETTINGS_FILES:
        path = root / name
        if not path.exists():
            continue
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        if name == "pyproject.toml":
            data = data.get("tool", {}).get("scorecard")
            if data is None:
                continue
        try:
            return Settings.model_validate({**data, "source_path": str(path)})
        except ValidationError as exc:
            lines = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise SettingsError("\n".join(lines)) from None
    return Settings()
