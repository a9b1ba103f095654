"""Chart geometry for the SVG macros in templates/charts.html.

Charts are drawn by small Jinja macros as inline SVG (the same in HTML and
PDF, text kept as real text); this module only works out scales and positions.
Labels are formatted by the template filters like every other figure.

>>> axis = Axis.fit([Decimal("2.5"), Decimal("21.5")], 0, 200, include_zero=True)
>>> [int(t) for t in axis.ticks]
[0, 5, 10, 15, 20, 25]
>>> axis.x(Decimal("0")), axis.x(Decimal("10"))
(0.0, 80.0)
>>> [int(t) for t in Axis.fit([Decimal("-1.0"), Decimal("21.5")], 0, 200, include_zero=True).ticks]
[-5, 0, 5, 10, 15, 20, 25]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, ClassVar

from scorecards.compute.season import MEASURES, CalendarQuarter, Season
from scorecards.model.metrics import Kind, Outcome, Stance
from scorecards.model.scorecard import ConsensusHistory, Figure, Guide, Scorecard, Value

if TYPE_CHECKING:
    from scorecards.compute.season import CapexRow, Row

WIDTH = 680  # px: the content width of an A4 page at 96 dpi, less margins
NARROW_EM = 0.62  # Inter's widest digit; most Latin glyphs are narrower, so widths are overestimated
WIDE_EM = 1.0  # a Chinese or Japanese character (Noto Sans CJK) is a full em


def text_width(text: str, size: float = 10) -> float:
    """An upper estimate of a chart text's width in px, without the font (the page is laid out later, by WeasyPrint).

    >>> text_width("prior year $91.5B")  # Inter draws it 80.9 px wide
    105.4
    >>> text_width("上年 ¥3.71T")
    63.4
    """
    ems = sum(WIDE_EM if unicodedata.east_asian_width(c) in ("W", "F") else NARROW_EM for c in text)
    return round(ems * size, 1)


def _nice_step(span: Decimal, count: int) -> Decimal:
    raw = span / count
    exponent = raw.adjusted()
    base = Decimal(1).scaleb(exponent)
    for factor in (1, 2, 2.5, 5, 10):
        step = base * Decimal(str(factor))
        if step >= raw:
            return step
    return base * 10  # pragma: no cover


@dataclass(frozen=True)
class Axis:
    lo: Decimal
    hi: Decimal
    ticks: tuple[Decimal, ...]
    start: float
    end: float

    @classmethod
    def fit(
        cls, values: Iterable[Decimal], start: float, end: float, *, include_zero: bool = False, count: int = 5
    ) -> Axis:
        vals = [v for v in values if v is not None]
        if include_zero:
            vals.append(Decimal(0))
        lo, hi = (min(vals), max(vals)) if vals else (Decimal(0), Decimal(1))
        if lo == hi:
            pad = abs(lo) / 10 or Decimal(1)
            lo, hi = lo - pad, hi + pad
        step = _nice_step(hi - lo, count)
        lo = (lo / step).to_integral_value(ROUND_FLOOR) * step
        hi = (hi / step).to_integral_value(ROUND_CEILING) * step
        ticks = []
        tick = lo
        while tick <= hi:
            ticks.append(tick.normalize() if tick != 0 else Decimal(0))
            tick += step
        return cls(lo, hi, tuple(ticks), start, end)

    def x(self, value: Decimal) -> float:
        """Position of ``value`` between start and end, rounded for stable SVG."""
        share = (value - self.lo) / (self.hi - self.lo)
        return round(self.start + float(share) * (self.end - self.start), 1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None  # None: not meaningful (NM) or not available
    outcome: Outcome
    x0: float
    x1: float


@dataclass(frozen=True)
class BarChart:
    axis: Axis
    bars: tuple[Bar, ...]
    zero: float
    of: int = 0  # how many companies the chart could show (it shows the largest surprises when there are many)
    label_x: float = 112  # where the company labels end, left of the plot

    @property
    def height(self) -> int:
        return 34 + 20 * len(self.bars)


VALUE_LABEL_ROOM = 62  # px for '▼ −17.7%' left of a negative bar


def surprise_bars(
    rows: Sequence[tuple[str, Figure | None]],
    left: float = 120,
    right: float = WIDTH - 70,
    least: Decimal | None = None,
) -> BarChart | None:
    """Horizontal bars of surprise % from zero, one per company (label, figure); the axis reaches at least
    ``least`` either side of zero when given."""
    shown = [(label, fig) for label, fig in rows if fig is not None and fig.outcome is not Outcome.NONE]
    if not shown:
        return None
    values = [f.surprise_pct for _, f in shown if f.surprise_pct is not None]
    if least is not None and values:
        values += [-least, least]
    # a negative bar's value label sits left of the bar: keep room for it between the company labels and the plot
    axis = Axis.fit(values, left + (VALUE_LABEL_ROOM if any(v < 0 for v in values) else 0), right, include_zero=True)
    zero = axis.x(Decimal(0))
    bars = []
    for label, fig in shown:
        if fig.surprise_pct is None:
            bars.append(Bar(label, None, fig.outcome, zero, zero))
        else:
            x = axis.x(fig.surprise_pct)
            bars.append(Bar(label, fig.surprise_pct, fig.outcome, min(zero, x), max(zero, x)))
    return BarChart(axis, tuple(bars), zero, label_x=left - 8)


MAX_BARS = 30
CAPEX_MAX_BARS = 20  # two bars each: twenty fit on a page with their heading


def season_surprise(rows: Iterable[Row], attribute: str, limit: int = MAX_BARS) -> BarChart | None:
    """Surprise % bars for a season's companies ('eps' or 'revenue'); past ``limit`` companies, the largest
    surprises."""
    judged = [(r.card.company.ticker, getattr(r, attribute)) for r in rows]
    judged = [(label, fig) for label, fig in judged if fig is not None and fig.outcome is not Outcome.NONE]
    shown = judged
    if len(judged) > limit:
        largest = sorted(range(len(judged)), key=lambda i: abs(judged[i][1].surprise_pct or 0), reverse=True)[:limit]
        shown = [judged[i] for i in sorted(largest)]
    chart = surprise_bars(shown)
    return None if chart is None else replace(chart, of=len(judged))


QUARTER_SURPRISE_SPAN = Decimal(5)  # % either side of zero: a 1% miss is a short bar, not a cliff


def quarter_surprises(rows: Sequence[tuple[str, Figure | None]]) -> BarChart | None:
    """One quarter's headline figures (label, figure) as surprise % bars against zero, on an axis of at least
    ±5%: with a single quarter there is no history to plot, and an axis fitted to the actual and the consensus
    alone would draw Amazon's 2-cent EPS miss ($1.95 against $1.97) across a quarter of a page.

    >>> quarter_surprises([]) is None
    True
    """
    chart = surprise_bars(rows, left=130, least=QUARTER_SURPRISE_SPAN)
    return None if chart is None else replace(chart, of=len(chart.bars))


@dataclass(frozen=True)
class Dot:
    period: str
    x: float
    actual: Value | None
    consensus: Value | None
    y_actual: float | None
    y_consensus: float | None
    outcome: Outcome


@dataclass(frozen=True)
class DotChart:
    title: str
    axis: Axis  # vertical: start is the bottom, end the top
    dots: tuple[Dot, ...]
    width: int
    height: int
    unit: str  # currency code for money, '%' for percentages, '' otherwise


def history_dots(card: Scorecard, key: str, title: str, width: int = 330, height: int = 124) -> DotChart | None:
    """Actual (coloured mark) against consensus (hollow dot) for each quarter in the file, oldest first; drawn
    where at least two quarters have an actual, with or without a consensus (quarters taken from filings have none:
    their actual is a square, "no consensus")."""
    pairs = []
    for quarter in reversed(card.quarters):
        fig = next((f for f in quarter.figures if f.metric.key == key), None)
        if fig is not None and (fig.actual is not None or fig.consensus is not None):
            pairs.append((quarter.period, fig))
    if sum(1 for _, f in pairs if f.actual is not None) < 2:
        return None  # one quarter: its surprise is in the table; an axis fitted to two close values makes it a cliff
    values = [v.number for _, f in pairs for v in (f.actual, f.consensus) if v is not None]
    axis = Axis.fit(values, height - 26, 24, count=3)
    left, right = 56, width - 60  # room on the right for the last quarter's value, written beside its mark
    step = (right - left) / len(pairs)
    dots = []
    for i, (period, fig) in enumerate(pairs):
        x = round(left + step * (i + 0.5), 1)
        dots.append(
            Dot(
                period,
                x,
                fig.actual,
                fig.consensus,
                axis.x(fig.actual.number) if fig.actual else None,
                axis.x(fig.consensus.number) if fig.consensus else None,
                fig.outcome,
            )
        )
    first = pairs[0][1]
    unit = {Kind.MONEY: first.actual.currency if first.actual else "", Kind.PER_SHARE: "", Kind.PERCENT: "%"}.get(
        first.metric.kind, ""
    )
    if first.metric.kind is Kind.PER_SHARE:
        shown = first.actual or first.consensus
        assert shown is not None  # pairs hold only figures with an actual or a consensus
        unit = shown.currency
    return DotChart(title, axis, tuple(dots), width, height, unit)


@dataclass(frozen=True)
class RangeRow:
    guide: Guide
    axis: Axis
    x_low: float | None
    x_high: float | None
    x_mid: float
    x_consensus: float
    stance: Stance
    label: str  # the stance as the chart says it, at the right end of the row
    x_low_label: float | None = None  # where the range's end values are centred: under the ends, or apart
    x_high_label: float | None = None


def labels_apart(x_low: float, x_high: float, low: str, high: str, floor: float, gap: float = 6) -> tuple[float, float]:
    """The centres of the labels of a range's two ends: under the ends, or pushed apart just enough that they do
    not run into each other (a narrow range with long amounts: 1,750億美元 beside 1,850億美元), the pair kept right of
    ``floor``.

    >>> labels_apart(300, 400, "$175B", "$185B", floor=190)
    (300, 400)
    >>> labels_apart(300, 330, "1,750億美元", "1,850億美元", floor=190)
    (281.5, 348.5)
    """
    half_low, half_high = text_width(low) / 2, text_width(high) / 2
    overlap = x_low + half_low + gap - (x_high - half_high)
    if overlap <= 0:
        return x_low, x_high
    shift = max(0.0, floor - (x_low - overlap / 2 - half_low))
    return round(x_low - overlap / 2 + shift, 1), round(x_high + overlap / 2 + shift, 1)


@dataclass(frozen=True)
class RangeChart:
    rows: tuple[RangeRow, ...]
    TOP: ClassVar[int] = 26  # the chart's title above the rows

    @property
    def height(self) -> int:
        return self.TOP + 6 + 44 * len(self.rows)


def guidance_ranges(
    guides: Iterable[Guide],
    label: Callable[[Stance], str] = lambda stance: stance.value,
    amount: Callable[[Value], str] = str,
    left: float = 190,
    right: float = WIDTH - 90,
) -> RangeChart | None:
    """One row per guidance item with a consensus: the range as a bar, the consensus as a tick, and the stance
    (``label``: its text in the page's language) at the right end, where the plot stops short of it. The range's
    ends are labelled with their values (``amount``: as the page writes them), apart from each other."""
    usable = [g for g in guides if g.midpoint is not None and g.consensus is not None]
    labels = [str(label(g.stance)).strip() for g in usable]
    right = min(right, WIDTH - max((text_width(t) for t in labels), default=0) - 16)  # 5: half a diamond
    rows = []
    for guide, text in zip(usable, labels, strict=False):
        midpoint, consensus = guide.midpoint, guide.consensus
        assert midpoint is not None and consensus is not None  # usable holds only guides with both
        values = [v.number for v in (guide.low, guide.high, midpoint, consensus) if v is not None]
        axis = Axis.fit(values, left, right, count=4)
        x_low = axis.x(guide.low.number) if guide.low else None
        x_high = axis.x(guide.high.number) if guide.high else None
        apart: tuple[float | None, float | None] = (x_low, x_high)
        if guide.low and guide.high and x_low is not None and x_high is not None:
            apart = labels_apart(x_low, x_high, str(amount(guide.low)).strip(), str(amount(guide.high)).strip(), left)
        rows.append(
            RangeRow(
                guide,
                axis,
                x_low,
                x_high,
                axis.x(midpoint.number),
                axis.x(consensus.number),
                guide.stance,
                text,
                *apart,
            )
        )
    return RangeChart(tuple(rows)) if rows else None


@dataclass(frozen=True)
class CapexBar:
    label: str
    plan: Value
    prior_year: Value | None
    consensus: Value | None
    low: Value | None
    high: Value | None
    x_plan: float
    x_prior: float | None
    x_consensus: float | None
    x_low: float | None
    x_high: float | None


@dataclass(frozen=True)
class CapexChart:
    axis: Axis
    bars: tuple[CapexBar, ...]
    currency: str
    of: int = 0  # how many companies have a plan (the chart shows the largest when there are many)
    ROW: ClassVar[int] = 42  # a company's rows: consensus label, plan bar, prior-year bar

    @property
    def height(self) -> int:
        return 36 + self.ROW * len(self.bars)


def capex_bars(rows: Iterable[CapexRow], left: float = 120, right: float = WIDTH - 110) -> CapexChart | None:
    """Capex plan (bar, with its range) against the prior year (thin bar) and consensus (tick), one currency."""
    usable = [(r, r.plan) for r in rows if r.plan is not None]
    currencies = {plan.currency for _, plan in usable}
    if not usable or len(currencies) != 1:
        usable = [(r, plan) for r, plan in usable if plan.currency == "USD"]
        currencies = {"USD"} if usable else set()
    if not usable:
        return None
    total = len(usable)
    if total > CAPEX_MAX_BARS:
        usable = sorted(usable, key=lambda pair: pair[1].number, reverse=True)[:CAPEX_MAX_BARS]
    factor = {r.card.company.ticker: (r.rate or Decimal(1)) for r, _ in usable}
    values = []
    for r, plan in usable:
        values += [v.number for v in (plan, r.prior_year, r.consensus) if v is not None]
        values += [v.number * factor[r.card.company.ticker] for v in (r.guide.low, r.guide.high) if v is not None]
    axis = Axis.fit(values, left, right, include_zero=True, count=4)
    bars = []
    for r, plan in usable:
        f = factor[r.card.company.ticker]
        low = r.guide.low.number * f if r.guide.low else None
        high = r.guide.high.number * f if r.guide.high else None
        bars.append(
            CapexBar(
                r.card.company.ticker,
                plan,
                r.prior_year,
                r.consensus,
                r.guide.low,
                r.guide.high,
                axis.x(plan.number),
                axis.x(r.prior_year.number) if r.prior_year else None,
                axis.x(r.consensus.number) if r.consensus else None,
                axis.x(low) if low is not None else None,
                axis.x(high) if high is not None else None,
            )
        )
    return CapexChart(axis, tuple(bars), currencies.pop(), total)


# --- the season against its history, and blended growth (issue 21) ---------------------------------------------


@dataclass(frozen=True)
class SeasonBar:
    """One season's rate: the season (a calendar quarter), its value, the companies it rests on."""

    quarter: CalendarQuarter
    value: Decimal
    n: int
    current: bool  # this season, not an earlier one
    counted: bool  # an earlier season with enough companies to count in the averages
    x: float


@dataclass(frozen=True)
class AverageLine:
    window: int  # 4 or 20
    value: Decimal
    seasons: int
    x: float


@dataclass(frozen=True)
class BeatRateChart:
    axis: Axis
    bars: tuple[SeasonBar, ...]
    lines: tuple[AverageLine, ...]
    ROW: ClassVar[int] = 20

    @property
    def top(self) -> int:
        """Where the bars start: below the title and a line for each average's label."""
        return 24 + 14 * len(self.lines)

    @property
    def height(self) -> int:
        return self.top + self.ROW * len(self.bars) + 16


def beat_rate_bars(season: Season, key: str, left: float = 130, right: float = WIDTH - 160) -> BeatRateChart | None:
    """The share beating consensus (``key``: 'eps_beat' or 'revenue_beat') in this season and each earlier season
    in the files, newest first, with the averages over the last 4 and 20 seasons as labelled lines."""
    history = season.history
    if history is None or history.empty:
        return None
    measure = MEASURES[key]
    stick = getattr(history, key)
    axis = Axis.fit([Decimal(0), Decimal(100)], left, right, count=4)
    bars = []
    if stick.current is not None:
        bars.append(SeasonBar(season.quarter, stick.current, stick.n, True, False, axis.x(stick.current)))
    for past in history.earlier:
        value, n, _ = measure(past.group, past.rows)
        if value is not None:
            counted = n >= history.min_companies
            bars.append(SeasonBar(past.quarter, value, n, False, counted, axis.x(value)))
    if len(bars) < 2:
        return None
    lines = tuple(
        AverageLine(avg.window, avg.value, avg.seasons, axis.x(avg.value))
        for avg in (stick.last4, stick.last20)
        if avg.value is not None
    )
    return BeatRateChart(axis, tuple(bars), lines)


@dataclass(frozen=True)
class GrowthBar:
    label: str  # a sector, or "All companies" (translated by the template)
    eps: Decimal | None
    revenue: Decimal | None
    eps_x: tuple[float, float] | None  # from, to
    revenue_x: tuple[float, float] | None
    total: bool


@dataclass(frozen=True)
class GrowthChart:
    axis: Axis
    bars: tuple[GrowthBar, ...]
    zero: float
    ROW: ClassVar[int] = 34

    @property
    def height(self) -> int:
        return 30 + self.ROW * len(self.bars) + 14


def growth_bars(season: Season, left: float = 180, right: float = WIDTH - 110) -> GrowthChart | None:
    """Blended EPS and revenue growth by sector and overall, two bars each from zero."""
    rows = [
        (name, eps.growth if eps and eps.companies else None, revenue.growth if revenue and revenue.companies else None)
        for name, eps, revenue in season.growth_rows
    ]
    rows = [row for row in rows if row[1] is not None or row[2] is not None]
    if not rows:
        return None
    values = [v for _, e, r in rows for v in (e, r) if v is not None]
    room = VALUE_LABEL_ROOM + 40 if any(v < 0 for v in values) else 0  # 'Revenue −3.1%' left of a negative bar
    axis = Axis.fit(values, left + room, right, include_zero=True, count=4)
    zero = axis.x(Decimal(0))

    def span(value: Decimal | None) -> tuple[float, float] | None:
        if value is None:
            return None
        x = axis.x(value)
        return (min(zero, x), max(zero, x))

    bars = tuple(
        GrowthBar(name, e, r, span(e), span(r), index == len(rows) - 1) for index, (name, e, r) in enumerate(rows)
    )
    return GrowthChart(axis, bars, zero)


@dataclass(frozen=True)
class ConsensusLine:
    """A consensus's move before the report as a small line: one point per date, the first and last labelled."""

    history: ConsensusHistory
    points: tuple[tuple[float, float], ...]  # x, y of each estimate, oldest first
    width: int
    height: int
    left: float  # where the line starts: the first estimate's label is left of it
    right: float  # where it ends: the last one's label is right of it


def consensus_line(history: ConsensusHistory | None, width: int = 150, height: int = 24) -> ConsensusLine | None:
    """The consensus history as a line between its first and last values' labels; None with a single estimate."""
    if history is None or len(history.points) < 2:
        return None
    left, right = 44.0, float(width - 44)
    first, last = history.points[0].as_of.toordinal(), history.points[-1].as_of.toordinal()
    values = Axis.fit([p.mean.number for p in history.points], height - 5, 5, count=2)
    points = tuple(
        (
            round(left + (p.as_of.toordinal() - first) / max(last - first, 1) * (right - left), 1),
            values.x(p.mean.number),
        )
        for p in history.points
    )
    return ConsensusLine(history, points, width, height, left, right)
