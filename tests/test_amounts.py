from decimal import Decimal

import pytest

from scorecards.errors import AmountError
from scorecards.model.amounts import Unit, parse_amount


@pytest.mark.parametrize(
    "text, value, unit, scale, places",
    [
        ("777.7M", "777700000", Unit.PLAIN, "M", 1),
        ("3.1B", "3100000000", Unit.PLAIN, "B", 1),
        ("3.714T", "3714000000000", Unit.PLAIN, "T", 3),
        ("515.0B", "515000000000", Unit.PLAIN, "B", 1),
        ("0.30", "0.30", Unit.PLAIN, "", 2),
        ("0.45", "0.45", Unit.PLAIN, "", 2),
        ("35.9%", "35.9", Unit.PERCENT, "", 1),
        ("-7.4pp", "-7.4", Unit.POINTS, "", 1),
        ("−7.4 pp", "-7.4", Unit.POINTS, "", 1),
        ("+10.5%", "10.5", Unit.PERCENT, "", 1),
        ("1.2 bn", "1200000000", Unit.PLAIN, "B", 1),
        ("1.2MM", "1200000", Unit.PLAIN, "M", 1),
        ("1,234.5M", "1234500000", Unit.PLAIN, "M", 1),
        ("2.5x", "2.5", Unit.MULTIPLE, "", 1),
        ("-74bp", "-0.74", Unit.POINTS, "bp", 0),
        ("12", "12", Unit.PLAIN, "", 0),
        (".5", "0.5", Unit.PLAIN, "", 1),
    ],
)
def test_reads_what_analysts_type(text, value, unit, scale, places):
    amount = parse_amount(text)
    assert amount.value == Decimal(value)
    assert amount.unit is unit
    assert amount.scale == scale
    assert amount.places == places


def test_precision_is_kept_as_written():
    assert str(parse_amount("0.30").mantissa) == "0.30"
    assert str(parse_amount("640.07M").mantissa) == "640.07"
    assert parse_amount("777.7M").exponent == 5
    assert parse_amount("0.30").exponent == -2


@pytest.mark.parametrize("text, qualifier", [("~200B", "~"), ("about 200B", "~"), (">72B", ">"), ("<-10%", "<")])
def test_qualifiers(text, qualifier):
    amount = parse_amount(text)
    assert amount.qualifier == qualifier
    assert amount.approximate


def test_currency_sign_is_read():
    assert parse_amount("$1.2B").currency == "USD"
    assert parse_amount("¥515.0B").currency == "JPY"
    assert parse_amount("-$2.4B").value == Decimal("-2.4E9")


@pytest.mark.parametrize(
    "text, message, hint",
    [
        ("12,3B", "'12,3B' is ambiguous: a comma is not a decimal point here", "write 12.3B if you mean a decimal"),
        ("1.2.3M", "'1.2.3M' has more than one decimal point", "1234.5M"),
        ("1.2 gazillion", "'1.2 gazillion' has an unknown scale or unit 'gazillion'", "use K, M, B or T"),
        (".nan", "'.nan' is not a finite number", "leave the field out"),
        ("-.inf", "'-.inf' is not a finite number", ""),
        ("abc", "cannot read 'abc' as an amount", "777.7M"),
        ("", "empty amount", ""),
        ("$35%", "'$35%' mixes a currency sign with '%'", "drop the currency sign"),
        ("1 234M", "'1 234M' has a space inside the number", ""),
    ],
)
def test_rejects_with_a_hint(text, message, hint):
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert str(caught.value) == message
    assert hint in caught.value.hint


def test_rejects_non_text():
    with pytest.raises(AmountError):
        parse_amount(True)
    with pytest.raises(AmountError):
        parse_amount(None)


def test_an_amount_has_at_most_eighteen_digits():
    """Exact arithmetic keeps 28 significant digits: a 320-digit amount stopped the build with a traceback."""
    assert parse_amount("9" * 18 + "T").mantissa == Decimal("9" * 18)
    assert parse_amount("0.000000000000000001").mantissa == Decimal("1e-18")
    with pytest.raises(AmountError, match="has 19 digits"):
        parse_amount("9" * 19 + "T")
    with pytest.raises(AmountError, match="has 320 digits"):
        parse_amount("9" * 320)
