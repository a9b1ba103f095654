from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.model.amounts import Amount, Unit, parse_amount
from scorecards.model.metrics import Kind
from scorecards.model.scorecard import Value
from scorecards.render.filters import amount, date, join_words, move, number, percent


def v(text, kind=Kind.MONEY, currency="USD", derived=False):
    return Value(parse_amount(text), kind, currency, derived)


@pytest.mark.parametrize(
    "text, kind, currency, expected",
    [
        ("213.39B", Kind.MONEY, "USD", "$213.39B"),
        ("515.0B", Kind.MONEY, "JPY", "¥515.0B"),
        ("3.714T", Kind.MONEY, "JPY", "¥3.714T"),
        ("0.30", Kind.PER_SHARE, "USD", "$0.30"),
        ("1234567", Kind.MONEY, "USD", "$1,234,567"),
        ("35.9%", Kind.PERCENT, "USD", "35.9%"),
        ("-7.4pp", Kind.PERCENT, "USD", "−7.4 pp"),
        ("-74bp", Kind.PERCENT, "USD", "−0.74 pp"),  # one rule for points: pp, every digit kept
        ("2.5x", Kind.MULTIPLE, "USD", "2.5×"),
        ("8.0M", Kind.COUNT, "USD", "8.0M"),
        ("~200B", Kind.MONEY, "USD", "~$200B"),
        (">72B", Kind.MONEY, "USD", "> $72B"),
        ("-2.4B", Kind.MONEY, "USD", "−$2.4B"),
        ("1.2B", Kind.MONEY, "EUR", "€1.2B"),
        ("1.2B", Kind.MONEY, "CHF", "CHF 1.2B"),
    ],
)
def test_amount_is_shown_as_written(text, kind, currency, expected):
    assert amount(v(text, kind, currency)) == expected


def test_missing_amount_is_a_dash_never_zero():
    assert amount(None) == "—"
    assert percent(None) == "—"


def test_signed_amounts():
    assert amount(v("137.63M"), signed=True) == "+$137.63M"
    assert amount(v("-0.02", Kind.PER_SHARE), signed=True) == "−$0.02"
    assert amount(v("0", Kind.PER_SHARE), signed=True) == "$0"


def test_derived_percentages_are_rounded_for_display_only():
    computed = Value(Amount(Decimal("14.28571428"), Unit.PERCENT), Kind.PERCENT, "USD", derived=True)
    assert amount(computed, signed=True) == "+14.3%"
    assert percent(Decimal("50.0")) == "+50.0%"
    assert percent(Decimal("-1.0152284")) == "−1.0%"


def test_number_keeps_trailing_zeros():
    assert number(Decimal("0.30")) == "0.30"
    assert number(Decimal("1.405")) == "1.405"
    assert number(Decimal("-0.00"), 2) == "0.00"


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20, places=None),
    st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
    st.sampled_from(["en", "zh-Hant", "zh-Hans", "de", "fr", "hi", "ar", "pt-BR", "pl"]),
)
def test_number_writes_what_babel_writes(value, places, tag):
    """``number`` groups digits with Python's own formatting and the locale's symbols, not Babel's pattern (5x
    faster): the text is Babel's, for every value, number of places and locale (but see the Swiss test below)."""
    from babel.numbers import parse_pattern

    from scorecards.i18n import Language

    lang = Language(tag)
    shown = number(value, places, lang=lang)
    kept = places if places is not None else max(0, -value.as_tuple().exponent)
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + kept + 2)
        exact = value.quantize(Decimal(1).scaleb(-kept), ROUND_HALF_UP) if places is not None else value
        pattern = parse_pattern("#,##0" + ("." + "0" * kept if kept else ""))
        babel = pattern.apply(abs(exact), lang.babel_locale, decimal_quantization=False)
    assert shown.lstrip("\u2212") == babel


def test_an_apostrophe_that_groups_digits_is_kept():
    """Swiss German groups digits with an apostrophe; Babel's pattern takes it for a quote and drops it (1000000)."""
    from scorecards.i18n import Language

    assert number(Decimal("1234567.50"), lang=Language("de-CH")) == "1'234'567.50"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("+10.5%", "up 10.5%"),
        ("<-10%", "down more than 10%"),
        ("~-4%", "down about 4%"),
        (">10%", "up more than 10%"),
        ("-16%", "down 16%"),
        ("0%", "unchanged"),
    ],
)
def test_price_moves_in_words(text, expected):
    assert move(v(text, Kind.PERCENT)) == expected


def test_dates_and_lists():
    import datetime as dt

    assert date(dt.date(2026, 2, 5)) == "5 Feb 2026"
    assert date(None, "undated") == "undated"
    assert join_words(["revenue"]) == "revenue"
    assert join_words(["revenue", "EPS", "margin"]) == "revenue, EPS and margin"


def test_numbers_beyond_the_default_precision_are_formatted_not_refused():
    """A surprise over a consensus of almost nothing is a percentage with ~50 digits: Decimal's default 28-digit
    context could not round it (a traceback in the middle of a build)."""
    huge = Decimal("5e49")
    assert number(huge, 1) == f"{int(huge):,}.0"
    assert percent(huge, signed=True) == f"+{int(huge):,}.0%"
    assert number(-huge) == f"\u2212{int(huge):,}"
    assert number(Decimal("-12.345"), 2) == "\u221212.35"  # rounding as before


# --- free text per language (model/text.py) ----------------------------------------------------------


def test_free_text_is_shown_in_the_readers_language_else_as_written_and_marked():
    from scorecards.i18n import load_language
    from scorecards.model.text import Text
    from scorecards.render.filters import label, marked, text_lang

    zh = load_language(REPO / "locale", "zh-Hant")
    both = Text.of({"en": "Above market expectations.", "zh-Hant": "優於市場預期。"})
    english = Text.of("Fastest growth in 13 <quarters>.")
    assert label(both, lang=zh) == "優於市場預期。" and label(both) == "Above market expectations."
    assert str(marked(both, lang=zh)) == "優於市場預期。"  # in the page's language: no mark
    assert text_lang(english, lang=zh) == "en"
    assert str(marked(english, lang=zh)) == '<span lang="en">Fastest growth in 13 &lt;quarters&gt;.</span>'
    assert str(marked(english)) == "Fastest growth in 13 &lt;quarters&gt;."  # escaped, never trusted HTML
    assert label("Revenue", lang=zh) == "營收"  # the registry's labels still come from the catalogue
    assert str(marked(None)) == ""


def test_free_text_written_only_in_chinese_falls_back_to_chinese_marked_on_an_english_page():
    from scorecards.model.text import Text
    from scorecards.render.filters import marked

    only = Text.of({"zh-Hans": "超出预期。"})
    assert str(only) == "超出预期。" and only.lang == "zh-Hans"
    assert str(marked(only)) == '<span lang="zh-Hans">超出预期。</span>'


def test_a_text_keeps_its_versions_through_the_scorecard_cache():
    import pickle

    from scorecards.model.text import Text

    kept = pickle.loads(pickle.dumps(Text.of({"en": "Music", "zh-Hant": "音樂"})))
    assert (str(kept), kept.lang, kept.version("zh-Hant")) == ("Music", "en", "音樂")
