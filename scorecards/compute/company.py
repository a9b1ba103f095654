"""Compute: from a validated input to the immutable scorecard the templates show.

Every derived figure (surprise, outcome, guidance stance, growth, tally,
verdict) is worked out here once, so the company page, the index and any later
summary see the same numbers. Nothing here builds display strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from scorecards.i18n import N_
from scorecards.load.validate import kpi_metric, metric_for, placeholders
from scorecards.model.amounts import Amount, Unit
from scorecards.model.metrics import (
    Basis,
    Direction,
    Kind,
    Metric,
    Outcome,
    Revision,
    Stance,
    growth_pct,
    midpoint,
    outcome,
    revision,
    stance,
    surprise_pct,
)
from scorecards.model.schema import (
    AlternativeIn,
    FigureIn,
    GuidanceIn,
    KpiIn,
    QuarterIn,
    ScorecardIn,
    SourceIn,
)
from scorecards.model.scorecard import (
    Alternative,
    Citation,
    Company,
    ConsensusHistory,
    ConsensusPoint,
    Figure,
    GuidanceCall,
    Guide,
    Highlight,
    Kpi,
    Quarter,
    Quote,
    Reaction,
    Scorecard,
    Segment,
    Tally,
    Value,
    Verdict,
)
from scorecards.model.text import Text
from scorecards.settings import Settings
from scorecards.sources.consensus import Estimate, standardised_surprise
from scorecards.sources.evidence import Evidence

# --- building ---------------------------------------------------------------------------------


class _Citer:
    """Numbers sources in order of first use on the page."""

    def __init__(self, sources: dict[str, SourceIn]):
        self.sources = sources
        self.numbers: dict[str, int] = {}

    def __call__(self, *ids: str | None) -> tuple[int, ...]:
        out: list[int] = []
        for source_id in ids:
            if source_id is None:
                continue
            number = self.numbers.setdefault(source_id, len(self.numbers) + 1)
            if number not in out:
                out.append(number)
        return tuple(out)

    def citations(self) -> tuple[Citation, ...]:
        out = []
        for sid, number in sorted(self.numbers.items(), key=lambda item: item[1]):
            s = self.sources[sid]
            title = s.title
            if s.language and len(title.versions) == 1:  # a title written plainly is in the source's language
                title = Text(str(title), s.language)
            out.append(Citation(number, sid, s.publisher, title, s.date, s.url, s.language))
        return tuple(out)


def build_scorecard(slug: str, card: ScorecardIn, settings: Settings, evidence: Evidence | None = None) -> Scorecard:
    """The scorecard of one validated company file (``card``: as ``evidence`` filled it in, where it was gathered),
    with what the other sources showed: verified quotes, the call's topics, standardised surprises."""
    company = Company(
        card.company.name,
        card.company.ticker,
        card.company.exchange,
        card.company.sector.value,
        card.company.industry,
        card.company.currency,
        card.company.fiscal_year_end,
        card.company.accounting,
        dict(card.company.names),
    )
    cite = _Citer(dict(card.sources))
    found = evidence if evidence is not None else Evidence(card, [])
    quarters = tuple(_quarter(i, q, company, settings, cite, found) for i, q in enumerate(card.quarters))
    # a quarter still to report has a scheduled date, not a date the data is as of
    dates = [q.reported for q in quarters if q.reported and not q.to_report] + [
        c.date for c in cite.citations() if c.date
    ]
    dates += [q.price_reaction.end for q in quarters if q.price_reaction]  # the last close a reaction rests on
    left = tuple(".".join(str(part) for part in loc) for loc, _ in placeholders(card))
    return Scorecard(slug, company, quarters, cite.citations(), max(dates) if dates else None, left)


def _basis_label(metric: Metric, company: Company) -> str:
    """The basis as an English label; the page shows it in the reader's language (``label`` filter)."""
    if metric.basis is Basis.ADJUSTED:
        return N_("Non-GAAP") if company.accounting == "US GAAP" else N_("Adjusted")
    if metric.basis is Basis.OPERATING:
        return N_("Operating")
    if metric.basis is Basis.UNSTATED:
        return N_("Not stated")
    return N_("GAAP") if company.accounting == "US GAAP" else company.accounting


def _value(amount: Amount | None, metric_kind: Kind, company: Company) -> Value | None:
    return None if amount is None else Value(amount, metric_kind, company.currency)


def _pct(amount: Amount | None, company: Company) -> Value | None:
    return None if amount is None else Value(amount, Kind.PERCENT, company.currency)


def _difference(a: Value, b: Value, *, unit: Unit | None = None) -> Value:
    """a - b, exact, written in a's scale; differences of percentages are percentage points."""
    diff = a.amount.with_value(a.number - b.number)
    if a.amount.unit is Unit.PERCENT or unit is Unit.POINTS:
        diff = Amount(diff.mantissa, Unit.POINTS, "", "", "")
    kind = Kind.PERCENT if a.kind is Kind.PERCENT else a.kind
    return Value(diff, kind, a.currency, derived=True)


def _coarser_exponent(a: Amount, b: Amount) -> int:
    return max(a.exponent, b.exponent)


def _alternatives(
    items: Iterable[AlternativeIn], primary: dict[str, Value | None], kind: Kind, company: Company, cite: _Citer
) -> tuple[Alternative, ...]:
    out: list[Alternative] = []
    for alt in items:
        for name in ("actual", "consensus", "prior_year", "value"):
            amount = getattr(alt, name)
            if amount is None:
                continue
            value = Value(amount, kind, company.currency)
            ours = primary.get(name)
            diff = _difference(value, ours) if ours is not None else None
            out.append(Alternative(name, value, ours, diff, cite(alt.source)[0], alt.note))
    return tuple(out)


def _figure(
    key: str,
    fig: FigureIn,
    default: str | None,
    company: Company,
    settings: Settings,
    cite: _Citer,
    spread: Estimate | None = None,
    history: tuple[Estimate, ...] = (),
) -> Figure:
    metric = metric_for(key, fig)
    assert metric is not None  # validation guarantees it
    assert not isinstance(fig.actual, str)  # `actual: filing` was taken from the filing, or the file has errors
    actual = _value(fig.actual, metric.kind, company)
    consensus = _value(fig.consensus, metric.kind, company)
    prior_year = _value(fig.prior_year, metric.kind, company)
    surprise_value = None
    pct = None
    nm = False
    result = Outcome.NONE
    if actual is not None and consensus is not None:
        surprise_value = _difference(actual, consensus)
        if metric.kind is not Kind.PERCENT:
            pct = surprise_pct(actual.number, consensus.number)
            nm = pct is None
        exponent = _coarser_exponent(actual.amount, consensus.amount)
        result = outcome(
            actual.number, consensus.number, metric.direction, exponent, settings.band_for(metric.key, metric.kind)
        )
    growth = _pct(fig.growth_yoy, company)
    computed = False
    if growth is None and actual is not None and prior_year is not None and metric.kind is not Kind.PERCENT:
        rate = growth_pct(actual.number, prior_year.number)
        if rate is not None:
            growth = Value(Amount(rate, Unit.PERCENT), Kind.PERCENT, company.currency, derived=True)
            computed = True
    change_yoy = _pct(fig.change_yoy, company)
    if change_yoy is None and actual is not None and prior_year is not None and metric.kind is Kind.PERCENT:
        change_yoy = _difference(actual, prior_year)
    cites = cite(fig.source or default, fig.consensus_source)
    alternatives = _alternatives(
        fig.also, {"actual": actual, "consensus": consensus, "prior_year": prior_year}, metric.kind, company, cite
    )
    return Figure(
        metric,
        _basis_label(metric, company),
        actual,
        consensus,
        surprise_value,
        pct,
        nm,
        result,
        prior_year,
        growth,
        computed,
        _pct(fig.growth_qoq, company),
        change_yoy,
        _pct(fig.change_qoq, company),
        cites,
        alternatives,
        fig.note,
        _standardised(actual, consensus, spread),
        STATED_OUTCOMES[fig.outcome] if fig.outcome is not None and result is Outcome.NONE else Outcome.NONE,
        _consensus_history(history, metric.kind, company, settings),
    )


def _consensus_history(
    rows: tuple[Estimate, ...], kind: Kind, company: Company, settings: Settings
) -> ConsensusHistory | None:
    """The consensus files' rows behind a figure's consensus, as the scorecard shows them (None without any)."""
    if not rows:
        return None
    last = rows[-1]
    points = tuple(ConsensusPoint(e.as_of, Value(e.mean, kind, company.currency), e.estimates) for e in rows)
    thin = last.estimates is None or last.estimates < settings.consensus_thin_estimates
    return ConsensusHistory(
        last.provider, points, _value(last.high, kind, company), _value(last.low, kind, company), thin
    )


STATED_OUTCOMES = {
    "beat": Outcome.BEAT,
    "inline": Outcome.INLINE,
    "in line": Outcome.INLINE,
    "miss": Outcome.MISS,
    "above": Outcome.ABOVE,
    "below": Outcome.BELOW,
}


def stated_stance(word: str, direction: Direction) -> Stance:
    """Guidance the source calls above, in line with or below expectations, judged by the metric's direction."""
    if word in ("inline", "in line"):
        return Stance.INLINE
    if direction is Direction.NEUTRAL:
        return Stance.ABOVE if word == "above" else Stance.BELOW
    good = (word == "above") == (direction is Direction.HIGHER)
    return Stance.POSITIVE if good else Stance.NEGATIVE


def _standardised(actual: Value | None, consensus: Value | None, spread: Estimate | None) -> Decimal | None:
    """The surprise in standard deviations of the estimates, where the consensus files give their spread."""
    if spread is None or spread.std_dev is None or actual is None or consensus is None:
        return None
    return standardised_surprise(actual.number, spread.mean.value, spread.std_dev.value)


def _kpi(key: str, kpi: KpiIn, default: str | None, company: Company, cite: _Citer) -> Kpi:
    metric = kpi_metric(key, kpi)
    value = Value(kpi.value, metric.kind, company.currency)
    return Kpi(
        metric,
        value,
        _pct(kpi.growth_yoy, company),
        _pct(kpi.growth_qoq, company),
        _pct(kpi.change_yoy, company),
        cite(kpi.source or default),
        _alternatives(kpi.also, {"value": value}, metric.kind, company, cite),
        kpi.note,
    )


def _guide(guide: GuidanceIn, default: str | None, company: Company, settings: Settings, cite: _Citer) -> Guide:
    metric = metric_for(guide.metric, guide)
    assert metric is not None
    kind = metric.kind

    def val(amount: Amount | None) -> Value | None:
        return _value(amount, kind, company)

    def middle(point: Amount | None, low: Amount | None, high: Amount | None) -> Value | None:
        if point is not None:
            return val(point)
        if low is None or high is None:
            return None
        mid = low.with_value(midpoint(low.value, high.value), scale=high.scale)
        return Value(Amount(mid.mantissa, low.unit, mid.scale, "", ""), kind, company.currency, derived=True)

    mid = middle(guide.value, guide.low, guide.high)
    consensus = val(guide.consensus)
    versus = versus_pct = None
    judged = Stance.NONE
    if mid is not None and consensus is not None:
        versus = _difference(mid, consensus)
        if kind is not Kind.PERCENT:
            versus_pct = surprise_pct(mid.number, consensus.number)
        written = [a for a in (guide.value, guide.low, guide.high) if a is not None]
        exponent = max(*(a.exponent for a in written), consensus.amount.exponent)
        judged = stance(
            mid.number, consensus.number, metric.direction, exponent, settings.band_for(metric.key, metric.kind)
        )
    prior_mid = middle(guide.prior, guide.prior_low, guide.prior_high)
    revised = Revision.NONE
    if mid is not None and prior_mid is not None:
        written = [
            a
            for a in (guide.value, guide.low, guide.high, guide.prior, guide.prior_low, guide.prior_high)
            if a is not None
        ]
        revised = revision(mid.number, prior_mid.number, max(a.exponent for a in written))
    prior_year = val(guide.prior_year)
    change = None
    if mid is not None and prior_year is not None and kind is not Kind.PERCENT:
        rate = growth_pct(mid.number, prior_year.number)
        if rate is not None:
            change = Value(Amount(rate, Unit.PERCENT), Kind.PERCENT, company.currency, derived=True)
    cites = cite(guide.source or default, guide.consensus_source)
    alternatives = _alternatives(
        guide.also, {"value": mid, "consensus": consensus, "prior_year": prior_year}, kind, company, cite
    )
    return Guide(
        metric,
        _basis_label(metric, company),
        guide.period,
        val(guide.value),
        val(guide.low),
        val(guide.high),
        mid,
        consensus,
        versus,
        versus_pct,
        judged,
        val(guide.prior),
        val(guide.prior_low),
        val(guide.prior_high),
        prior_mid,
        revised,
        prior_year,
        change,
        cites,
        alternatives,
        guide.note,
        stated_stance(guide.outcome, metric.direction)
        if guide.outcome is not None and judged is Stance.NONE
        else Stance.NONE,
    )


def _tally(figures: Iterable[Figure]) -> Tally:
    """Every outcome, those judged against consensus and those the source states (counted in the totals too)."""
    counts = dict.fromkeys(Outcome, 0)
    stated = dict.fromkeys(Outcome, 0)
    for fig in figures:
        counts[fig.result] += 1
        if fig.per_source:
            stated[fig.result] += 1
    order = (Outcome.BEAT, Outcome.INLINE, Outcome.MISS, Outcome.ABOVE, Outcome.BELOW)
    return Tally(*(counts[o] for o in order), *(stated[o] for o in order))


def _verdict(figures: tuple[Figure, ...], guidance: tuple[Guide, ...]) -> Verdict:
    headline = [f for f in figures if f.metric.headline and f.result is not Outcome.NONE]
    if not headline:
        headline = [f for f in figures if f.result is not Outcome.NONE]

    def having(which: Outcome) -> tuple[Figure, ...]:
        return tuple(f for f in headline if f.result is which)

    periods: dict[str, list[Guide]] = {}
    for guide in guidance:
        if guide.result is not Stance.NONE:
            periods.setdefault(guide.period, []).append(guide)
    calls = tuple(GuidanceCall(period, tuple(guides)) for period, guides in periods.items())
    return Verdict(
        having(Outcome.BEAT),
        having(Outcome.INLINE),
        having(Outcome.MISS),
        having(Outcome.ABOVE),
        having(Outcome.BELOW),
        calls,
    )


def _quarter(
    index: int, q: QuarterIn, company: Company, settings: Settings, cite: _Citer, evidence: Evidence
) -> Quarter:
    default = q.source
    figures = tuple(
        _figure(
            k,
            f,
            default,
            company,
            settings,
            cite,
            evidence.spreads.get((index, k)),
            evidence.histories.get((index, k), ()),
        )
        for k, f in q.results.items()
    )
    segments = tuple(
        Segment(
            s.name,
            tuple(_figure(k, f, s.source or default, company, settings, cite) for k, f in s.results.items()),
            tuple(_kpi(k, v, s.source or default, company, cite) for k, v in s.kpis.items()),
        )
        for s in q.segments
    )
    guidance = tuple(_guide(g, default, company, settings, cite) for g in q.guidance)
    kpis = tuple(_kpi(k, v, default, company, cite) for k, v in q.kpis.items())
    reaction = None
    if q.reaction is not None:
        reaction = Reaction(
            q.reaction.window,
            Value(q.reaction.change, Kind.PERCENT, company.currency),
            cite(q.reaction.source or default),
            q.reaction.note,
        )
    highlights: tuple[Highlight, ...] = ()
    quotes: tuple[Quote, ...] = ()
    if q.call is not None:
        highlights = tuple(Highlight(h.text, cite(h.source or default)) for h in q.call.highlights)
        quotes = tuple(
            Quote(x.speaker, x.role, x.text, cite(x.source or default), (index, k) in evidence.verified)
            for k, x in enumerate(q.call.quotes)
        )
    notes = tuple(Highlight(n.text, cite(n.source or default)) for n in q.notes)
    return Quarter(
        q.period,
        q.period_end,
        q.reported,
        q.timing,
        figures,
        segments,
        guidance,
        kpis,
        reaction,
        highlights,
        quotes,
        notes,
        _tally(figures),
        _verdict(figures, guidance),
        evidence.topics.get(index, ()),
        evidence.transcripts.get(index),
        tuple(replace(check, cites=cite(*sources)) for check, sources in evidence.checks.get(index, ())),
        evidence.reactions.get(index),
    )
