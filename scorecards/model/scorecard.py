"""The computed scorecard: immutable objects the templates, the season and the data files read.

Made once per company by scorecards.compute.company; nothing here builds display strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from scorecards.model.amounts import Amount
from scorecards.model.metrics import (
    Kind,
    Metric,
    Outcome,
    Revision,
    Stance,
)
from scorecards.model.schema import (
    Timing,
    Window,
)


@dataclass(frozen=True)
class Value:
    """An amount together with what it measures, so a filter can show it."""

    amount: Amount
    kind: Kind
    currency: str
    derived: bool = False  # computed here, not written by the user

    @property
    def number(self) -> Decimal:
        return self.amount.value


@dataclass(frozen=True)
class Citation:
    number: int
    id: str
    publisher: str
    title: str
    date: dt.date | None
    url: str | None
    language: str | None


@dataclass(frozen=True)
class Alternative:
    """What another source reports for the same figure, and how far it is from ours."""

    field: str
    value: Value
    primary: Value | None
    difference: Value | None
    cite: int
    note: str | None


@dataclass(frozen=True)
class ConsensusPoint:
    """The consensus as of one date (a row of the consensus files)."""

    as_of: dt.date
    mean: Value
    estimates: int | None


@dataclass(frozen=True)
class ConsensusHistory:
    """How the consensus a figure is judged against moved before the report: one provider's rows for the company,
    period and metric, dated no later than the report, oldest first; the last is the one judged against."""

    provider: str
    points: tuple[ConsensusPoint, ...]
    high: Value | None  # of the last
    low: Value | None
    thin: bool  # fewer estimates than the setting consensus_thin_estimates (or their number unknown)

    @property
    def first(self) -> ConsensusPoint:
        return self.points[0]

    @property
    def last(self) -> ConsensusPoint:
        return self.points[-1]

    @property
    def estimates(self) -> int | None:
        return self.last.estimates

    @property
    def revision_pct(self) -> Decimal | None:
        """The move from the first estimate to the one judged against, in percent of the first; None with one
        estimate or a first of zero."""
        first, last = self.first.mean.number, self.last.mean.number
        if len(self.points) < 2 or first == 0:
            return None
        return (last - first) / abs(first) * 100


@dataclass(frozen=True)
class Figure:
    metric: Metric
    basis_label: str
    actual: Value | None
    consensus: Value | None
    surprise: Value | None
    surprise_pct: Decimal | None
    surprise_nm: bool
    outcome: Outcome
    prior_year: Value | None
    growth_yoy: Value | None
    growth_computed: bool
    growth_qoq: Value | None
    change_yoy: Value | None
    change_qoq: Value | None
    cites: tuple[int, ...]
    alternatives: tuple[Alternative, ...]
    note: str | None
    standardised_surprise: Decimal | None = None  # (actual - consensus) / std dev of the estimates (consensus files)
    stated: Outcome = Outcome.NONE  # the result as the source states it in words, where it gives no consensus figure
    consensus_history: ConsensusHistory | None = None  # the consensus files' rows behind the consensus

    @property
    def result(self) -> Outcome:
        """The outcome judged against consensus, else the one the source states."""
        return self.outcome if self.outcome is not Outcome.NONE else self.stated

    @property
    def per_source(self) -> bool:
        """Whether the result is the source's word, not a comparison with a consensus figure."""
        return self.outcome is Outcome.NONE and self.stated is not Outcome.NONE


@dataclass(frozen=True)
class FilingCheck:
    """A typed figure checked against the company's SEC filing: both values, the difference, and the filing.

    ``derived``: the filing gives the quarter only within a year to date, so its figure is that
    (``form``, ``accession``) less the year to date before it (``less_form`` ...): Q4 = 10-K − nine months."""

    metric: Metric
    typed: Value
    filed: Value  # exactly as filed
    difference: Value  # typed - filed
    agrees: bool  # at the precision typed
    form: str
    accession: str
    filed_on: dt.date
    url: str
    derived: bool = False
    less_form: str | None = None
    less_accession: str | None = None
    less_filed_on: dt.date | None = None
    amended: bool = False  # an amendment (10-K/A, 10-Q/A) changed the filed figure
    cites: tuple[int, ...] = ()


@dataclass(frozen=True)
class Kpi:
    metric: Metric
    value: Value
    growth_yoy: Value | None
    growth_qoq: Value | None
    change_yoy: Value | None
    cites: tuple[int, ...]
    alternatives: tuple[Alternative, ...]
    note: str | None


@dataclass(frozen=True)
class Guide:
    metric: Metric
    basis_label: str
    period: str
    point: Value | None
    low: Value | None
    high: Value | None
    midpoint: Value | None  # the point, or the middle of the range
    consensus: Value | None
    versus: Value | None  # midpoint - consensus
    versus_pct: Decimal | None
    stance: Stance
    prior: Value | None
    prior_low: Value | None
    prior_high: Value | None
    prior_midpoint: Value | None
    revision: Revision
    prior_year: Value | None  # the metric a year before, e.g. last year's actual capex
    change: Value | None  # midpoint against prior_year, in percent
    cites: tuple[int, ...]
    alternatives: tuple[Alternative, ...]
    note: str | None
    stated: Stance = Stance.NONE  # against expectations as the source states it, where it gives no consensus figure

    @property
    def result(self) -> Stance:
        """The stance judged against consensus, else the one the source states."""
        return self.stance if self.stance is not Stance.NONE else self.stated

    @property
    def per_source(self) -> bool:
        return self.stance is Stance.NONE and self.stated is not Stance.NONE


@dataclass(frozen=True)
class Segment:
    name: str
    figures: tuple[Figure, ...]
    kpis: tuple[Kpi, ...]


@dataclass(frozen=True)
class Reaction:
    window: Window
    change: Value
    cites: tuple[int, ...]
    note: str | None


@dataclass(frozen=True)
class PriceReaction:
    """The reaction measured from closing prices (inputs/prices/): over the standard window around the first
    trading day that can react (``day0``), raw and against the market index, and the one-day move."""

    day0: dt.date
    start: dt.date  # the close the standard window starts from
    end: dt.date  # and the one it ends on
    change: Decimal  # percent
    before: int  # the window: closes before day 0, and sessions reacting (settings reaction_sessions_*)
    after: int
    one_day: Decimal | None  # the close before day 0 to day 0's close, percent
    index: str  # the market index's ticker (setting price_index)
    index_change: Decimal | None  # its move between the same closes; None without its file or those dates
    check: str  # the typed reaction against the prices: "agrees", "differs", or "" (none comparable)
    path: str  # the price file

    @property
    def relative(self) -> Decimal | None:
        """The move against the index, in percentage points."""
        return None if self.index_change is None else self.change - self.index_change


@dataclass(frozen=True)
class Highlight:
    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Quote:
    speaker: str
    role: str | None
    text: str
    cites: tuple[int, ...]
    verified: bool = False  # found, as said by this speaker, in the call transcript


@dataclass(frozen=True)
class TopicCount:
    """How often a call touched a topic, counted in its transcript."""

    topic: str
    mentions: int


@dataclass(frozen=True)
class Tally:
    """How many figures beat, were in line or missed: against a consensus figure, or per source (``stated_*``, the
    source's words without a figure), which the totals include."""

    beat: int = 0
    inline: int = 0
    miss: int = 0
    above: int = 0
    below: int = 0
    stated_beat: int = 0
    stated_inline: int = 0
    stated_miss: int = 0
    stated_above: int = 0
    stated_below: int = 0

    @property
    def judged(self) -> int:
        return self.beat + self.inline + self.miss

    @property
    def stated(self) -> int:
        return self.stated_beat + self.stated_inline + self.stated_miss + self.stated_above + self.stated_below


@dataclass(frozen=True)
class GuidanceCall:
    """One period's guidance against consensus, for the verdict."""

    period: str
    guides: tuple[Guide, ...]  # the period's guidance judged against consensus, or stated so by the source


@dataclass(frozen=True)
class Verdict:
    """The one-line verdict, as data: headline figures by outcome (judged against consensus, or per source: see
    ``Figure.per_source``), and guidance calls."""

    beat: tuple[Figure, ...]
    inline: tuple[Figure, ...]
    miss: tuple[Figure, ...]
    above: tuple[Figure, ...]
    below: tuple[Figure, ...]
    guidance: tuple[GuidanceCall, ...]

    @property
    def empty(self) -> bool:
        return not (self.beat or self.inline or self.miss or self.above or self.below or self.guidance)


@dataclass(frozen=True)
class Disagreement:
    """A figure another source reports differently: both are kept, and shown.

    What the figure is, as data (the page words it in the reader's language): its metric label,
    and the segment it belongs to or the period it guides.
    """

    label: str
    cites: tuple[int, ...]
    alternative: Alternative
    segment: str | None = None
    guidance_period: str | None = None


@dataclass(frozen=True)
class Quarter:
    period: str
    period_end: dt.date
    reported: dt.date | None
    timing: Timing | None
    figures: tuple[Figure, ...]
    segments: tuple[Segment, ...]
    guidance: tuple[Guide, ...]
    kpis: tuple[Kpi, ...]
    reaction: Reaction | None
    highlights: tuple[Highlight, ...]
    quotes: tuple[Quote, ...]
    notes: tuple[Highlight, ...]
    tally: Tally
    verdict: Verdict
    topics: tuple[TopicCount, ...] = ()  # from the call transcript, in the order of the topics setting
    transcript: str | None = None  # the transcript quotes were checked against
    filing_checks: tuple[FilingCheck, ...] = ()  # typed figures checked against the SEC filing
    price_reaction: PriceReaction | None = None  # measured from the price files, where they cover the report

    @property
    def to_report(self) -> bool:
        """Scheduled, not yet reported: a ``reported:`` date and results with a consensus, none with an actual.

        Such a quarter is not a failure to report: the season counts it as still to report, and its blended
        growth takes the consensus where the actual is still to come.
        """
        return self.reported is not None and scheduled(self.figures)

    @property
    def disagreements(self) -> tuple[Disagreement, ...]:
        rows: list[Disagreement] = []
        items: list[tuple[str | None, str | None, Figure | Kpi | Guide]] = [(None, None, f) for f in self.figures]
        for seg in self.segments:
            items += [(seg.name, None, f) for f in seg.figures]
            items += [(seg.name, None, k) for k in seg.kpis]
        items += [(None, g.period, g) for g in self.guidance]
        items += [(None, None, k) for k in self.kpis]
        for segment, period, item in items:
            rows += [Disagreement(item.metric.label, item.cites, alt, segment, period) for alt in item.alternatives]
        return tuple(rows)


@dataclass(frozen=True)
class Company:
    name: str
    ticker: str
    exchange: str | None
    sector: str
    industry: str | None
    currency: str
    fiscal_year_end: str
    accounting: str
    names: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def scheduled(figures: tuple[Figure, ...]) -> bool:
    """Results with a consensus and no actual yet: the quarter is still to report."""
    return bool(figures) and all(f.actual is None for f in figures) and any(f.consensus is not None for f in figures)


def headline_eps(quarter: Quarter) -> Figure | None:
    """The EPS a track record or a season counts: adjusted where judged, else GAAP/IFRS; else any EPS shown."""
    eps = [f for f in quarter.figures if f.metric.kind is Kind.PER_SHARE and f.metric.key.startswith("eps")]
    judged = [f for f in eps if f.outcome is not Outcome.NONE]
    for pool in (judged, eps):
        for key in ("eps_adjusted", "eps_gaap"):
            for fig in pool:
                if fig.metric.key == key:
                    return fig
        if pool:
            return pool[0]
    return None


def headline_revenue(quarter: Quarter) -> Figure | None:
    return next((f for f in quarter.figures if f.metric.key == "revenue"), None)


def headline_outcome(quarter: Quarter) -> Outcome:
    """A quarter's result for a track record: its EPS outcome, else its revenue outcome."""
    for fig in (headline_eps(quarter), headline_revenue(quarter)):
        if fig is not None and fig.outcome is not Outcome.NONE:
            return fig.outcome
    return Outcome.NONE


@dataclass(frozen=True)
class TrackRecord:
    """The trend over the quarters in the file: beat streak and beat rate (EPS, else revenue)."""

    streak: int  # consecutive latest quarters that beat
    beats: int
    judged: int  # quarters with a consensus to judge against

    @property
    def rate(self) -> Decimal | None:
        return None if self.judged == 0 else Decimal(self.beats) / Decimal(self.judged) * 100


@dataclass(frozen=True)
class Scorecard:
    slug: str
    company: Company
    quarters: tuple[Quarter, ...]
    citations: tuple[Citation, ...]
    data_date: dt.date | None
    placeholders: tuple[str, ...] = ()  # fields still holding what `scorecard new` wrote (see load/validate.py)

    @property
    def latest(self) -> Quarter | None:
        return self.quarters[0] if self.quarters else None

    @property
    def track_record(self) -> TrackRecord:
        outcomes = [headline_outcome(q) for q in self.quarters]
        judged = [o for o in outcomes if o is not Outcome.NONE]
        streak = 0
        for o in judged:
            if o is not Outcome.BEAT:
                break
            streak += 1
        return TrackRecord(streak, sum(1 for o in judged if o is Outcome.BEAT), len(judged))
