"""The metric registry and the pure functions that judge a figure.

>>> surprise_pct(Decimal("0.45"), Decimal("0.30"))
Decimal('50.0')
>>> surprise_pct(Decimal("0.05"), Decimal("-0.10")) is None   # signs differ: NM
True
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from scorecards.i18n import N_


class Kind(str, Enum):
    MONEY = "money"
    PER_SHARE = "per_share"
    PERCENT = "percent"
    COUNT = "count"
    MULTIPLE = "multiple"


class Direction(str, Enum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better (costs)
    NEUTRAL = "neutral"  # neither: capex, headcount


class Basis(str, Enum):
    REPORTED = "reported"  # GAAP or IFRS, whichever the company reports under
    ADJUSTED = "adjusted"  # non-GAAP / adjusted
    OPERATING = "operating"  # operating data that no accounting standard defines (units, backlog)
    UNSTATED = "unstated"  # the source does not say which basis


class Outcome(str, Enum):
    BEAT = "beat"
    INLINE = "inline"
    MISS = "miss"
    ABOVE = "above"  # neutral metric above consensus
    BELOW = "below"  # neutral metric below consensus
    NONE = "none"  # no consensus to judge against


class Stance(str, Enum):
    """Guidance against consensus (FactSet's rule: midpoint vs the mean estimate)."""

    POSITIVE = "positive"
    INLINE = "inline"
    NEGATIVE = "negative"
    ABOVE = "above"  # neutral metric (capex): above consensus, neither good nor bad
    BELOW = "below"
    NONE = "none"


class Revision(str, Enum):
    """Guidance against the company's own prior guidance."""

    RAISED = "raised"
    MAINTAINED = "maintained"
    LOWERED = "lowered"
    NONE = "none"


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: Kind
    direction: Direction
    basis: Basis = Basis.REPORTED
    headline: bool = False  # counts in the one-line verdict


def _m(
    key: str,
    label: str,
    kind: Kind,
    direction: Direction = Direction.HIGHER,
    basis: Basis = Basis.REPORTED,
    headline: bool = False,
) -> Metric:
    return Metric(key, label, kind, direction, basis, headline)


MONEY, PS, PCT = Kind.MONEY, Kind.PER_SHARE, Kind.PERCENT
ADJ, OPS = Basis.ADJUSTED, Basis.OPERATING
NEUTRAL, LOWER = Direction.NEUTRAL, Direction.LOWER

REGISTRY: dict[str, Metric] = {
    m.key: m
    for m in [
        _m("revenue", N_("Revenue"), MONEY, headline=True),
        _m("revenue_ex_tac", N_("Revenue ex-TAC"), MONEY, basis=ADJ, headline=True),
        _m("revenue_growth", N_("Revenue growth"), PCT),
        _m("gross_profit", N_("Gross profit"), MONEY),
        _m("gross_margin", N_("Gross margin"), PCT),
        _m("gross_margin_adjusted", N_("Gross margin"), PCT, basis=ADJ),
        _m("operating_income", N_("Operating income"), MONEY, headline=True),
        _m("operating_income_adjusted", N_("Operating income"), MONEY, basis=ADJ, headline=True),
        _m("operating_margin", N_("Operating margin"), PCT),
        _m("operating_margin_adjusted", N_("Operating margin"), PCT, basis=ADJ),
        _m("ebitda_adjusted", N_("EBITDA"), MONEY, basis=ADJ),
        _m("net_income", N_("Net income"), MONEY, headline=True),
        _m("net_income_adjusted", N_("Net income"), MONEY, basis=ADJ, headline=True),
        _m("eps_gaap", N_("EPS (diluted)"), PS, headline=True),
        _m("eps_adjusted", N_("EPS (diluted)"), PS, basis=ADJ, headline=True),
        _m("eps_basic", N_("EPS (basic)"), PS),
        _m("operating_expenses", N_("Operating expenses"), MONEY, LOWER),
        _m("operating_cash_flow", N_("Operating cash flow"), MONEY),
        _m("free_cash_flow", N_("Free cash flow"), MONEY, basis=ADJ),
        _m("capex", N_("Capital expenditure"), MONEY, NEUTRAL),
        _m("buyback", N_("Share buyback"), MONEY, NEUTRAL),
        _m("dividend_per_share", N_("Dividend per share"), PS, NEUTRAL),
        _m("backlog", N_("Backlog"), MONEY, basis=OPS),
        _m("remaining_performance_obligations", N_("Remaining performance obligations"), MONEY),
        _m("book_to_bill", N_("Book-to-bill"), Kind.MULTIPLE, basis=OPS),
        _m("headcount", N_("Headcount"), Kind.COUNT, NEUTRAL, basis=OPS),
        _m("units", N_("Units shipped"), Kind.COUNT, basis=OPS),
    ]
}


def surprise(actual: Decimal, consensus: Decimal) -> Decimal:
    """Absolute surprise, exact: actual - consensus."""
    return actual - consensus


def surprise_pct(actual: Decimal, consensus: Decimal) -> Decimal | None:
    """(actual - consensus) / |consensus| x 100, or None (NM) when it is not meaningful.

    NM when the consensus is zero, or when actual and consensus have opposite
    signs (a loss against an expected profit has no meaningful percentage).
    """
    if consensus == 0:
        return None
    if actual != 0 and (actual < 0) != (consensus < 0):
        return None
    return (actual - consensus) / abs(consensus) * 100


def same_at_precision(a: Decimal, b: Decimal, exponent: int) -> bool:
    """Equal when both are rounded to 10**exponent (the coarser written precision)."""
    quantum = Decimal(1).scaleb(exponent)
    return a.quantize(quantum, ROUND_HALF_EVEN) == b.quantize(quantum, ROUND_HALF_EVEN)


def within_band(actual: Decimal, consensus: Decimal, band: Band | None) -> bool:
    if band is None:
        return False
    diff = abs(actual - consensus)
    if band.relative:
        return consensus != 0 and diff / abs(consensus) * 100 <= band.size
    return diff <= band.size


@dataclass(frozen=True)
class Band:
    """An in-line band: within ``size`` (absolute, in units) or ``size`` percent."""

    size: Decimal
    relative: bool = False


def outcome(
    actual: Decimal, consensus: Decimal, direction: Direction, exponent: int, band: Band | None = None
) -> Outcome:
    """Beat / in line / miss by the metric's direction.

    ``exponent`` is the power of ten of the coarser of the two figures' last
    written digits: 1.95 against 1.97 compares to the cent (exponent -2).
    Neutral metrics are "above" or "below" consensus, never beat or miss.
    """
    if same_at_precision(actual, consensus, exponent) or within_band(actual, consensus, band):
        return Outcome.INLINE
    above = actual > consensus
    if direction is Direction.NEUTRAL:
        return Outcome.ABOVE if above else Outcome.BELOW
    if direction is Direction.LOWER:
        above = not above
    return Outcome.BEAT if above else Outcome.MISS


def midpoint(low: Decimal, high: Decimal) -> Decimal:
    """Midpoint of a guidance range, exact: (3.1B + 3.3B) / 2 = 3.2B."""
    return (low + high) / 2


def stance(point: Decimal, consensus: Decimal, direction: Direction, exponent: int, band: Band | None = None) -> Stance:
    """Guidance point (or midpoint) against consensus, FactSet's rule."""
    judged = outcome(point, consensus, direction, exponent, band)
    return {
        Outcome.BEAT: Stance.POSITIVE,
        Outcome.MISS: Stance.NEGATIVE,
        Outcome.INLINE: Stance.INLINE,
        Outcome.ABOVE: Stance.ABOVE,
        Outcome.BELOW: Stance.BELOW,
    }[judged]


def revision(point: Decimal, prior: Decimal, exponent: int) -> Revision:
    """New guidance (point or midpoint) against the prior guidance."""
    if same_at_precision(point, prior, exponent):
        return Revision.MAINTAINED
    return Revision.RAISED if point > prior else Revision.LOWERED


def growth_pct(current: Decimal, prior: Decimal) -> Decimal | None:
    """Growth from a prior-period value, in percent; None when the base is zero or negative."""
    if prior <= 0:
        return None
    return (current - prior) / prior * 100
