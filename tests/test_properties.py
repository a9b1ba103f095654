"""Property-based tests: the amount parser, the metric functions and the loader never misbehave."""

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scorecards.errors import AmountError, InputError
from scorecards.load.yaml import parse_yaml
from scorecards.model.amounts import parse_amount
from scorecards.model.metrics import Direction, Kind, Outcome, outcome, surprise_pct
from scorecards.model.scorecard import Value
from scorecards.render.filters import amount as show

decimals = st.decimals(
    min_value=Decimal("-1e6"), max_value=Decimal("1e6"), allow_nan=False, allow_infinity=False, places=3
)


@given(st.text(max_size=30))
def test_amount_parser_reads_or_explains(text):
    try:
        parsed = parse_amount(text)
    except AmountError as exc:
        assert str(exc)  # a message, never an empty one
        return
    assert parsed.mantissa.is_finite()


@given(
    st.decimals(min_value=Decimal("-99999"), max_value=Decimal("99999"), allow_nan=False, places=2),
    st.sampled_from(["", "K", "M", "B", "T"]),
)
def test_amounts_keep_their_digits(number, scale):
    text = f"{number}{scale}"
    parsed = parse_amount(text)
    assert parsed.mantissa == number and str(parsed.mantissa) == str(number)
    assert parsed.places == max(0, -number.as_tuple().exponent)
    shown = show(Value(parsed, Kind.MONEY, "USD"))
    assert shown.replace("−", "-").replace("$", "").replace(",", "") == text.replace("-", "-").lstrip("+")


@given(decimals, decimals)
def test_surprise_pct_is_nm_exactly_when_it_should_be(actual, consensus):
    pct = surprise_pct(actual, consensus)
    nm = consensus == 0 or (actual != 0 and (actual < 0) != (consensus < 0))
    assert (pct is None) == nm
    if pct is not None:
        assert (pct > 0) == (actual > consensus) and (pct == 0) == (actual == consensus)


@given(decimals, decimals)
def test_outcome_agrees_with_the_direction(actual, consensus):
    higher = outcome(actual, consensus, Direction.HIGHER, -3)
    lower = outcome(actual, consensus, Direction.LOWER, -3)
    neutral = outcome(actual, consensus, Direction.NEUTRAL, -3)
    if actual == consensus:
        assert higher is lower is neutral is Outcome.INLINE
    else:
        assume(higher is not Outcome.INLINE)
        assert {higher, lower} == {Outcome.BEAT, Outcome.MISS}
        assert (higher is Outcome.BEAT) == (actual > consensus)
        assert neutral is (Outcome.ABOVE if actual > consensus else Outcome.BELOW)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_loader_raises_only_its_own_error_on_any_bytes(raw):
    try:
        parse_yaml(raw, "fuzz.yaml")
    except InputError as exc:
        assert all(p.path == "fuzz.yaml" and p.line >= 1 and p.col >= 1 for p in exc.problems)


yaml_ish = st.recursive(
    st.one_of(st.none(), st.booleans(), st.text(max_size=8), st.integers(), st.floats(allow_nan=True)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200)
@given(yaml_ish)
def test_validation_of_any_structure_reports_problems_not_exceptions(data):
    import json

    from scorecards.load.validate import validate

    text = json.dumps({"company": data, "sources": data, "quarters": data}, default=str)
    try:
        validate(parse_yaml(text.encode(), "fuzz.yaml"))
    except InputError as exc:
        assert exc.problems
