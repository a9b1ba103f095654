"""Formatting for templates: every display string is made here, in one place, in the reader's language.

Each filter that shows words or numbers takes the reader's ``lang`` (English by default);
``filters_for(lang)`` binds it for a template environment. Words come from the gettext
catalogues (whole sentences with placeholders, so that Chinese can order them naturally),
numbers and dates from Babel.

>>> from decimal import Decimal
>>> from scorecards.model.amounts import parse_amount
>>> from scorecards.model.scorecard import Value
>>> from scorecards.model.metrics import Kind
>>> amount(Value(parse_amount("213.39B"), Kind.MONEY, "USD"))
'$213.39B'
>>> amount(Value(parse_amount("0.30"), Kind.PER_SHARE, "USD"))
'$0.30'
>>> amount(Value(parse_amount("-7.4pp"), Kind.PERCENT, "USD"), signed=True)
'−7.4 pp'
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import fields
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cache, partial
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    NumberPattern,
    get_currency_name,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from markupsafe import Markup

from scorecards.compute.readiness import Hold, Reason
from scorecards.i18n import ENGLISH, N_, Language
from scorecards.model.amounts import SCALES, Unit
from scorecards.model.metrics import Basis, Direction, Kind, Outcome, Revision, Stance
from scorecards.model.scorecard import Company, Figure, Guide, Quarter, Value, Verdict
from scorecards.model.text import Text

MINUS = "\u2212"
DERIVED_PLACES = 1  # places shown for percentages this tool computes (surprise %, growth)


def number(value: Decimal, places: int | None = None, *, signed: bool = False, lang: Language = ENGLISH) -> str:
    """Group digits; keep exactly ``places`` decimals (default: as many as the Decimal has)."""
    exponent = value.as_tuple().exponent
    given = places
    if places is None:
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    with localcontext() as context:  # enough digits for any value (a surprise over a consensus of almost nothing)
        context.prec = max(context.prec, value.adjusted() + places + 2)
        if given is not None:
            value = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        text = _grouped(abs(value), places, lang.babel_locale)
    if value < 0 and any(c not in "0.," for c in text):
        return MINUS + text
    if signed and value > 0:
        return "+" + text
    return text


def _grouped(value: Decimal, places: int, locale: Locale) -> str:
    """``value``, with no more than ``places`` decimals, its digits grouped as Babel's pattern ``#,##0.00`` writes
    them in ``locale``: Python's own formatting of the Decimal (exact), with the locale's group and decimal symbols.
    Babel's ``NumberPattern.apply`` gives the same text (tests/test_filters.py compares the two) at ~5 µs a number,
    and a season summary of 500 companies writes some 10,000 numbers."""
    if not value.is_finite():
        return str(_grouping(places).apply(value, locale, decimal_quantization=False))
    return format(value, f",.{places}f").translate(_symbols(str(locale)))


@cache
def _symbols(locale: str) -> dict[int, str]:
    """The translation of Python's group and decimal symbols into ``locale``'s (Latin digits, as Babel's default)."""
    return str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})


@cache
def _grouping(places: int) -> NumberPattern:
    """Babel's pattern for grouped digits with ``places`` decimals, parsed once (format_decimal parses it per call)."""
    return parse_pattern("#,##0" + ("." + "0" * places if places else ""))


def currency_symbol(code: str, lang: Language = ENGLISH) -> str:
    symbol = get_currency_symbol(code, locale=lang.babel_locale)
    return symbol if symbol != code else code + " "


def currency(code: str, *, lang: Language = ENGLISH) -> str:
    """The reporting currency as a reader names it: 'USD' in English, '美元' in Chinese."""
    if lang.myriads is None:
        return code
    return get_currency_name(code, locale=lang.babel_locale)


def myriad(value: Decimal, units: tuple[tuple[int, str], ...]) -> tuple[Decimal, str]:
    """The largest myriad unit ``value`` reaches, and the value in it, every digit kept.

    >>> myriad(Decimal("777.7").scaleb(6), ((12, "兆"), (8, "億"), (4, "萬")))
    (Decimal('7.777'), '億')
    >>> myriad(Decimal("515.0").scaleb(9), ((12, "兆"), (8, "億"), (4, "萬")))
    (Decimal('5150'), '億')
    """
    for power, word in units:
        if abs(value) >= Decimal(1).scaleb(power):
            return value.scaleb(-power), word
    return value, ""


QUALIFIERS = {
    "~": lambda lang: lang.pgettext("approximately", "~%(amount)s"),
    ">": lambda lang: lang.pgettext("more than", "> %(amount)s"),
    "<": lambda lang: lang.pgettext("less than", "< %(amount)s"),
}


def amount(value: Value | None, signed: bool = False, *, lang: Language = ENGLISH) -> str:
    """An amount as written: '$213.39B', '¥515.0B', '$0.30', '35.9%', '−7.4 pp', '2.5×'; '2,133.9億美元' in Chinese."""
    if value is None:
        return "—"
    a = value.amount
    units = lang.myriads
    mantissa, word = a.mantissa, a.scale
    if a.unit is Unit.POINTS and a.scale == "bp":
        mantissa, word = a.mantissa.scaleb(-2), ""  # exact: every digit written is kept
    if units is not None and a.unit is Unit.PLAIN:
        mantissa, word = myriad(a.mantissa.scaleb(SCALES[a.scale]), units)
    if value.derived and a.unit is Unit.PERCENT:
        digits = number(mantissa, DERIVED_PLACES, signed=signed, lang=lang)
    else:
        digits = number(mantissa, signed=signed, lang=lang)
    sign = ""
    if digits[0] in (MINUS, "+"):
        sign, digits = digits[0], digits[1:]
    if a.unit is Unit.PERCENT:
        body = f"{digits}%"
    elif a.unit is Unit.POINTS:  # one rule: percentage points, also for basis points written (74bp: 0.74 pp)
        body = lang.pgettext("percentage points", "%(number)s pp") % {"number": digits}
    elif a.unit is Unit.MULTIPLE:
        body = lang.pgettext("a multiple", "%(number)s×") % {"number": digits}
    elif value.kind in (Kind.MONEY, Kind.PER_SHARE):
        if units is not None:
            body = f"{digits}{word}{currency(value.currency, lang=lang)}"
        else:
            body = f"{currency_symbol(value.currency, lang)}{digits}{word}"
    else:
        body = f"{digits}{word}"
    body = sign + body
    if a.qualifier in QUALIFIERS:
        body = QUALIFIERS[a.qualifier](lang) % {"amount": body}
    return body


def percent(
    value: Decimal | None, signed: bool = True, places: int = DERIVED_PLACES, *, lang: Language = ENGLISH
) -> str:
    """A computed percentage such as a surprise: '+21.5%'; '—' when there is none."""
    if value is None:
        return "—"
    return number(value, places, signed=signed, lang=lang) + "%"


OUTCOME_WORDS = {
    Outcome.BEAT: ("▲", N_("Beat")),
    Outcome.INLINE: ("●", N_("In line")),
    Outcome.MISS: ("▼", N_("Miss")),
    Outcome.ABOVE: ("△", N_("Above")),
    Outcome.BELOW: ("▽", N_("Below")),
    Outcome.NONE: ("", "—"),
}
STANCE_WORDS = {
    Stance.POSITIVE: ("▲", N_("Above consensus")),
    Stance.INLINE: ("●", N_("In line")),
    Stance.NEGATIVE: ("▼", N_("Below consensus")),
    Stance.ABOVE: ("△", N_("Above consensus")),
    Stance.BELOW: ("▽", N_("Below consensus")),
    Stance.NONE: ("", "—"),
}
REVISION_WORDS = {
    Revision.RAISED: ("▲", N_("Raised")),
    Revision.MAINTAINED: ("●", N_("Maintained")),
    Revision.LOWERED: ("▼", N_("Lowered")),
    Revision.NONE: ("", "—"),
}
WINDOW_WORDS = {
    "after-hours": N_("after hours"),
    "pre-market": N_("pre-market"),
    "1-day": N_("over one day"),
    "2-day": N_("over two days around the report"),
    "since-report": N_("since the report"),
    "from-recent-high": N_("from its recent high"),
}
TIMING_WORDS = {
    "before-open": N_("before the open"),
    "during-market": N_("during trading"),
    "after-close": N_("after the close"),
}
# The fields of a figure another source reports differently ("Where sources differ").
FIELD_WORDS = {
    "actual": N_("actual"),
    "consensus": N_("consensus"),
    "prior_year": N_("prior year"),
    "value": N_("value"),
}
# Words made in the code rather than written in the templates: basis labels (compute/company.py), the
# accounting standards, the season's overall group (season.py) and the GICS sectors (schema.py).
LABELS = (
    N_("GAAP"),
    N_("IFRS"),
    N_("US GAAP"),
    N_("Non-GAAP"),
    N_("Adjusted"),
    N_("Operating"),
    N_("Not stated"),
    N_("All companies"),
    N_("Communication Services"),
    N_("Consumer Discretionary"),
    N_("Consumer Staples"),
    N_("Energy"),
    N_("Financials"),
    N_("Health Care"),
    N_("Industrials"),
    N_("Information Technology"),
    N_("Materials"),
    N_("Real Estate"),
    N_("Utilities"),
)


def outcome_symbol(value: Outcome | Stance | Revision) -> str:
    return _words(value)[0]


def outcome_word(value: Outcome | Stance | Revision, *, lang: Language = ENGLISH) -> str:
    word = _words(value)[1]
    return word if word == "—" else lang.gettext(word)


def _words(value: Outcome | Stance | Revision) -> tuple[str, str]:
    if isinstance(value, Outcome):
        return OUTCOME_WORDS[value]
    if isinstance(value, Stance):
        return STANCE_WORDS[value]
    return REVISION_WORDS[value]


def label(text: str, *, lang: Language = ENGLISH) -> str:
    """A label the tool knows (a metric, a basis, a sector) in the reader's language; free text (a ``Text``) in the
    reader's language where the file gives it, else as written."""
    if isinstance(text, Text):
        return text.version(lang.tag) or str(text)
    return lang.gettext(text) if text else text


def text_lang(text: str, *, lang: Language = ENGLISH) -> str:
    """The language ``label`` shows ``text`` in: the reader's, or the language free text was written in."""
    if isinstance(text, Text) and not text.has(lang.tag):
        return text.lang
    return lang.tag


def marked(text: str | None, *, lang: Language = ENGLISH) -> Markup:
    """``label`` for HTML: text shown in another language than the page's is marked with it, <span lang="en">."""
    if text is None:
        return Markup("")
    shown = label(text, lang=lang)
    other = text_lang(text, lang=lang)
    if other != lang.tag:
        return Markup('<span lang="{}">{}</span>').format(other, shown)
    return Markup("{}").format(shown)


def date(value: dt.date | None, missing: str = "—", *, lang: Language = ENGLISH) -> str:
    """'5 Feb 2026' in English, '2026年2月5日' in Chinese; ``missing`` when unknown."""
    if value is None:
        return missing
    if lang.tag == "en":
        return f"{value.day} {value:%b %Y}"
    return format_date(value, "long", locale=lang.babel_locale)


def window(value: Any, *, lang: Language = ENGLISH) -> str:
    return lang.gettext(WINDOW_WORDS[getattr(value, "value", value)])


def timing(value: Any, *, lang: Language = ENGLISH) -> str:
    return lang.gettext(TIMING_WORDS[getattr(value, "value", value)])


def field_name(name: str, *, lang: Language = ENGLISH) -> str:
    return lang.gettext(FIELD_WORDS.get(name, name.replace("_", " ")))


def period(text: str, *, lang: Language = ENGLISH) -> str:
    """A fiscal period in the reader's words: 'Q4 FY2025'; '2025財年第四季' in Chinese; other text as written."""
    match = re.fullmatch(r"(?:(Q[1-4]|H[12]) )?FY(\d{4})", text)
    if not match:
        return text
    part, year = match.groups()
    return lang.gettext(PERIOD_WORDS[part]) % {"year": year}


PERIOD_WORDS = {  # translated one at a time: a season summary asks for a thousand periods
    "Q1": N_("Q1 FY%(year)s"),
    "Q2": N_("Q2 FY%(year)s"),
    "Q3": N_("Q3 FY%(year)s"),
    "Q4": N_("Q4 FY%(year)s"),
    "H1": N_("H1 FY%(year)s"),
    "H2": N_("H2 FY%(year)s"),
    None: N_("FY%(year)s"),
}


def season_label(value: Any, *, lang: Language = ENGLISH) -> str:
    """A calendar quarter's reporting season: 'Q4 2025 season' (anything with ``year`` and ``quarter``)."""
    messages = {
        1: lang.gettext("Q1 %(year)s season"),
        2: lang.gettext("Q2 %(year)s season"),
        3: lang.gettext("Q3 %(year)s season"),
        4: lang.gettext("Q4 %(year)s season"),
    }
    return messages[value.quarter] % {"year": value.year}


def company_name(company: Company, *, lang: Language = ENGLISH) -> str:
    """The company's name in the reader's language where the file gives one, else its registered name."""
    return company.names.get(lang.tag) or company.name


def metric_name(fig: Figure | Guide, *, lang: Language = ENGLISH) -> str:
    """The label a verdict uses: 'revenue', 'EPS (non-GAAP)'."""
    text = lang.gettext(fig.metric.label.replace(" (diluted)", ""))
    if not text[:2].isupper():
        text = text[0].lower() + text[1:]
    if fig.metric.kind is Kind.PER_SHARE or fig.metric.basis is Basis.ADJUSTED:
        basis = lang.gettext(fig.basis_label)
        basis = basis if basis.isupper() else basis[0].lower() + basis[1:]
        text = lang.pgettext("a metric and its basis", "%(metric)s (%(basis)s)") % {"metric": text, "basis": basis}
    return text


def join_words(words: list[str], *, lang: Language = ENGLISH) -> str:
    """['a'] -> 'a'; ['a', 'b', 'c'] -> 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    first = lang.pgettext("between the items of a list", ", ").join(words[:-1])
    return lang.gettext("%(first)s and %(last)s") % {"first": first, "last": words[-1]}


def verdict(quarter: Quarter, *, lang: Language = ENGLISH) -> str:
    """'Beat on revenue and EPS (non-GAAP); FY2026 guidance above consensus'; a result the source states in words,
    without a consensus figure, is said to be per source: 'beat on revenue per source; missed on EPS (GAAP)'."""
    v: Verdict = quarter.verdict

    def names(figures: list[Figure]) -> str:
        return join_words([metric_name(f, lang=lang) for f in figures], lang=lang)

    parts: list[str] = []
    for figures, judged_message, stated_message, both_message in (
        (
            v.beat,
            lang.gettext("beat on %(metrics)s"),
            lang.gettext("beat on %(metrics)s per source"),
            lang.gettext("beat on %(metrics)s, and on %(stated)s per source"),
        ),
        (
            v.inline,
            lang.gettext("in line on %(metrics)s"),
            lang.gettext("in line on %(metrics)s per source"),
            lang.gettext("in line on %(metrics)s, and on %(stated)s per source"),
        ),
        (
            v.miss,
            lang.gettext("missed on %(metrics)s"),
            lang.gettext("missed on %(metrics)s per source"),
            lang.gettext("missed on %(metrics)s, and on %(stated)s per source"),
        ),
        (
            v.above,
            lang.gettext("%(metrics)s above consensus"),
            lang.gettext("%(metrics)s above expectations per source"),
            lang.gettext("%(metrics)s above consensus, and %(stated)s above expectations per source"),
        ),
        (
            v.below,
            lang.gettext("%(metrics)s below consensus"),
            lang.gettext("%(metrics)s below expectations per source"),
            lang.gettext("%(metrics)s below consensus, and %(stated)s below expectations per source"),
        ),
    ):
        judged = [f for f in figures if not f.per_source]
        stated = [f for f in figures if f.per_source]
        if judged and stated:
            parts.append(both_message % {"metrics": names(judged), "stated": names(stated)})
        elif judged:
            parts.append(judged_message % {"metrics": names(judged)})
        elif stated:
            parts.append(stated_message % {"metrics": names(stated)})
    for call in v.guidance:
        parts += _guidance_clauses(call.period, call.guides, lang)
    if not parts:
        return lang.gettext("No figures against consensus in the sources")
    text = lang.pgettext("between the clauses of a verdict", "; ").join(parts)
    return text[0].upper() + text[1:]


def _guidance_clauses(when_period: str, guides: tuple[Guide, ...], lang: Language) -> list[str]:
    """One period's guidance in the verdict: all one way, or 'mixed' with each item; per source where so stated."""
    parts: list[str] = []
    when = period(when_period, lang=lang)
    judged = [g for g in guides if g.metric.direction is not Direction.NEUTRAL]
    sides = {_side(g.result) for g in judged}
    stated = [g for g in judged if g.per_source]
    if len(sides) == 1 and not stated:
        messages = {
            "above": lang.gettext("%(period)s guidance above consensus"),
            "inline": lang.gettext("%(period)s guidance in line with consensus"),
            "below": lang.gettext("%(period)s guidance below consensus"),
        }
        parts.append(messages[sides.pop()] % {"period": when})
    elif len(sides) == 1:
        messages = {
            "above": lang.gettext("%(period)s guidance above expectations (%(metrics)s per source)"),
            "inline": lang.gettext("%(period)s guidance in line with expectations (%(metrics)s per source)"),
            "below": lang.gettext("%(period)s guidance below expectations (%(metrics)s per source)"),
        }
        names = join_words([metric_name(g, lang=lang) for g in stated], lang=lang)
        parts.append(messages[sides.pop()] % {"period": when, "metrics": names})
    elif judged:
        short = {
            (False, "above"): lang.gettext("%(metric)s above"),
            (False, "inline"): lang.gettext("%(metric)s in line"),
            (False, "below"): lang.gettext("%(metric)s below"),
            (True, "above"): lang.gettext("%(metric)s above per source"),
            (True, "inline"): lang.gettext("%(metric)s in line per source"),
            (True, "below"): lang.gettext("%(metric)s below per source"),
        }
        detail = join_words(
            [short[g.per_source, _side(g.result)] % {"metric": metric_name(g, lang=lang)} for g in judged], lang=lang
        )
        parts.append(lang.gettext("%(period)s guidance mixed (%(detail)s)") % {"period": when, "detail": detail})
    for guide in guides:
        if guide.metric.direction is Direction.NEUTRAL:
            if guide.per_source:
                messages = {
                    "above": lang.gettext("%(period)s %(metric)s guidance above expectations per source"),
                    "inline": lang.gettext("%(period)s %(metric)s guidance in line with expectations per source"),
                    "below": lang.gettext("%(period)s %(metric)s guidance below expectations per source"),
                }
            else:
                messages = {
                    "above": lang.gettext("%(period)s %(metric)s guidance above consensus"),
                    "inline": lang.gettext("%(period)s %(metric)s guidance in line with consensus"),
                    "below": lang.gettext("%(period)s %(metric)s guidance below consensus"),
                }
            parts.append(messages[_side(guide.result)] % {"period": when, "metric": metric_name(guide, lang=lang)})
    return parts


def headline_result(fig: Figure, *, lang: Language = ENGLISH) -> str:
    """A figure and its result, for an e-mail subject: 'revenue beat', 'capex above consensus', 'revenue beat per
    source'."""
    if fig.per_source:
        messages = {
            Outcome.BEAT: lang.gettext("%(metric)s beat per source"),
            Outcome.INLINE: lang.gettext("%(metric)s in line per source"),
            Outcome.MISS: lang.gettext("%(metric)s miss per source"),
            Outcome.ABOVE: lang.gettext("%(metric)s above expectations per source"),
            Outcome.BELOW: lang.gettext("%(metric)s below expectations per source"),
        }
    else:
        messages = {
            Outcome.BEAT: lang.gettext("%(metric)s beat"),
            Outcome.INLINE: lang.gettext("%(metric)s in line"),
            Outcome.MISS: lang.gettext("%(metric)s miss"),
            Outcome.ABOVE: lang.gettext("%(metric)s above consensus"),
            Outcome.BELOW: lang.gettext("%(metric)s below consensus"),
        }
    return messages[fig.result] % {"metric": metric_name(fig, lang=lang)}


def _side(value: Stance) -> str:
    if value is Stance.INLINE:
        return "inline"
    return "above" if value in (Stance.POSITIVE, Stance.ABOVE) else "below"


def move(value: Value, *, lang: Language = ENGLISH) -> str:
    """A price move in words: 'up 10.5%', 'down more than 10%', 'down about 4%'."""
    a = value.amount
    if a.mantissa == 0:
        return lang.gettext("unchanged")
    size = number(abs(a.mantissa), lang=lang) + "%"
    up = a.mantissa > 0
    if a.qualifier == "~":
        message = lang.gettext("up about %(size)s") if up else lang.gettext("down about %(size)s")
    elif (a.qualifier == ">" and up) or (a.qualifier == "<" and not up):
        message = lang.gettext("up more than %(size)s") if up else lang.gettext("down more than %(size)s")
    elif a.qualifier:
        message = lang.gettext("up less than %(size)s") if up else lang.gettext("down less than %(size)s")
    else:
        message = lang.gettext("up %(size)s") if up else lang.gettext("down %(size)s")
    return message % {"size": size}


TICK_SCALES = ((12, "T"), (9, "B"), (6, "M"), (3, "K"))


def tick(value: Decimal, unit: str = "", places: int | None = None, *, lang: Language = ENGLISH) -> str:
    """An axis label: '20%', '$200B', '$1.5', '8M'; '2,000億' in Chinese (the currency is in the chart's labels);
    with ``places``, that many decimals (every label of an axis alike: see ``tick_places``).

    >>> tick(Decimal("1.3"), "USD"), tick(Decimal("1.3"), "USD", 2)
    ('$1.3', '$1.30')
    """
    if unit == "%":
        value = value.normalize() if value != 0 else Decimal(0)
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places))
        return number(value, lang=lang) + "%"
    suffix = ""
    value, suffix = _scaled(value, lang)
    value = value.normalize() if value != 0 else Decimal(0)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    elif value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    text = number(value, lang=lang)
    symbol = currency_symbol(unit, lang) if len(unit) == 3 and lang.myriads is None else ""
    return f"{MINUS if text.startswith(MINUS) else ''}{symbol}{text.lstrip(MINUS)}{suffix}"


HOLD_WORDS = {
    Reason.NO_FIGURES: N_("no results or guidance"),
    Reason.PLACEHOLDERS: N_("placeholders left by %(command)s: %(items)s"),
    Reason.NO_REPORTED_DATE: N_("no reported date"),
    Reason.UNVERIFIED_QUOTE: N_("quotes not found in the call transcript: %(items)s"),
    Reason.MISSING_LANGUAGE: N_("text not given in %(language)s: %(items)s"),
    Reason.OVERFLOW: N_("ink outside the page's safe area on page %(items)s"),
}


def hold(value: Hold, *, lang: Language = ENGLISH) -> str:
    """Why a scorecard is held, in a phrase: 'no reported date', 'text not given in Chinese (Traditional): notes'."""
    items = join_words(list(value.items), lang=lang)
    if value.reason is Reason.MISSING_LANGUAGE:
        kinds = {
            "segment": lambda n: lang.ngettext("%(num)d segment name", "%(num)d segment names", n),
            "label": lambda n: lang.ngettext("%(num)d label", "%(num)d labels", n),
            "note": lambda n: lang.ngettext("%(num)d note", "%(num)d notes", n),
            "highlight": lambda n: lang.ngettext("%(num)d call highlight", "%(num)d call highlights", n),
        }
        counted = [kinds[k](n) % {"num": n} for k, n in zip(value.items, value.counts, strict=True)]
        items = join_words(counted, lang=lang)
    return lang.gettext(HOLD_WORDS[value.reason]) % {
        "items": items,
        "language": language_name(value.language or "", lang=lang),
        "command": "scorecard new",
    }


def language_name(tag: str, *, lang: Language = ENGLISH) -> str:
    """A language's name in the reader's language: 'Chinese (Traditional)', '中文 (繁體)'; the tag if Babel has none."""
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(lang.babel_locale) or tag
    except (ValueError, UnknownLocaleError):
        return tag


def _scaled(value: Decimal, lang: Language) -> tuple[Decimal, str]:
    for exponent, word in lang.myriads or TICK_SCALES:
        if abs(value) >= Decimal(1).scaleb(exponent):
            return value.scaleb(-exponent), word
    return value, ""


def tick_places(values: Iterable[Decimal], unit: str = "", *, lang: Language = ENGLISH) -> int:
    """The decimals every label of an axis takes: as many as its most precise tick needs ($1.25 beside $1.30,
    never $1.3 beside $1.25).

    >>> tick_places([Decimal("1.25"), Decimal("1.3"), Decimal("1.35")], "USD")
    2
    >>> tick_places([Decimal("0"), Decimal("100E9"), Decimal("150E9")], "USD")
    0
    """
    places = 0
    for value in values:
        scaled = value if unit == "%" else _scaled(value, lang)[0]
        exponent = scaled.normalize().as_tuple().exponent if scaled != 0 else 0
        places = max(places, -exponent if isinstance(exponent, int) else 0)
    return places


def pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a width in columns of a fixed-width font, where a Chinese character takes two (plain-text tables)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in str(text))
    space = " " * max(0, width - columns)
    return space + str(text) if right else str(text) + space


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


def deviations(value: Decimal | None, *, lang: Language = ENGLISH) -> str:
    """A standardised surprise, in standard deviations of the estimates: '+1.9 SD'; '—' when there is none."""
    if value is None:
        return "—"
    return lang.gettext("%(value)s SD") % {"value": number(value, DERIVED_PLACES, signed=True, lang=lang)}


def page_counter(*, lang: Language = ENGLISH) -> Markup:
    """'Page N of M' for the PDF's running footer, as a CSS ``content`` value with the page counters."""
    message = lang.gettext("Page %(page)s of %(pages)s")
    counters = {"%(page)s": "counter(page)", "%(pages)s": "counter(pages)"}
    parts: list[str] = []
    rest = message
    while rest:
        at = min(((rest.find(p), p) for p in counters if p in rest), default=(-1, ""))
        if at[0] < 0:
            parts.append(_css_string(rest))
            break
        if at[0] > 0:
            parts.append(_css_string(rest[: at[0]]))
        parts.append(counters[at[1]])
        rest = rest[at[0] + len(at[1]) :]
    return Markup(" ".join(parts))


def fonts(default: str, svg: bool = False, *, lang: Language = ENGLISH) -> Markup:
    """CSS font families for text the page's :lang() rules do not reach (running headers, SVG charts).

    ``default`` (the template's own list) for a language without a CJK face; else Inter for Latin
    letters and digits, then the language's CJK face, so Chinese takes its own glyph forms. In
    ``svg``, names unquoted: WeasyPrint's SVG renderer does not read quoted names in a list.
    """
    if lang.cjk_font is None:
        return Markup(default)
    if svg:
        return Markup(f"Inter, {lang.cjk_font}, sans-serif")
    return Markup(f'"Inter", "{lang.cjk_font}", sans-serif')


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", "\\A ")
    return f'"{escaped}"'


def quantity(value: Decimal | None, places: int = DERIVED_PLACES, *, lang: Language = ENGLISH) -> str:
    """A computed number that is not money nor a percentage, such as an average count: '20.6'; '—' when none."""
    return "—" if value is None else number(value, places, lang=lang)


def points(value: Decimal | None, places: int = DERIVED_PLACES, *, lang: Language = ENGLISH) -> str:
    """A computed difference of percentages, in percentage points: '+4.7 pp'; '—' when none."""
    if value is None:
        return "—"
    return lang.pgettext("percentage points", "%(number)s pp") % {
        "number": number(value, places, signed=True, lang=lang)
    }


def longest_amount(q: Quarter, *, lang: Language = ENGLISH) -> int:
    """How many characters the longest amount in a quarter's tables takes (results, segments, indicators,
    guidance): past what the fixed columns hold, the page gives its tables to their figures (scorecard.css)."""
    items: list[Any] = [*q.figures, *q.kpis, *q.guidance]
    for seg in q.segments:
        items += [*seg.figures, *seg.kpis]
    values = [v for item in items for f in fields(item) if isinstance(v := getattr(item, f.name), Value)]
    return max((len(amount(v, lang=lang)) for v in values), default=0)


FILTERS: dict[str, Callable[..., Any]] = {
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
    "move": move,
    "deviations": deviations,
    "tick": tick,
    "tick_places": tick_places,
    "label": label,
    "marked": marked,
    "text_lang": text_lang,
    "period": period,
    "season_label": season_label,
    "company_name": company_name,
    "currency": currency,
    "field_name": field_name,
    "headline_result": headline_result,
    "hold": hold,
    "language_name": language_name,
    "pad": pad,
    "quantity": quantity,
    "points": points,
    "longest_amount": longest_amount,
}


def filters_for(lang: Language) -> dict[str, Callable[..., Any]]:
    """FILTERS with the reader's language bound to every filter that takes one."""
    return {
        name: partial(f, lang=lang) if "lang" in inspect.signature(f).parameters else f for name, f in FILTERS.items()
    }
