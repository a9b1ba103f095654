"""The input format: one YAML file per company, as pydantic models.

These models check structure and types and give the JSON Schema that editors
use (``scorecard schema``). Rules that need more than one field at a time
(sources that exist, amounts of the right kind, ranges in order) are in
``validate.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from scorecards.errors import AmountError
from scorecards.model.amounts import Amount, parse_amount
from scorecards.model.metrics import Basis, Direction, Kind
from scorecards.model.text import Text


def _amount(value: Any) -> Amount:
    if isinstance(value, Amount):
        return value
    if isinstance(value, (dict, list)):
        raise PydanticCustomError(
            "amount",
            "expected an amount such as 777.7M, 0.45 or 35.9%, got a {what}",
            {"what": "mapping" if isinstance(value, dict) else "list", "hint": ""},
        )
    if isinstance(value, (dt.date, dt.datetime)):
        raise PydanticCustomError("amount", "expected an amount, got the date {date}", {"date": str(value), "hint": ""})
    try:
        return parse_amount(value)
    except AmountError as exc:
        raise PydanticCustomError(
            "amount", str(exc).replace("{", "{{").replace("}", "}}"), {"hint": exc.hint}
        ) from None


AMOUNT_PATTERN = (
    r"^(~|>|<|about )?\s*[+\-−]?\s*(US\$|JP¥|[$¥€£])?\s*[+\-−]?\s*"
    r"(\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?|\.\d+)\s*"
    r"(K|M|B|T|k|m|mm|MM|mn|bn|b|tn|t|thousand|million|billion|trillion|%|pp|ppt|bp|bps|x|×)?$"
)

AmountField = Annotated[
    Amount,
    PlainValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": AMOUNT_PATTERN}],
            "description": "An amount as analysts write it: 777.7M, 3.1B, 3.714T, 0.45, 35.9%, -7.4pp, ~200B. "
            "Kept exactly as precise as written.",
            "examples": ["777.7M", "0.30", "35.9%", "-7.4pp"],
        }
    ),
]

LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$"


def _text(value: Any) -> Text:
    if isinstance(value, str):
        if not value.strip():
            raise PydanticCustomError("text", "must not be empty", {"hint": ""})
        return Text.of(value.strip())
    if isinstance(value, dict) and value:
        versions: dict[str, str] = {}
        for tag, text in value.items():
            if not isinstance(tag, str) or not re.fullmatch(LANGUAGE_TAG, tag):
                raise PydanticCustomError(
                    "text",
                    "'{tag}' is not a language tag",
                    {"tag": str(tag), "hint": "write the text per language as {en: ..., zh-Hant: ..., zh-Hans: ...}"},
                )
            if not isinstance(text, str) or not text.strip():
                raise PydanticCustomError(
                    "text", "the {tag} text must be text, not empty", {"tag": tag, "hint": "quote it if it is a number"}
                )
            versions[tag] = text.strip()
        return Text.of(versions)
    raise PydanticCustomError(
        "text",
        "expected text, or the text per language such as {{en: ..., zh-Hant: ...}}",
        {"hint": "quote text that YAML would read as a number or a date"},
    )


LocalText = Annotated[
    Text,
    PlainValidator(_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "minProperties": 1,
                    "patternProperties": {LANGUAGE_TAG: {"type": "string", "minLength": 1}},
                    "additionalProperties": False,
                },
            ],
            "description": "Text as written (English), or the text per language: "
            "{en: ..., zh-Hant: ..., zh-Hans: ...}. A page shows the reader's language where it is given, "
            "else the written text marked with its language.",
            "examples": [
                "Above market expectations.",
                {"en": "Above market expectations.", "zh-Hant": "高於市場預期。"},
            ],
        }
    ),
]
# An outcome the source states in words, without a consensus figure ("above market expectations").
StatedOutcome = Literal["beat", "inline", "in line", "miss", "above", "below"]
StatedStance = Literal["above", "inline", "in line", "below"]

FROM_FILING = "filing"  # `actual: filing`: the figure is taken from the company's SEC filing (see sec.py)


def _actual(value: Any) -> Amount | str:
    if isinstance(value, str) and value.strip().lower() == FROM_FILING:
        return FROM_FILING
    return _amount(value)


ActualField = Annotated[
    Amount | str,
    PlainValidator(_actual),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number"}, {"type": "string", "pattern": AMOUNT_PATTERN}, {"const": FROM_FILING}],
            "description": "The reported figure as analysts write it (777.7M, 0.45), or `filing` to take it from the "
            "company's SEC filing (see company.cik).",
            "examples": ["777.7M", "0.30", FROM_FILING],
        }
    ),
]


def _whole_cik(value: Any) -> Any:
    """A CIK is written as a whole number (1318605) or its digits ("0001318605"): not true, nor 1.5e3."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, (bool, float)) or (isinstance(value, str) and not re.fullmatch(r"\d{1,10}", value)):
        raise PydanticCustomError(
            "cik",
            "{value} is not a CIK: write the whole number the SEC gives the company, one to ten digits",
            {"value": text, "hint": "e.g. 1318605"},
        )
    return value


Cik = Annotated[
    int,
    BeforeValidator(_whole_cik),
    Field(ge=1, le=9_999_999_999),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 9_999_999_999},
                {"type": "string", "pattern": r"^\d{1,10}$"},
            ],
            "description": "The company's SEC Central Index Key: figures are checked against (and `actual: filing` "
            "taken from) sec/CIK##########.json beside this file, which `scorecard fetch-sec` downloads.",
            "examples": [1318605],
        }
    ),
]

SourceId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="The id of an entry in `sources`.")
]
PERIOD_RE = re.compile(r"^(Q[1-4]|H[12]|FY)( FY)?(\d{4})$")
Period = Annotated[
    str,
    Field(
        pattern=r"^(Q[1-4] FY\d{4}|H[12] FY\d{4}|FY\d{4})$",
        description="A fiscal period: 'Q4 FY2025', 'H2 FY2025' or 'FY2026'.",
        examples=["Q4 FY2025", "FY2026"],
    ),
]


class Sector(str, Enum):
    """GICS sectors, so the season summary can group by them."""

    COMMUNICATION_SERVICES = "Communication Services"
    CONSUMER_DISCRETIONARY = "Consumer Discretionary"
    CONSUMER_STAPLES = "Consumer Staples"
    ENERGY = "Energy"
    FINANCIALS = "Financials"
    HEALTH_CARE = "Health Care"
    INDUSTRIALS = "Industrials"
    INFORMATION_TECHNOLOGY = "Information Technology"
    MATERIALS = "Materials"
    REAL_ESTATE = "Real Estate"
    UTILITIES = "Utilities"


class Timing(str, Enum):
    BEFORE_OPEN = "before-open"
    DURING_MARKET = "during-market"
    AFTER_CLOSE = "after-close"


class Window(str, Enum):
    """The window a price reaction is measured over; record what the source gives."""

    AFTER_HOURS = "after-hours"
    PRE_MARKET = "pre-market"
    ONE_DAY = "1-day"
    TWO_DAY = "2-day"  # FactSet: close two days before to close two days after
    SINCE_REPORT = "since-report"
    FROM_RECENT_HIGH = "from-recent-high"


def _string_or_object(schema: dict[str, Any]) -> None:
    """JSON Schema: allow a plain string, or the text per language, where the object is expected."""
    obj = dict(schema)
    schema.clear()
    per_language = {
        "type": "object",
        "minProperties": 1,
        "patternProperties": {LANGUAGE_TAG: {"type": "string", "minLength": 1}},
        "additionalProperties": False,
    }
    schema["anyOf"] = [{"type": "string"}, per_language, obj]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CompanyIn(Strict):
    name: str = Field(min_length=1, description="The registered name, e.g. 'Amazon.com, Inc.'.")
    ticker: str = Field(pattern=r"^[A-Z0-9][A-Z0-9.\-]{0,9}$", description="Exchange ticker in capitals: AMZN, 6758.")
    exchange: str | None = None
    sector: Sector
    industry: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of the reporting currency: USD, JPY.")
    fiscal_year_end: str = Field(
        pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
        description='Month and day the fiscal year ends, quoted: "12-31", "03-31".',
    )
    fiscal_year_named_by: Literal["end", "start"] = Field(
        "end",
        description="Whether 'FY2025' is the year the fiscal year ends in (most US companies) "
        "or starts in (Japanese companies such as Sony).",
    )
    accounting: Literal["US GAAP", "IFRS"] = Field("US GAAP", description="The standard reported figures follow.")
    names: dict[str, str] = Field(
        default_factory=dict,
        description="The company's name in other languages, keyed by language tag: zh-Hant, zh-Hans.",
    )
    cik: Cik | None = None
    companyfacts: str | None = Field(
        None,
        min_length=1,
        description="An SEC companyfacts JSON file, relative to this file, when it is not "
        "sec/CIK##########.json (the name `scorecard fetch-sec` gives it).",
    )


class SourceIn(Strict):
    publisher: str = Field(min_length=1)
    title: LocalText = Field(description="The title as published (in the source's language), or per language.")
    date: dt.date | None = Field(None, description="Publication date; leave it out when the source is undated.")
    url: str | None = Field(None, pattern=r"^https?://\S+$")
    language: str | None = None
    note: str | None = None


class AlternativeIn(Strict):
    """The same figure as another source gives it; both are kept and shown."""

    source: SourceId
    actual: AmountField | None = None
    consensus: AmountField | None = None
    prior_year: AmountField | None = None
    value: AmountField | None = None
    note: LocalText | None = None


class MetricDeclaration(Strict):
    """Fields that declare a metric inline when it is not in the registry."""

    label: LocalText | None = Field(
        None, description="Label shown on the scorecard; required for a metric not in the registry."
    )
    kind: Kind | None = None
    direction: Direction | None = None
    basis: Basis | None = None


class FigureIn(MetricDeclaration):
    actual: ActualField | None = None
    consensus: AmountField | None = None
    prior_year: AmountField | None = Field(None, description="The figure a year earlier; growth is computed from it.")
    growth_yoy: AmountField | None = Field(None, description="Growth as reported, in percent: 35.9%.")
    growth_qoq: AmountField | None = None
    change_yoy: AmountField | None = Field(None, description="Change in percentage points, for percentages: -7.4pp.")
    change_qoq: AmountField | None = None
    source: SourceId | None = None
    consensus_source: SourceId | None = Field(
        None, description="Where the consensus comes from, when not the figure's source."
    )
    outcome: StatedOutcome | None = Field(
        None,
        description="The result as the source states it in words when it gives no consensus figure "
        "(beat, in line, miss; above or below for metrics where neither is better). Counted as a result "
        "per source, never shown as a computed surprise.",
    )
    note: LocalText | None = None
    also: list[AlternativeIn] = Field(default_factory=list, description="The same figure from other sources.")


class KpiIn(MetricDeclaration):
    value: AmountField
    growth_yoy: AmountField | None = None
    growth_qoq: AmountField | None = None
    change_yoy: AmountField | None = None
    source: SourceId | None = None
    note: LocalText | None = None
    also: list[AlternativeIn] = Field(default_factory=list)


class SegmentIn(Strict):
    name: LocalText
    source: SourceId | None = None
    results: dict[str, FigureIn] = Field(default_factory=dict)
    kpis: dict[str, KpiIn] = Field(default_factory=dict)


class GuidanceIn(MetricDeclaration):
    metric: str = Field(min_length=1)
    period: Period
    value: AmountField | None = Field(None, description="Point guidance; or give low and high.")
    low: AmountField | None = None
    high: AmountField | None = None
    consensus: AmountField | None = None
    prior: AmountField | None = Field(
        None, description="The company's prior guidance as a point; or prior_low and prior_high."
    )
    prior_low: AmountField | None = None
    prior_high: AmountField | None = None
    prior_year: AmountField | None = Field(
        None, description="The same metric for the period a year before (e.g. last year's actual capex)."
    )
    source: SourceId | None = None
    consensus_source: SourceId | None = None
    outcome: StatedStance | None = Field(
        None,
        description="The guidance against expectations as the source states it in words when it gives no "
        "consensus figure (above, in line, below).",
    )
    note: LocalText | None = None
    also: list[AlternativeIn] = Field(default_factory=list)


class ReactionIn(Strict):
    window: Window
    change: AmountField
    source: SourceId | None = None
    note: LocalText | None = None


class TextIn(Strict):
    """A sentence with its source: a call highlight or a note. A plain string cites the quarter's source."""

    model_config = ConfigDict(json_schema_extra=_string_or_object)
    text: LocalText
    source: SourceId | None = None


def _texts(value: Any) -> Any:
    """A plain string, or a mapping of language tags alone, is the text itself."""
    if isinstance(value, list):
        return [{"text": item} if isinstance(item, str) or _only_languages(item) else item for item in value]
    return value


def _only_languages(item: Any) -> bool:
    return isinstance(item, dict) and bool(item) and all(re.fullmatch(LANGUAGE_TAG, str(k)) for k in item)


class QuoteIn(Strict):
    speaker: str = Field(min_length=1)
    role: str | None = None
    text: str = Field(min_length=1)
    source: SourceId | None = None


class CallIn(Strict):
    highlights: list[TextIn] = Field(default_factory=list)
    quotes: list[QuoteIn] = Field(default_factory=list)

    _plain_highlights = field_validator("highlights", mode="before")(_texts)


class QuarterIn(Strict):
    period: Period
    period_end: dt.date = Field(description="Last day of the fiscal quarter.")
    reported: dt.date | None = Field(None, description="Date the results were released.")
    timing: Timing | None = None
    source: SourceId | None = Field(None, description="Default source for every figure in this quarter.")
    results: dict[str, FigureIn] = Field(default_factory=dict)
    segments: list[SegmentIn] = Field(default_factory=list)
    guidance: list[GuidanceIn] = Field(default_factory=list)
    kpis: dict[str, KpiIn] = Field(default_factory=dict)
    reaction: ReactionIn | None = None
    call: CallIn | None = None
    notes: list[TextIn] = Field(default_factory=list)

    _plain_notes = field_validator("notes", mode="before")(_texts)


class ScorecardIn(Strict):
    model_config = ConfigDict(title="Earnings scorecard", extra="forbid", frozen=True, str_strip_whitespace=True)
    company: CompanyIn
    sources: dict[SourceId, SourceIn] = Field(min_length=1)
    quarters: list[QuarterIn] = Field(default_factory=list, description="Newest quarter first.")


def json_schema() -> dict[str, Any]:
    schema = ScorecardIn.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
