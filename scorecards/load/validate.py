"""Validation: from a parsed YAML document to a checked ``ScorecardIn``.

Every problem in a file is reported at once, each located by line and column
(``path:line:col: field.path: message (hint)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from importlib import resources
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from scorecards.errors import InputError, Problem
from scorecards.load.yaml import Document, Loc
from scorecards.model.amounts import Amount, Unit
from scorecards.model.fiscal import nominal_period_end
from scorecards.model.metrics import REGISTRY, Basis, Direction, Kind, Metric
from scorecards.model.schema import (
    FROM_FILING,
    AlternativeIn,
    CompanyIn,
    FigureIn,
    GuidanceIn,
    KpiIn,
    MetricDeclaration,
    QuarterIn,
    ScorecardIn,
)
from scorecards.model.text import Text

PERIOD_END_TOLERANCE = dt.timedelta(days=10)  # 52/53-week fiscal years end near, not on, the nominal date


def validate(doc: Document) -> ScorecardIn:
    """Check one document; raise InputError listing every problem."""
    if not isinstance(doc.data, dict):
        found = "a list" if isinstance(doc.data, list) else "a single value"
        raise InputError(
            [
                doc.problem(
                    (),
                    f"expected a mapping with company, sources and quarters at the top, found {found}",
                    "start from `scorecard new TICKER`",
                )
            ]
        )
    try:
        card = ScorecardIn.model_validate(doc.data)
    except ValidationError as exc:
        problems = doc.problems + [_translate(doc, error) for error in exc.errors()]
        raise InputError(problems + list(_semantic_of_valid_parts(doc))) from None
    problems = doc.problems + list(_semantic(doc, card.company, list(card.sources), list(enumerate(card.quarters))))
    if any(not p.warning for p in problems):
        raise InputError(problems)
    return card


def warnings_for(doc: Document, card: ScorecardIn) -> list[Problem]:
    """What is not wrong but should not go out: placeholders `scorecard new` left (``validate --strict`` fails)."""
    semantic = [
        p for p in _semantic(doc, card.company, list(card.sources), list(enumerate(card.quarters))) if p.warning
    ]
    left = [
        replace(doc.problem(loc, message, "replace it with the real one before sending", key=key), warning=True)
        for loc, message, key in _placeholders(card)
    ]
    return semantic + left


# --- placeholders left by `scorecard new` ------------------------------------------------------


@cache
def _skeleton() -> dict[str, Any]:
    """The file `scorecard new` writes (scorecards/skeleton.yaml), read once: what its placeholders are."""
    text = resources.files("scorecards").joinpath("skeleton.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def placeholders(card: ScorecardIn) -> list[tuple[Loc, str]]:
    """The fields still holding what `scorecard new` wrote there: the company's name, the example source."""
    return [(loc, message) for loc, message, _ in _placeholders(card)]


def _placeholders(card: ScorecardIn) -> Iterator[tuple[Loc, str, bool]]:
    skeleton = _skeleton()
    ticker = card.company.ticker

    def filled(text: str) -> str:
        return text.replace("TICKER", ticker)

    if card.company.name == filled(skeleton["company"]["name"]):
        yield ("company", "name"), f"'{card.company.name}' is the placeholder `scorecard new` wrote", False
    for sid, example in skeleton["sources"].items():
        if sid in card.sources:
            yield ("sources", sid), f"'{sid}' is the example source `scorecard new` wrote", True
        for other, source in card.sources.items():
            if str(source.title) == filled(example["title"]):
                yield ("sources", other, "title"), f"'{source.title}' is the placeholder `scorecard new` wrote", False


def _semantic_of_valid_parts(doc: Document) -> Iterator[Problem]:
    """The cross-field rules, for the quarters that are valid on their own, so every problem shows at once."""
    data = doc.data
    try:
        company = CompanyIn.model_validate(data.get("company"))
    except ValidationError:
        return
    sources = list(data["sources"]) if isinstance(data.get("sources"), dict) else []
    quarters: list[tuple[int, QuarterIn]] = []
    for index, raw in enumerate(data.get("quarters") if isinstance(data.get("quarters"), list) else []):
        try:
            quarters.append((index, QuarterIn.model_validate(raw)))
        except ValidationError:
            continue
    yield from _semantic(doc, company, sources, quarters)


# --- pydantic errors, in words a user can act on -------------------------------------------


def _translate(doc: Document, error: ErrorDetails) -> Problem:
    return translate(doc, error, ScorecardIn)


def translate(
    doc: Document,
    error: ErrorDetails,
    root: type[BaseModel],
    hints: dict[str, str] | None = None,
    forms: dict[str, str] | None = None,
) -> Problem:
    """One pydantic error on a YAML document as a located message a user can act on.

    ``root`` is the model of the whole document (for "did you mean" on unknown keys); ``hints`` and
    ``forms`` say, by field name, what to write and what a pattern-checked field should be.
    """
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    hints = {**PATTERN_HINTS, **(hints or {})}
    if loc and loc[-1] == "[key]":  # a mapping key that does not fit its pattern, e.g. a list's name
        container = str(loc[-3]) if len(loc) > 2 else ""
        what = (forms or {}).get(container, "an entry here")
        return doc.problem(loc[:-1], f"'{loc[-2]}' cannot name {what}", hints.get(container, ""), key=True)
    if kind == "extra_forbidden":
        known = _fields_at(loc[:-1], root)
        hint = did_you_mean(str(loc[-1]), known)
        if not hint and value is None and re.fullmatch(r"\d+[A-Za-z%]*", str(loc[-1])):
            hint = "inside { } a comma separates entries: write 12.3B, or quote an amount with a comma"
        if not hint and known:
            hint = "known keys: " + ", ".join(known)
        return doc.problem(loc, f"unknown key '{loc[-1]}'", hint, key=True)
    if kind == "missing":
        return doc.problem(loc[:-1], f"missing required field '{loc[-1]}'")
    if "hint" in ctx:  # the project's own checks (amounts, one-line text) say what is wrong themselves
        return doc.problem(loc, error["msg"], ctx["hint"])
    if kind in ("enum", "literal_error"):
        expected = _choices(ctx.get("expected", ""))
        hint = did_you_mean(str(value), expected) or ("one of: " + ", ".join(expected) if expected else "")
        return doc.problem(loc, f"'{value}' is not allowed here", hint)
    if kind.startswith(("date", "datetime")):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return doc.problem(loc, f"'{value}' is not a day of the calendar", "check the month and day")
        return doc.problem(
            loc,
            f"'{value}' is not a date in the form YYYY-MM-DD",
            "write dates as YYYY-MM-DD, e.g. 2026-02-05; 02/05/2026 could be 2 May or 5 February",
        )
    if kind == "string_pattern_mismatch":
        name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        form = (forms or {}).get(name, "in the expected form")
        hint = hints.get(name, "letters, digits, '.', '_' and '-' only" if "source" in name else "")
        return doc.problem(loc, f"'{value}' is not {form}", hint)
    if kind in ("string_type", "str_type"):
        return doc.problem(loc, f"expected text, found {_describe(value)}")
    if kind.startswith("bool"):
        return doc.problem(loc, f"expected true or false, found {_describe(value)}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return doc.problem(loc, f"expected a mapping (key: value lines), found {_describe(value)}")
    if kind == "list_type":
        return doc.problem(loc, f"expected a list (lines starting with '- '), found {_describe(value)}")
    if kind == "too_short":
        return doc.problem(loc, "must not be empty")
    return doc.problem(loc, error["msg"][0].lower() + error["msg"][1:])


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"


def _choices(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


PATTERN_HINTS = {
    "period": "write a fiscal period as 'Q4 FY2025', 'H1 FY2026' or 'FY2026'",
    "ticker": "capital letters and digits, e.g. AMZN or 6758",
    "currency": "a three-letter ISO code such as USD or JPY",
    "fiscal_year_end": 'month and day in quotes, e.g. "12-31"',
    "url": "a full address starting with https://",
}


def _fields_at(loc: Loc, root: type[BaseModel] = ScorecardIn) -> list[str]:
    """Field names of the model at ``loc`` in a document whose model is ``root`` (for 'did you mean')."""
    annotation: Any = root
    for part in loc:
        annotation = _step(_unwrap(annotation), part)
    model = _unwrap(annotation)
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _unwrap(annotation: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _step(annotation: Any, part: Any) -> Any:
    origin = get_origin(annotation)
    if origin is list:
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    return None


# --- rules across fields ---------------------------------------------------------------------


def _semantic(
    doc: Document, company: CompanyIn, sources: list[str], quarters: list[tuple[int, QuarterIn]]
) -> Iterator[Problem]:
    month, day = (int(x) for x in company.fiscal_year_end.split("-"))
    if (month, day) in {(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)}:
        yield doc.problem(("company", "fiscal_year_end"), f"'{company.fiscal_year_end}' is not a day of the year")
        return

    previous_end: dt.date | None = None
    for qi, quarter in quarters:
        base: Loc = ("quarters", qi)
        yield from _check_period(doc, base, quarter, company.fiscal_year_end, company.fiscal_year_named_by)
        if previous_end is not None and quarter.period_end >= previous_end:
            yield doc.problem(
                base + ("period_end",),
                "quarters must be listed newest first",
                f"this quarter ends {quarter.period_end}, not before the one above it ({previous_end})",
            )
        previous_end = quarter.period_end
        if quarter.reported is not None and quarter.reported < quarter.period_end:
            yield doc.problem(
                base + ("reported",), f"reported {quarter.reported}, before the quarter ended ({quarter.period_end})"
            )
        yield from _check_to_report(doc, base, quarter)
        if quarter.source is not None:
            yield from _check_source(doc, base + ("source",), quarter.source, sources)
        default = quarter.source
        for key, fig in quarter.results.items():
            yield from _check_figure(doc, base + ("results", key), key, fig, default, sources, company.currency)
        for si, segment in enumerate(quarter.segments):
            seg_base = base + ("segments", si)
            seg_default = segment.source or default
            if segment.source is not None:
                yield from _check_source(doc, seg_base + ("source",), segment.source, sources)
            for key, fig in segment.results.items():
                yield from _check_figure(
                    doc, seg_base + ("results", key), key, fig, seg_default, sources, company.currency
                )
            for key, kpi in segment.kpis.items():
                yield from _check_kpi(doc, seg_base + ("kpis", key), key, kpi, seg_default, sources, company.currency)
        for gi, guide in enumerate(quarter.guidance):
            yield from _check_guidance(doc, base + ("guidance", gi), guide, default, sources, company.currency)
        for key, kpi in quarter.kpis.items():
            yield from _check_kpi(doc, base + ("kpis", key), key, kpi, default, sources, company.currency)
        if quarter.reaction is not None:
            loc = base + ("reaction",)
            yield from _cited(doc, loc, quarter.reaction.source, default, sources)
            yield from _check_unit(
                doc, loc + ("change",), quarter.reaction.change, (Unit.PERCENT,), "a percentage such as +10.5%"
            )
        for ni, note in enumerate(quarter.notes):
            yield from _cited(doc, base + ("notes", ni), note.source, default, sources)
        if quarter.call is not None:
            for hi, item in enumerate(quarter.call.highlights):
                yield from _cited(doc, base + ("call", "highlights", hi), item.source, default, sources)
            for qi2, quote in enumerate(quarter.call.quotes):
                yield from _cited(doc, base + ("call", "quotes", qi2), quote.source, default, sources)


def _check_to_report(doc: Document, base: Loc, quarter: QuarterIn) -> Iterator[Problem]:
    """Results with a consensus and no actual: a quarter still to report, on its scheduled ``reported:`` date."""
    figures = list(quarter.results.values())
    if not figures or any(f.actual is not None for f in figures):
        return
    if quarter.reported is None:
        problem = doc.problem(
            base + ("results",),
            "no result has an actual, and the quarter has no `reported:` date",
            "a quarter still to report needs the date it is scheduled to report; until then the season "
            "counts it neither as reported nor as to report",
        )
        yield dataclasses.replace(problem, warning=True)
    elif quarter.reaction is not None:
        yield doc.problem(
            base + ("reaction",),
            "a quarter still to report (no result has an actual yet) has no price reaction",
            "give the actuals, or remove the reaction",
        )


def _check_period(doc: Document, base: Loc, quarter: QuarterIn, fye: str, named_by: str) -> Iterator[Problem]:
    expected = nominal_period_end(quarter.period, fye, named_by)
    if expected is None:
        return
    if abs(quarter.period_end - expected) > PERIOD_END_TOLERANCE:
        yield doc.problem(
            base + ("period_end",),
            f"{quarter.period} ends near {expected} for a fiscal year ending {fye}, not {quarter.period_end}",
            "check the period, period_end and company.fiscal_year_end"
            + (
                ""
                if named_by == "start"
                else "; if FY2025 means the year that starts in 2025, set company.fiscal_year_named_by: start"
            ),
        )


def _check_source(doc: Document, loc: Loc, source: str, sources: list[str]) -> Iterator[Problem]:
    if source not in sources:
        hint = did_you_mean(source, sources) or "sources: " + ", ".join(sources)
        yield doc.problem(loc, f"unknown source '{source}'", hint)


def _cited(doc: Document, loc: Loc, source: str | None, default: str | None, sources: list[str]) -> Iterator[Problem]:
    if source is not None:
        yield from _check_source(doc, loc + ("source",), source, sources)
    elif default is None:
        yield doc.problem(loc, "no source cited", "add source: <id>, or a source for the whole quarter")


def metric_for(key: str, decl: MetricDeclaration) -> Metric | None:
    """The registry metric, overridden by inline declarations; None if undeclared."""
    known = REGISTRY.get(key)
    if known is None:
        if decl.label is None or decl.kind is None or decl.direction is None:
            return None
        return Metric(key, decl.label, decl.kind, decl.direction, decl.basis or Basis.REPORTED)
    return Metric(
        key,
        decl.label or known.label,
        decl.kind or known.kind,
        decl.direction or known.direction,
        decl.basis or known.basis,
        known.headline,
    )


def kpi_metric(key: str, kpi: KpiIn) -> Metric:
    """A KPI's metric: the registry's, else declared inline, else read from how the value is written."""
    known = metric_for(key, kpi)
    if known is not None:
        return known
    inferred = {Unit.PERCENT: Kind.PERCENT, Unit.MULTIPLE: Kind.MULTIPLE}.get(kpi.value.unit, Kind.MONEY)
    label = kpi.label or Text.of(key.replace("_", " ").capitalize())
    return Metric(key, label, kpi.kind or inferred, kpi.direction or Direction.NEUTRAL, kpi.basis or Basis.OPERATING)


def _resolve_metric(
    doc: Document, loc: Loc, key: str, decl: MetricDeclaration, *, key_loc: bool = True
) -> Iterator[Metric | Problem]:
    metric = metric_for(key, decl)
    if metric is None:
        hint = did_you_mean(key, list(REGISTRY))
        hint = (hint + " Or d" if hint else "D") + "eclare it with label, kind and direction (higher, lower or neutral)"
        yield doc.problem(loc, f"unknown metric '{key}'", hint, key=key_loc)
        return
    yield metric


EXPECTED_UNITS = {
    Kind.MONEY: ((Unit.PLAIN,), "an amount such as 777.7M or 3.1B"),
    Kind.PER_SHARE: ((Unit.PLAIN,), "a per-share amount such as 0.45"),
    Kind.PERCENT: ((Unit.PERCENT,), "a percentage such as 31.9%"),
    Kind.COUNT: ((Unit.PLAIN,), "a number such as 8.0M"),
    Kind.MULTIPLE: ((Unit.MULTIPLE, Unit.PLAIN), "a multiple such as 2.5x"),
}


def _check_value(
    doc: Document, loc: Loc, amount: Amount | str | None, metric: Metric, currency: str
) -> Iterator[Problem]:
    if amount is None or isinstance(amount, str):  # `actual: filing`: checked where the filing is read (evidence.py)
        return
    units, words = EXPECTED_UNITS[metric.kind]
    yield from _check_unit(doc, loc, amount, units, words)
    if metric.kind is Kind.PER_SHARE and amount.scale:
        yield doc.problem(
            loc,
            f"{metric.label} is per share, but '{amount.written}' has a scale",
            f"write the amount per share, e.g. {amount.mantissa}",
        )
    if amount.currency and metric.kind in (Kind.MONEY, Kind.PER_SHARE) and amount.currency != currency:
        yield doc.problem(
            loc,
            f"amount in {amount.currency}, but the company reports in {currency}",
            "write the figure in the reporting currency, without a currency sign",
        )
    if amount.currency and metric.kind not in (Kind.MONEY, Kind.PER_SHARE):
        yield doc.problem(loc, f"{metric.label} is not money, but has a currency sign", "drop the currency sign")


def _check_unit(doc: Document, loc: Loc, amount: Amount, units: tuple[Unit, ...], words: str) -> Iterator[Problem]:
    if amount.unit not in units:
        hint = {
            Unit.PERCENT: "percentages end in %",
            Unit.POINTS: "percentage-point changes end in pp",
            Unit.PLAIN: "amounts have no % or pp",
            Unit.MULTIPLE: "multiples end in x",
        }[units[0]]
        yield doc.problem(loc, f"expected {words}, found '{amount.written}'", hint)


def _check_changes(doc: Document, loc: Loc, item: FigureIn | KpiIn) -> Iterator[Problem]:
    for name in ("growth_yoy", "growth_qoq"):
        value = getattr(item, name, None)
        if value is not None:
            yield from _check_unit(doc, loc + (name,), value, (Unit.PERCENT,), "a growth rate such as 35.9%")
    for name in ("change_yoy", "change_qoq"):
        value = getattr(item, name, None)
        if value is not None:
            yield from _check_unit(
                doc, loc + (name,), value, (Unit.POINTS,), "a change in percentage points such as -7.4pp"
            )


def _check_figure(
    doc: Document, loc: Loc, key: str, fig: FigureIn, default: str | None, sources: list[str], currency: str
) -> Iterator[Problem]:
    metric = None
    for item in _resolve_metric(doc, loc, key, fig):
        if isinstance(item, Problem):
            yield item
        else:
            metric = item
    if not (fig.actual == FROM_FILING and fig.consensus is None and fig.source is None):
        yield from _cited(doc, loc, fig.source, default, sources)  # a figure from the filing cites the filing
    if fig.consensus_source is not None:
        yield from _check_source(doc, loc + ("consensus_source",), fig.consensus_source, sources)
    if fig.actual is None and fig.consensus is None:
        yield doc.problem(loc, "neither actual nor consensus given", "give at least one of them")
    if fig.outcome is not None and fig.consensus is not None:
        yield doc.problem(
            loc + ("outcome",),
            "an outcome is for a result the source states in words, without a consensus figure",
            "with a consensus the result is worked out from it: drop outcome",
        )
    if metric is None:
        return
    if fig.outcome is not None:
        yield from _check_stated(doc, loc + ("outcome",), fig.outcome, metric)
    for name in ("actual", "consensus", "prior_year"):
        yield from _check_value(doc, loc + (name,), getattr(fig, name), metric, currency)
    yield from _check_changes(doc, loc, fig)
    yield from _check_alternatives(doc, loc, fig.also, metric, sources, currency)


def _check_kpi(
    doc: Document, loc: Loc, key: str, kpi: KpiIn, default: str | None, sources: list[str], currency: str
) -> Iterator[Problem]:
    metric = kpi_metric(key, kpi)
    yield from _cited(doc, loc, kpi.source, default, sources)
    yield from _check_value(doc, loc + ("value",), kpi.value, metric, currency)
    yield from _check_changes(doc, loc, kpi)
    yield from _check_alternatives(doc, loc, kpi.also, metric, sources, currency)


def _check_guidance(
    doc: Document, loc: Loc, guide: GuidanceIn, default: str | None, sources: list[str], currency: str
) -> Iterator[Problem]:
    metric = None
    for item in _resolve_metric(doc, loc + ("metric",), guide.metric, guide, key_loc=False):
        if isinstance(item, Problem):
            yield item
        else:
            metric = item
    yield from _cited(doc, loc, guide.source, default, sources)
    if guide.consensus_source is not None:
        yield from _check_source(doc, loc + ("consensus_source",), guide.consensus_source, sources)
    yield from _check_range(doc, loc, guide.value, guide.low, guide.high, "value", "low", "high", required=True)
    yield from _check_range(
        doc, loc, guide.prior, guide.prior_low, guide.prior_high, "prior", "prior_low", "prior_high", required=False
    )
    if guide.outcome is not None and guide.consensus is not None:
        yield doc.problem(
            loc + ("outcome",),
            "an outcome is for guidance the source compares with expectations in words, without a consensus figure",
            "with a consensus the midpoint is compared with it: drop outcome",
        )
    if metric is None:
        return
    for name in ("value", "low", "high", "consensus", "prior", "prior_low", "prior_high", "prior_year"):
        yield from _check_value(doc, loc + (name,), getattr(guide, name), metric, currency)
    yield from _check_alternatives(doc, loc, guide.also, metric, sources, currency)


def _check_stated(doc: Document, loc: Loc, word: str, metric: Metric) -> Iterator[Problem]:
    neutral = metric.direction is Direction.NEUTRAL
    if neutral and word in ("beat", "miss"):
        message = (
            f"neither a higher nor a lower {metric.label} is better: it is above or below expectations, not a {word}"
        )
        yield doc.problem(loc, message, "write above, in line or below")
    elif not neutral and word in ("above", "below"):
        better = "higher" if metric.direction is Direction.HIGHER else "lower"
        yield doc.problem(
            loc, f"a {better} {metric.label} is better: it beats or misses expectations", "write beat, in line or miss"
        )


def _check_range(
    doc: Document,
    loc: Loc,
    point: Amount | None,
    low: Amount | None,
    high: Amount | None,
    p: str,
    lo: str,
    hi: str,
    *,
    required: bool,
) -> Iterator[Problem]:
    if point is not None and (low is not None or high is not None):
        yield doc.problem(loc + (p,), f"give either {p} or {lo} and {hi}, not both")
    elif (low is None) != (high is None):
        missing = hi if high is None else lo
        yield doc.problem(
            loc + (lo if low is not None else hi,), f"a range needs both {lo} and {hi}; {missing} is missing"
        )
    elif low is not None and high is not None and low.value > high.value:
        yield doc.problem(loc + (lo,), f"{lo} ({low.written}) is above {hi} ({high.written})", f"swap {lo} and {hi}")
    elif required and point is None and low is None:
        yield doc.problem(loc, f"guidance needs {p}, or {lo} and {hi}")


def _check_alternatives(
    doc: Document, loc: Loc, alternatives: list[AlternativeIn], metric: Metric, sources: list[str], currency: str
) -> Iterator[Problem]:
    for ai, alt in enumerate(alternatives):
        alt_loc = loc + ("also", ai)
        yield from _check_source(doc, alt_loc + ("source",), alt.source, sources)
        given = [n for n in ("actual", "consensus", "prior_year", "value") if getattr(alt, n) is not None]
        if not given:
            yield doc.problem(alt_loc, "gives no figure", "give the value this source reports, e.g. actual: 125B")
        for name in given:
            yield from _check_value(doc, alt_loc + (name,), getattr(alt, name), metric, currency)
