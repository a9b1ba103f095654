"""Formatting for templates: every display string is made here, in one place.

>>> from decimal import Decimal
>>> from scorecards.amounts import parse_amount
>>> from scorecards.compute import Value
>>> from scorecards.metrics import Kind
>>> amount(Value(parse_amount("213.39B"), Kind.MONEY, "USD"))
'$213.39B'
>>> amount(Value(parse_amount("0.30"), Kind.PER_SHARE, "USD"))
'$0.30'
>>> amount(Value(parse_amount("-7.4pp"), Kind.PERCENT, "USD"), signed=True)
'−7.4 pp'
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_decimal, get_currency_symbol

from .amounts import Unit
from .compute import Figure, Guide, Quarter, Value, Verdict
from .metrics import Basis, Direction, Kind, Outcome, Revision, Stance

MINUS = "\u2212"
LOCALE = "en"
DERIVED_PLACES = 1  # places shown for percentages this tool computes (surprise %, growth)


def number(value: Decimal, places: int | None = None, *, signed: bool = False) -> str:
    """Group digits; keep exactly ``places`` decimals (default: as many as the Decimal has)."""
    if places is None:
        exponent = value.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    else:
        value = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    text = format_decimal(abs(value), format=pattern, locale=LOCALE, decimal_quantization=False)
    if value < 0 and any(c not in "0.," for c in text):
        return MINUS + text
    if signed and value > 0:
        return "+" + text
    return text


def currency_symbol(code: str) -> str:
    symbol = get_currency_symbol(code, locale=LOCALE)
    return symbol if symbol != code else code + " "


def amount(value: Value | None, signed: bool = False) -> str:
    """An amount as written: '$213.39B', '¥515.0B', '$0.30', '35.9%', '−7.4 pp', '2.5×'."""
    if value is None:
        return "—"
    a = value.amount
    if value.derived and a.unit is Unit.PERCENT:
        digits = number(a.mantissa, DERIVED_PLACES, signed=signed)
    else:
        digits = number(a.mantissa, signed=signed)
    sign = ""
    if digits[0] in (MINUS, "+"):
        sign, digits = digits[0], digits[1:]
    qualifier = {"~": "~", ">": "> ", "<": "< "}.get(a.qualifier, "")
    if a.unit is Unit.PERCENT:
        body = f"{digits}%"
    elif a.unit is Unit.POINTS:
        body = f"{digits} {'bp' if a.scale == 'bp' else 'pp'}"
    elif a.unit is Unit.MULTIPLE:
        body = f"{digits}×"
    elif value.kind in (Kind.MONEY, Kind.PER_SHARE):
        body = f"{currency_symbol(value.currency)}{digits}{a.scale}"
    else:
        body = f"{digits}{a.scale}"
    return f"{qualifier}{sign}{body}"


def percent(value: Decimal | None, signed: bool = True, places: int = DERIVED_PLACES) -> str:
    """A computed percentage such as a surprise: '+21.5%'; '—' when there is none."""
    if value is None:
        return "—"
    return number(value, places, signed=signed) + "%"


OUTCOME_WORDS = {
    Outcome.BEAT: ("▲", "Beat"), Outcome.INLINE: ("●", "In line"), Outcome.MISS: ("▼", "Miss"),
    Outcome.ABOVE: ("△", "Above"), Outcome.BELOW: ("▽", "Below"), Outcome.NONE: ("", "—"),
}
STANCE_WORDS = {
    Stance.POSITIVE: ("▲", "Above consensus"), Stance.INLINE: ("●", "In line"),
    Stance.NEGATIVE: ("▼", "Below consensus"), Stance.ABOVE: ("△", "Above consensus"),
    Stance.BELOW: ("▽", "Below consensus"), Stance.NONE: ("", "—"),
}
REVISION_WORDS = {
    Revision.RAISED: ("▲", "Raised"), Revision.MAINTAINED: ("●", "Maintained"),
    Revision.LOWERED: ("▼", "Lowered"), Revision.NONE: ("", "—"),
}
WINDOW_WORDS = {
    "after-hours": "after hours", "pre-market": "pre-market", "1-day": "over one day",
    "2-day": "over two days around the report", "since-report": "since the report",
    "from-recent-high": "from its recent high",
}
TIMING_WORDS = {"before-open": "before the open", "during-market": "during trading", "after-close": "after the close"}


def outcome_symbol(value: Outcome | Stance | Revision) -> str:
    return _words(value)[0]


def outcome_word(value: Outcome | Stance | Revision) -> str:
    return _words(value)[1]


def _words(value: Outcome | Stance | Revision) -> tuple[str, str]:
    if isinstance(value, Outcome):
        return OUTCOME_WORDS[value]
    if isinstance(value, Stance):
        return STANCE_WORDS[value]
    return REVISION_WORDS[value]


def date(value: dt.date | None, missing: str = "—") -> str:
    """'5 Feb 2026'; ``missing`` when unknown."""
    if value is None:
        return missing
    return f"{value.day} {value:%b %Y}"


def window(value: Any) -> str:
    return WINDOW_WORDS[getattr(value, "value", value)]


def timing(value: Any) -> str:
    return TIMING_WORDS[getattr(value, "value", value)]


def metric_name(fig: Figure | Guide) -> str:
    """The label a verdict uses: 'revenue', 'EPS (non-GAAP)'."""
    label = fig.metric.label.replace(" (diluted)", "")
    if not label[:2].isupper():
        label = label[0].lower() + label[1:]
    if fig.metric.kind is Kind.PER_SHARE or fig.metric.basis is Basis.ADJUSTED:
        basis = fig.basis_label
        label = f"{label} ({basis if basis.isupper() else basis[0].lower() + basis[1:]})"
    return label


def join_words(words: list[str]) -> str:
    """['a'] -> 'a'; ['a', 'b', 'c'] -> 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def verdict(quarter: Quarter) -> str:
    """'Beat on revenue and EPS (non-GAAP); FY2026 guidance above consensus'."""
    v: Verdict = quarter.verdict
    parts: list[str] = []
    for figures, words in ((v.beat, "beat on"), (v.inline, "in line on"), (v.miss, "missed on")):
        if figures:
            parts.append(f"{words} {join_words([metric_name(f) for f in figures])}")
    for figures, words in ((v.above, "above"), (v.below, "below")):
        if figures:
            parts.append(f"{join_words([metric_name(f) for f in figures])} {words} consensus")
    for call in v.guidance:
        judged = [g for g in call.guides if g.metric.direction is not Direction.NEUTRAL]
        stances = {g.stance for g in judged}
        if len(stances) == 1:
            parts.append(f"{call.period} guidance {_stance_phrase(stances.pop())}")
        elif judged:
            detail = join_words([f"{metric_name(g)} {_stance_phrase(g.stance, short=True)}" for g in judged])
            parts.append(f"{call.period} guidance mixed ({detail})")
        for guide in call.guides:
            if guide.metric.direction is Direction.NEUTRAL:
                parts.append(f"{call.period} {metric_name(guide)} guidance {_stance_phrase(guide.stance)}")
    if not parts:
        return "No figures against consensus in the sources"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _stance_phrase(value: Stance, short: bool = False) -> str:
    if value is Stance.INLINE:
        return "in line" if short else "in line with consensus"
    word = "above" if value in (Stance.POSITIVE, Stance.ABOVE) else "below"
    return word if short else f"{word} consensus"


def move(value: Value) -> str:
    """A price move in words: 'up 10.5%', 'down more than 10%', 'down about 4%'."""
    a = value.amount
    if a.mantissa == 0:
        return "unchanged"
    direction = "up" if a.mantissa > 0 else "down"
    size = number(abs(a.mantissa))
    qualifier = ""
    if a.qualifier == "~":
        qualifier = "about "
    elif (a.qualifier == ">" and a.mantissa > 0) or (a.qualifier == "<" and a.mantissa < 0):
        qualifier = "more than "
    elif a.qualifier:
        qualifier = "less than "
    return f"{direction} {qualifier}{size}%"


TICK_SCALES = ((12, "T"), (9, "B"), (6, "M"), (3, "K"))


def tick(value: Decimal, unit: str = "") -> str:
    """An axis label: '20%', '$200B', '$1.5', '8M'."""
    if unit == "%":
        return number(value.normalize() if value != 0 else Decimal(0)) + "%"
    suffix = ""
    for exponent, letter in TICK_SCALES:
        if abs(value) >= Decimal(1).scaleb(exponent):
            value, suffix = value.scaleb(-exponent), letter
            break
    value = value.normalize() if value != 0 else Decimal(0)
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    text = number(value)
    symbol = currency_symbol(unit) if len(unit) == 3 else ""
    return f"{MINUS if text.startswith(MINUS) else ''}{symbol}{text.lstrip(MINUS)}{suffix}"


def outcome_class(value: Outcome | Stance | Revision) -> str:
    """CSS class: good, bad, even or neutral (colour is never the only signal)."""
    good = {Outcome.BEAT, Stance.POSITIVE, Revision.RAISED}
    bad = {Outcome.MISS, Stance.NEGATIVE, Revision.LOWERED}
    even = {Outcome.INLINE, Stance.INLINE, Revision.MAINTAINED}
    if value in good:
        return "good"
    if value in bad:
        return "bad"
    if value in even:
        return "even"
    return "neutral"


def deviations(value: Decimal | None) -> str:
    """A standardised surprise, in standard deviations of the estimates: '+1.9 SD'; '—' when there is none."""
    if value is None:
        return "—"
    return number(value, DERIVED_PLACES, signed=True) + " SD"


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


FILTERS = {
    "amount": amount,
    "percent": percent,
    "outcome_symbol": outcome_symbol,
    "outcome_word": outcome_word,
    "outcome_class": outcome_class,
    "date": date,
    "window": window,
    "timing": timing,
    "verdict": verdict,
    "metric_name": metric_name,
    "plural": plural,
    "move": move,
    "deviations": deviations,
    "tick": tick,
}
