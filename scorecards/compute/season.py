"""The season view: companies grouped by calendar quarter, and the aggregates FactSet and LSEG publish.

Computed from the same Scorecard objects the company pages show, so every
number agrees across the scorecards, the summary and the data exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from scorecards.i18n import N_
from scorecards.model.amounts import Amount, Unit
from scorecards.model.metrics import Direction, Kind, Outcome, Stance
from scorecards.model.schema import PERIOD_RE, Timing, Window
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
    """One calendar quarter's companies and aggregates. Its lists of companies by state are worked out once: a
    template asks for them row by row (``r in s.overdue``)."""

    quarter: CalendarQuarter
    rows: tuple[Row, ...]
    overall: Group
    sectors: tuple[Group, ...]
    capex: tuple[CapexRow, ...]
    rates: Rates | None
    history: History | None = None  # the earlier seasons in the files, as yardsticks
    eps_growth: Blended | None = None
    revenue_growth: Blended | None = None
    data_date: dt.date | None = None  # the latest date any company's data is as of
    upcoming_days: int = 7

    @property
    def label(self) -> str:
        return f"{self.quarter.label} season"

    @property
    def per_source(self) -> PerSource:
        return per_source(self.rows)

    @cached_property
    def reported(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.quarter.to_report)

    @cached_property
    def to_report(self) -> tuple[Row, ...]:
        """Companies whose quarter is scheduled but not yet reported, by date."""
        rows = [r for r in self.rows if r.quarter.to_report]
        return tuple(sorted(rows, key=lambda r: (r.quarter.reported or dt.date.max, r.card.company.name.lower())))

    @property
    def reported_share(self) -> Decimal | None:
        """Percent of the season's companies that have reported."""
        return Decimal(len(self.reported)) / Decimal(len(self.rows)) * 100 if self.rows else None

    @cached_property
    def upcoming(self) -> tuple[Row, ...]:
        """Companies scheduled to report after the data date and within ``upcoming_days`` of it."""
        if self.data_date is None:
            return ()
        end = self.data_date + dt.timedelta(days=self.upcoming_days)
        return tuple(r for r in self.to_report if r.quarter.reported and self.data_date < r.quarter.reported <= end)

    @property
    def growth_rows(self) -> tuple[tuple[str, Growth | None, Growth | None], ...]:
        """Blended growth by sector then overall: (name, EPS growth, revenue growth), either None when no company
        of the sector has the figure both years."""
        if self.eps_growth is None or self.revenue_growth is None:
            return ()
        eps = {g.name: g for g in self.eps_growth.sectors}
        revenue = {g.name: g for g in self.revenue_growth.sectors}
        rows = [(name, eps.get(name), revenue.get(name)) for name in sorted(eps.keys() | revenue.keys())]
        return (*rows, (self.eps_growth.overall.name, self.eps_growth.overall, self.revenue_growth.overall))

    @cached_property
    def overdue(self) -> tuple[Row, ...]:
        """Companies whose scheduled date is on or before the data date, with no results recorded yet."""
        if self.data_date is None:
            return ()
        return tuple(r for r in self.to_report if r.quarter.reported and r.quarter.reported <= self.data_date)

    @property
    def schedule(self) -> tuple[tuple[dt.date, Timing | None, tuple[Row, ...]], ...]:
        """The overdue and upcoming companies by day, and within a day by when they report (before the open, during
        trading, after the close, then those whose time is not given): (date, timing, rows in name order)."""
        times: list[Timing | None] = [*Timing, None]
        days: dict[tuple[dt.date, Timing | None], list[Row]] = {}
        for row in (*self.overdue, *self.upcoming):
            assert row.quarter.reported is not None  # both lists hold only companies with a date
            days.setdefault((row.quarter.reported, row.quarter.timing), []).append(row)
        return tuple(
            (day, timing, tuple(rows))
            for (day, timing), rows in sorted(days.items(), key=lambda item: (item[0][0], times.index(item[0][1])))
        )


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


def build_seasons(
    cards: Iterable[Scorecard],
    rates: Rates | None = None,
    *,
    min_seasons: int = 2,
    min_companies: int = 5,
    upcoming_days: int = 7,
) -> tuple[Season, ...]:
    """Every season present, newest first; within one, companies by name. Each with its yardsticks from the
    earlier seasons the files hold (averages need ``min_seasons`` seasons of ``min_companies`` companies each),
    its blended growth, and who reports within ``upcoming_days`` of the data date."""
    cards = list(cards)
    by_quarter: dict[CalendarQuarter, list[Row]] = {}
    for card in cards:
        row = _row(card)
        if row is not None:
            by_quarter.setdefault(calendar_quarter(row.quarter.period_end), []).append(row)
    past = earlier_seasons(cards, rates)
    dates = [c.data_date for c in cards if c.data_date]
    data_date = max(dates) if dates else None
    seasons = []
    for cq in sorted(by_quarter, reverse=True):
        rows = sorted(by_quarter[cq], key=lambda r: r.card.company.name.lower())
        sectors = sorted({r.card.company.sector for r in rows})
        overall = _group(N_("All companies"), rows, rates)
        seasons.append(
            Season(
                cq,
                tuple(rows),
                overall,
                tuple(_group(s, [r for r in rows if r.card.company.sector == s], rates) for s in sectors),
                _capex(rows, rates),
                rates,
                history(cq, overall, rows, past, min_seasons, min_companies),
                blended(rows, "eps", rates),
                blended(rows, "revenue", rates),
                data_date,
                upcoming_days,
            )
        )
    return tuple(seasons)


# --- earlier seasons as yardsticks (FactSet: "against a 5-year average of 78%") -----------------------------


def _index(cq: CalendarQuarter) -> int:
    return cq.year * 4 + cq.quarter - 1


@dataclass(frozen=True)
class Past:
    """An earlier season as the files hold it: every company's reported quarter in that calendar quarter."""

    quarter: CalendarQuarter
    group: Group
    rows: tuple[Row, ...]


def _rows_of(card: Scorecard) -> Iterable[Row]:
    """A Row for every reported quarter of a company (its latest season's row is ``_row``)."""
    for quarter in card.quarters:
        if quarter.to_report:
            continue
        judged = [g.stance for g in quarter.guidance if g.metric.direction is not Direction.NEUTRAL]
        yield Row(card, quarter, headline_eps(quarter), headline_revenue(quarter), _split(judged))


def earlier_seasons(cards: Iterable[Scorecard], rates: Rates | None) -> dict[CalendarQuarter, Past]:
    """Every calendar quarter any company file holds a reported quarter of, with its aggregates."""
    by_quarter: dict[CalendarQuarter, dict[str, Row]] = {}
    for card in cards:
        for row in _rows_of(card):
            # one quarter per company and season: the newest, should two fall in one calendar quarter
            by_quarter.setdefault(calendar_quarter(row.quarter.period_end), {}).setdefault(card.slug, row)
    return {
        cq: Past(cq, _group(cq.label, list(rows.values()), rates), tuple(rows.values()))
        for cq, rows in by_quarter.items()
    }


@dataclass(frozen=True)
class Average:
    """A figure averaged over the earlier seasons in a window (the last 4 or 20 calendar quarters), one value per
    season, each season weighing the same (as FactSet's 5-year averages)."""

    value: Decimal | None  # None: fewer seasons than the setting asks for (``seasons`` says how many there are)
    seasons: int  # the seasons it rests on (with enough companies)
    companies: int  # the distinct companies in them
    window: int  # the calendar quarters it looks back over: 4 or 20


@dataclass(frozen=True)
class Yardstick:
    """One figure of the season against its averages over the last 4 and the last 20 seasons."""

    current: Decimal | None
    n: int  # companies the current figure rests on
    last4: Average
    last20: Average
    approximate: int = 0  # of the current figure's values, how many were written as approximate (~, >, <)

    def versus(self, average: Average) -> Decimal | None:
        """This season minus the average (percentage points for a rate, the unit of the figure otherwise)."""
        if self.current is None or average.value is None:
            return None
        return self.current - average.value


# Each yardstick's figure in one season, the companies it rests on, and their tickers.
Measure = Callable[[Group, tuple[Row, ...]], tuple[Decimal | None, int, set[str]]]


def _eps(row: Row) -> bool:
    return row.eps is not None and row.eps.outcome in JUDGED


def _revenue(row: Row) -> bool:
    return row.revenue is not None and row.revenue.outcome in JUDGED


def _after(outcome: Outcome) -> Callable[[Row], bool]:
    return lambda row: row.eps is not None and row.eps.outcome is outcome and row.reaction is not None


def _tickers(rows: tuple[Row, ...], keep: Callable[[Row], bool]) -> set[str]:
    return {r.card.company.ticker for r in rows if keep(r)}


JUDGED = (Outcome.BEAT, Outcome.INLINE, Outcome.MISS)


def _revisions(rows: tuple[Row, ...]) -> tuple[Decimal | None, int, set[str]]:
    """The mean of the companies' EPS estimate revisions over the quarter (each a percentage of its own first
    estimate, so no currency is converted), over the companies whose consensus files give more than one date."""
    moves = {
        r.card.company.ticker: r.eps.consensus_history.revision_pct
        for r in rows
        if r.eps is not None and r.eps.consensus_history is not None
    }
    known = {t: m for t, m in moves.items() if m is not None}
    if not known:
        return None, 0, set()
    return sum(known.values(), Decimal(0)) / len(known), len(known), set(known)


MEASURES: dict[str, Measure] = {
    "eps_beat": lambda g, rows: (g.eps.share(g.eps.above), g.eps.n, _tickers(rows, _eps)),
    "revenue_beat": lambda g, rows: (g.revenue.share(g.revenue.above), g.revenue.n, _tickers(rows, _revenue)),
    "eps_surprise": lambda g, rows: (
        g.eps_surprise.value,
        g.eps_surprise.n,
        _tickers(rows, lambda r: _eps(r) and r.eps is not None and r.eps.surprise_pct is not None),
    ),
    "guidance_positive": lambda g, rows: (
        Decimal(g.guidance.above) if g.guidance_companies else None,
        g.guidance_companies,
        _tickers(rows, lambda r: r.guidance.n > 0),
    ),
    "guidance_negative": lambda g, rows: (
        Decimal(g.guidance.below) if g.guidance_companies else None,
        g.guidance_companies,
        _tickers(rows, lambda r: r.guidance.n > 0),
    ),
    "reaction_beat": lambda g, rows: (
        g.reaction_after_beat.value,
        g.reaction_after_beat.n,
        _tickers(rows, _after(Outcome.BEAT)),
    ),
    "reaction_miss": lambda g, rows: (
        g.reaction_after_miss.value,
        g.reaction_after_miss.n,
        _tickers(rows, _after(Outcome.MISS)),
    ),
    "eps_revision": lambda g, rows: _revisions(rows),
}


def _price_move(outcome: Outcome, relative: bool) -> Measure:
    """The mean move measured from closing prices over the standard window (raw, or against the index) of the
    companies whose EPS had ``outcome``."""

    def measure(group: Group, rows: tuple[Row, ...]) -> tuple[Decimal | None, int, set[str]]:
        moves: dict[str, Decimal] = {}
        for r in rows:
            measured = r.quarter.price_reaction
            if r.eps is None or r.eps.outcome is not outcome or measured is None:
                continue
            value = measured.relative if relative else measured.change
            if value is not None:
                moves[r.card.company.ticker] = value
        if not moves:
            return None, 0, set()
        return sum(moves.values(), Decimal(0)) / len(moves), len(moves), set(moves)

    return measure


MEASURES.update(
    {
        "price_beat": _price_move(Outcome.BEAT, relative=False),
        "price_miss": _price_move(Outcome.MISS, relative=False),
        "relative_beat": _price_move(Outcome.BEAT, relative=True),
        "relative_miss": _price_move(Outcome.MISS, relative=True),
    }
)


# The typed reactions can be approximate ("more than 10%"): the panel marks them as the tables do.
APPROXIMATE: dict[str, Callable[[Group], int]] = {
    "reaction_beat": lambda g: g.reaction_after_beat.approximate,
    "reaction_miss": lambda g: g.reaction_after_miss.approximate,
}


@dataclass(frozen=True)
class History:
    """The season's figures against the earlier seasons in the files (empty: the files hold no earlier season)."""

    earlier: tuple[Past, ...]  # newest first, the last 20 calendar quarters before the season
    eps_beat: Yardstick
    revenue_beat: Yardstick
    eps_surprise: Yardstick
    guidance_positive: Yardstick
    guidance_negative: Yardstick
    reaction_beat: Yardstick
    reaction_miss: Yardstick
    eps_revision: Yardstick  # the EPS estimate's move over the quarter, mean of the companies' (consensus files)
    price_beat: Yardstick  # reactions measured from closing prices over the standard window (sources/prices.py)
    price_miss: Yardstick
    relative_beat: Yardstick  # ... against the market index, in percentage points
    relative_miss: Yardstick
    min_seasons: int
    min_companies: int

    @property
    def empty(self) -> bool:
        return not self.earlier

    @property
    def averaged(self) -> bool:
        """Whether any figure has an earlier season enough companies count in (else no average can be shown)."""
        return any(getattr(self, key).last20.seasons for key in MEASURES)


def _average(
    values: dict[CalendarQuarter, tuple[Decimal | None, int, set[str]]],
    past: list[Past],
    window: int,
    min_seasons: int,
    min_companies: int,
) -> Average:
    """The mean of a figure over the seasons in ``past`` that have it for at least ``min_companies`` companies
    (``values``: the figure in each season); None below ``min_seasons`` such seasons."""
    counted: list[Decimal] = []
    tickers: set[str] = set()
    for season in past:
        value, n, names = values[season.quarter]
        if value is None or n < min_companies:
            continue
        counted.append(value)
        tickers |= names
    if len(counted) < min_seasons:
        return Average(None, len(counted), len(tickers), window)
    return Average(sum(counted, Decimal(0)) / len(counted), len(counted), len(tickers), window)


def history(
    cq: CalendarQuarter,
    overall: Group,
    rows: list[Row],
    past: dict[CalendarQuarter, Past],
    min_seasons: int,
    min_companies: int,
) -> History:
    """The season ``cq`` against the earlier seasons: averages over the last 4 and the last 20 calendar quarters."""
    start = _index(cq)
    earlier = sorted((p for q, p in past.items() if start - 20 <= _index(q) < start), key=lambda p: p.quarter)
    earlier.reverse()
    last4 = [p for p in earlier if _index(p.quarter) >= start - 4]
    sticks = {}
    current_rows = tuple(rows)
    for key, measure in MEASURES.items():
        value, n, _ = measure(overall, current_rows)
        values = {p.quarter: measure(p.group, p.rows) for p in earlier}  # once per season, for both windows
        sticks[key] = Yardstick(
            value,
            n,
            _average(values, last4, 4, min_seasons, min_companies),
            _average(values, earlier, 20, min_seasons, min_companies),
            APPROXIMATE[key](overall) if key in APPROXIMATE else 0,
        )
    return History(tuple(earlier), **sticks, min_seasons=min_seasons, min_companies=min_companies)


# --- blended growth: actual where reported, consensus where still to report (FactSet) ----------------------


@dataclass(frozen=True)
class Growth:
    """Growth over the year-ago quarter of a group's summed figure, and its contribution to the overall growth."""

    name: str
    current: Decimal  # the sum this season, in the base currency: actuals, and consensus where still to report
    year_ago: Decimal  # the sum of the same companies' year-ago actuals
    companies: int
    estimated: int  # of them, counted at consensus (still to report)
    contribution: Decimal | None  # percentage points of the overall growth: (current - year ago) / |overall year ago|

    @property
    def growth(self) -> Decimal | None:
        return (self.current - self.year_ago) / abs(self.year_ago) * 100 if self.year_ago else None


@dataclass(frozen=True)
class Blended:
    metric: str  # "eps" or "revenue"
    overall: Growth
    sectors: tuple[Growth, ...]
    left_out: tuple[str, ...]  # tickers without a current figure or a year-ago actual
    unconverted: tuple[str, ...]  # tickers left out for want of a conversion rate
    currency: str  # what the sums are in


def year_ago_period(period: str) -> str | None:
    """The same fiscal quarter a year before: 'Q4 FY2025' -> 'Q4 FY2024'; None for other periods.

    >>> year_ago_period("Q4 FY2025"), year_ago_period("FY2025")
    ('Q4 FY2024', None)
    """
    match = PERIOD_RE.match(period)
    if match is None or not match.group(1).startswith("Q"):
        return None
    return f"{match.group(1)} FY{int(match.group(3)) - 1}"


def _year_ago(row: Row, fig: Figure) -> Value | None:
    """The figure's year-ago actual: from the file's quarter a year earlier, else the figure's own prior_year."""
    period = year_ago_period(row.quarter.period)
    for quarter in row.card.quarters:
        if quarter.period == period and not quarter.to_report:
            found = next((f for f in quarter.figures if f.metric.key == fig.metric.key), None)
            if found is not None and found.actual is not None:
                return found.actual
    return fig.prior_year


def blended(rows: list[Row], attribute: str, rates: Rates | None) -> Blended:
    """Blended growth of the season's summed EPS ('eps': each company's headline EPS, the same basis both years) or
    revenue, by sector and overall, in the base currency (money in other currencies only at a given rate)."""
    base = rates.base if rates else "USD"
    parts: dict[str, list[tuple[Decimal, Decimal, bool]]] = {}
    left_out: list[str] = []
    unconverted: list[str] = []
    for row in rows:
        fig: Figure | None = getattr(row, attribute)
        ticker = row.card.company.ticker
        now = None if fig is None else (fig.consensus if row.quarter.to_report else fig.actual)
        before = None if fig is None else _year_ago(row, fig)
        if fig is None or now is None or before is None:
            left_out.append(ticker)
            continue
        currency = row.card.company.currency
        rate = rates.rate(currency) if rates else (Decimal(1) if currency == base else None)
        if rate is None:
            unconverted.append(ticker)
            continue
        parts.setdefault(row.card.company.sector, []).append(
            (now.number * rate, before.number * rate, row.quarter.to_report)
        )
    every = [p for sector in parts.values() for p in sector]
    total_before = sum((b for _, b, _ in every), Decimal(0))

    def growth(name: str, items: list[tuple[Decimal, Decimal, bool]]) -> Growth:
        now = sum((n for n, _, _ in items), Decimal(0))
        before = sum((b for _, b, _ in items), Decimal(0))
        share = (now - before) / abs(total_before) * 100 if total_before else None
        return Growth(name, now, before, len(items), sum(1 for *_, e in items if e), share)

    return Blended(
        attribute,
        growth(N_("All companies"), every),
        tuple(growth(sector, parts[sector]) for sector in sorted(parts)),
        tuple(left_out),
        tuple(unconverted),
        base,
    )
