"""The season view: companies grouped by calendar quarter, and the aggregates FactSet and LSEG publish.

Computed from the same Scorecard objects the company pages show, so every
number agrees across the scorecards, the summary and the data exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from scorecards.i18n import N_
from scorecards.model.amounts import Amount, Unit
from scorecards.model.metrics import Direction, Kind, Outcome, Stance
from scorecards.model.schema import Window
from scorecards.model.scorecard import Figure, Guide, Quarter, Scorecard, Value, headline_eps, headline_revenue
from scorecards.sources.fx import Rates

# Windows that measure the market's answer to the report (a fall "from a recent high" does not).
REACTION_WINDOWS = {Window.AFTER_HOURS, Window.PRE_MARKET, Window.ONE_DAY, Window.TWO_DAY}


@dataclass(frozen=True, order=True)
class CalendarQuarter:
    year: int
    quarter: int

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"


def calendar_quarter(period_end: dt.date) -> CalendarQuarter:
    """The calendar quarter a fiscal quarter ending on ``period_end`` mostly covers.

    The middle of a three-month quarter lies about 45 days before its end, so
    Coherent's quarter ending 27 December and Sony's ending 31 December both
    fall in Q4 with Amazon's calendar quarter.
    """
    middle = period_end - dt.timedelta(days=45)
    return CalendarQuarter(middle.year, (middle.month - 1) // 3 + 1)


@dataclass(frozen=True)
class Split:
    """Companies above, equal to and below consensus (or guidance stances)."""

    above: int = 0
    equal: int = 0
    below: int = 0

    @property
    def n(self) -> int:
        return self.above + self.equal + self.below

    def share(self, part: int) -> Decimal | None:
        return None if self.n == 0 else Decimal(part) / Decimal(self.n) * 100


@dataclass(frozen=True)
class Mean:
    """An average and how many values it rests on."""

    value: Decimal | None
    n: int
    approximate: int = 0  # how many of the values were written as approximate (~, >, <)


@dataclass(frozen=True)
class Aggregate:
    """Revenue surprise over a group: (sum of actuals - sum of consensus) / sum of consensus."""

    value: Decimal | None
    n: int
    excluded: tuple[str, ...]  # tickers left out for want of a conversion rate


@dataclass(frozen=True)
class Group:
    name: str
    companies: int
    eps: Split
    revenue: Split
    eps_surprise: Mean
    revenue_surprise: Aggregate
    guidance: Split
    guidance_companies: int
    reaction_after_beat: Mean
    reaction_after_miss: Mean


@dataclass(frozen=True)
class Row:
    """One company in the season: its latest quarter and the figures the season counts."""

    card: Scorecard
    quarter: Quarter
    eps: Figure | None
    revenue: Figure | None
    guidance: Split

    @property
    def reaction(self) -> Value | None:
        r = self.quarter.reaction
        return r.change if r is not None and r.window in REACTION_WINDOWS else None


@dataclass(frozen=True)
class CapexRow:
    card: Scorecard
    guide: Guide
    plan: Value | None  # the point or midpoint, converted to the base currency where needed
    prior_year: Value | None
    consensus: Value | None
    converted: bool  # amounts were converted at the given rate
    rate: Decimal | None


@dataclass(frozen=True)
class Season:
    quarter: CalendarQuarter
    rows: tuple[Row, ...]
    overall: Group
    sectors: tuple[Group, ...]
    capex: tuple[CapexRow, ...]
    rates: Rates | None

    @property
    def label(self) -> str:
        return f"{self.quarter.label} season"

    @property
    def per_source(self) -> PerSource:
        return per_source(self.rows)


@dataclass(frozen=True)
class PerSource:
    """Companies whose EPS or revenue result the source states in words, without a consensus figure: a group of
    its own, never counted with the results judged against a consensus figure (``Group.eps``, ``Group.revenue``)."""

    eps: Split
    revenue: Split


def per_source(rows: Iterable[Row]) -> PerSource:
    rows = list(rows)
    return PerSource(
        _split(r.eps.stated for r in rows if r.eps is not None and r.eps.per_source),
        _split(r.revenue.stated for r in rows if r.revenue is not None and r.revenue.per_source),
    )


def _split(outcomes: Iterable[Outcome | Stance]) -> Split:
    above = equal = below = 0
    for o in outcomes:
        if o in (Outcome.BEAT, Stance.POSITIVE):
            above += 1
        elif o in (Outcome.INLINE, Stance.INLINE):
            equal += 1
        elif o in (Outcome.MISS, Stance.NEGATIVE):
            below += 1
    return Split(above, equal, below)


def _mean(values: list[Value]) -> Mean:
    if not values:
        return Mean(None, 0)
    total = sum((v.number for v in values), Decimal(0))
    return Mean(total / len(values), len(values), sum(1 for v in values if v.amount.approximate))


def _row(card: Scorecard) -> Row | None:
    quarter = card.latest
    if quarter is None:
        return None
    judged = [g.stance for g in quarter.guidance if g.metric.direction is not Direction.NEUTRAL]
    return Row(card, quarter, headline_eps(quarter), headline_revenue(quarter), _split(judged))


def _revenue_aggregate(rows: list[Row], rates: Rates | None) -> Aggregate:
    actual = consensus = Decimal(0)
    n = 0
    excluded: list[str] = []
    base = rates.base if rates else "USD"
    for row in rows:
        fig = row.revenue
        if fig is None or fig.actual is None or fig.consensus is None:
            continue
        rate = (
            rates.rate(row.card.company.currency)
            if rates
            else (Decimal(1) if row.card.company.currency == base else None)
        )
        if rate is None:
            excluded.append(row.card.company.ticker)
            continue
        actual += fig.actual.number * rate
        consensus += fig.consensus.number * rate
        n += 1
    value = (actual - consensus) / consensus * 100 if n and consensus > 0 else None
    return Aggregate(value, n, tuple(excluded))


def _group(name: str, rows: list[Row], rates: Rates | None) -> Group:
    eps = [r.eps for r in rows if r.eps is not None]
    surprises = [
        Value(Amount(f.surprise_pct, Unit.PERCENT), Kind.PERCENT, "", derived=True)
        for f in eps
        if f.surprise_pct is not None
    ]
    beats = [r.reaction for r in rows if r.eps is not None and r.eps.outcome is Outcome.BEAT and r.reaction]
    misses = [r.reaction for r in rows if r.eps is not None and r.eps.outcome is Outcome.MISS and r.reaction]
    guidance = Split(
        sum(r.guidance.above for r in rows), sum(r.guidance.equal for r in rows), sum(r.guidance.below for r in rows)
    )
    return Group(
        name,
        len(rows),
        _split(f.outcome for f in eps),
        _split(r.revenue.outcome for r in rows if r.revenue is not None),
        _mean(surprises),
        _revenue_aggregate(rows, rates),
        guidance,
        sum(1 for r in rows if r.guidance.n),
        _mean([v for v in beats if v is not None]),
        _mean([v for v in misses if v is not None]),
    )


def _capex(rows: list[Row], rates: Rates | None) -> tuple[CapexRow, ...]:
    out: list[CapexRow] = []
    for row in rows:
        for guide in row.quarter.guidance:
            if guide.metric.key != "capex":
                continue
            currency = row.card.company.currency
            base = rates.base if rates else currency
            rate = Decimal(1) if currency == base else (rates.rate(currency) if rates else None)
            if rate is None or rate == 1:
                out.append(CapexRow(row.card, guide, guide.midpoint, guide.prior_year, guide.consensus, False, None))
                continue
            out.append(
                CapexRow(
                    row.card,
                    guide,
                    _convert(guide.midpoint, rate, base),
                    _convert(guide.prior_year, rate, base),
                    _convert(guide.consensus, rate, base),
                    True,
                    rate,
                )
            )
    return tuple(out)


def _convert(value: Value | None, rate: Decimal, base: str) -> Value | None:
    if value is None:
        return None
    converted = value.amount.with_value(value.number * rate)
    return Value(
        Amount(converted.mantissa, converted.unit, converted.scale, value.amount.qualifier, ""),
        value.kind,
        base,
        derived=True,
    )


def build_seasons(cards: Iterable[Scorecard], rates: Rates | None = None) -> tuple[Season, ...]:
    """Every season present, newest first; within one, companies by name."""
    by_quarter: dict[CalendarQuarter, list[Row]] = {}
    for card in cards:
        row = _row(card)
        if row is not None:
            by_quarter.setdefault(calendar_quarter(row.quarter.period_end), []).append(row)
    seasons = []
    for cq in sorted(by_quarter, reverse=True):
        rows = sorted(by_quarter[cq], key=lambda r: r.card.company.name.lower())
        sectors = sorted({r.card.company.sector for r in rows})
        seasons.append(
            Season(
                cq,
                tuple(rows),
                _group(N_("All companies"), rows, rates),
                tuple(_group(s, [r for r in rows if r.card.company.sector == s], rates) for s in sectors),
                _capex(rows, rates),
                rates,
            )
        )
    return tuple(seasons)
