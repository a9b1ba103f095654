from decimal import Decimal as D

import pytest

from scorecards.model.metrics import (
    Band,
    Direction,
    Outcome,
    Revision,
    Stance,
    growth_pct,
    midpoint,
    outcome,
    revision,
    same_at_precision,
    stance,
    surprise,
    surprise_pct,
)

HIGHER, LOWER, NEUTRAL = Direction.HIGHER, Direction.LOWER, Direction.NEUTRAL


@pytest.mark.parametrize(
    "name, actual, consensus, expected",
    [
        ("plain beat", "0.45", "0.30", D("50")),
        ("plain miss", "1.95", "1.97", (D("1.95") - D("1.97")) / D("1.97") * 100),
        ("negative consensus, smaller loss", "-0.05", "-0.10", D("50")),
        ("negative consensus, bigger loss", "-0.15", "-0.10", D("-50")),
        ("zero consensus is NM", "0.10", "0", None),
        ("signs differ: loss against expected profit is NM", "-0.05", "0.10", None),
        ("signs differ: profit against expected loss is NM", "0.05", "-0.10", None),
        ("zero actual against positive consensus", "0", "0.10", D("-100")),
        ("zero actual against negative consensus", "0", "-0.10", D("100")),
    ],
)
def test_surprise_pct(name, actual, consensus, expected):
    assert surprise_pct(D(actual), D(consensus)) == expected, name


def test_surprise_is_exact():
    assert surprise(D("777.7E6"), D("640.07E6")) == D("137.63E6")


@pytest.mark.parametrize(
    "name, actual, consensus, direction, exponent, expected",
    [
        ("beat", "0.45", "0.30", HIGHER, -2, Outcome.BEAT),
        ("miss by a cent", "1.95", "1.97", HIGHER, -2, Outcome.MISS),
        ("equal", "1.22", "1.22", HIGHER, -2, Outcome.INLINE),
        ("equal at the coarser precision", "213.39", "213.4", HIGHER, -1, Outcome.INLINE),
        ("not equal at the finer precision", "213.39", "213.4", HIGHER, -2, Outcome.MISS),
        ("cost below consensus beats", "90", "100", LOWER, 0, Outcome.BEAT),
        ("cost above consensus misses", "110", "100", LOWER, 0, Outcome.MISS),
        ("neutral above", "200", "146.6", NEUTRAL, 0, Outcome.ABOVE),
        ("neutral below", "100", "146.6", NEUTRAL, -1, Outcome.BELOW),
        ("negative values", "-0.05", "-0.10", HIGHER, -2, Outcome.BEAT),
    ],
)
def test_outcome(name, actual, consensus, direction, exponent, expected):
    assert outcome(D(actual), D(consensus), direction, exponent) is expected, name


def test_band_makes_a_small_difference_in_line():
    assert outcome(D("1.96"), D("1.97"), HIGHER, -2, Band(D("0.01"))) is Outcome.INLINE
    assert outcome(D("1.95"), D("1.97"), HIGHER, -2, Band(D("0.01"))) is Outcome.MISS
    assert outcome(D("100.4"), D("100"), HIGHER, -1, Band(D("0.5"), relative=True)) is Outcome.INLINE
    assert outcome(D("100.6"), D("100"), HIGHER, -1, Band(D("0.5"), relative=True)) is Outcome.BEAT
    assert outcome(D("1"), D("0"), HIGHER, 0, Band(D("0.5"), relative=True)) is Outcome.BEAT


def test_same_at_precision_rounds_half_even():
    assert same_at_precision(D("0.125"), D("0.12"), -2)
    assert not same_at_precision(D("0.135"), D("0.13"), -2)


def test_guidance_midpoint_and_stance():
    assert midpoint(D("3.1E9"), D("3.3E9")) == D("3.2E9")
    assert midpoint(D("1.33"), D("1.48")) == D("1.405")
    assert stance(D("3.2E9"), D("2.577E9"), HIGHER, 6) is Stance.POSITIVE
    assert stance(D("18.75E9"), D("22.18E9"), HIGHER, 7) is Stance.NEGATIVE
    assert stance(D("200E9"), D("146.6E9"), NEUTRAL, 8) is Stance.ABOVE
    assert stance(D("1.12"), D("1.12"), HIGHER, -2) is Stance.INLINE


def test_revision_against_prior_guidance():
    assert revision(D("12.3E12"), D("12.0E12"), 11) is Revision.RAISED
    assert revision(D("11.9E12"), D("12.0E12"), 11) is Revision.LOWERED
    assert revision(D("12.0E12"), D("12.0E12"), 11) is Revision.MAINTAINED


@pytest.mark.parametrize(
    "current, prior, expected",
    [
        ("110", "100", D("10")),
        ("90", "100", D("-10")),
        ("5", "0", None),
        ("5", "-2", None),
    ],
)
def test_growth_pct(current, prior, expected):
    assert growth_pct(D(current), D(prior)) == expected
