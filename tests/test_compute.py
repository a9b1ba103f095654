"""Derived figures and verdicts, computed from small YAML texts."""

import textwrap
from decimal import Decimal

from scorecards.compute.company import build_scorecard
from scorecards.load.validate import validate
from scorecards.load.yaml import parse_yaml
from scorecards.model.metrics import Outcome, Revision, Stance
from scorecards.render.filters import amount, verdict
from scorecards.settings import Settings

HEAD = """\
company: {name: Example Corp, ticker: EXM, sector: Industrials, currency: USD, fiscal_year_end: "12-31"}
sources:
  pr: {publisher: Example Corp, title: Results, date: 2026-02-05}
  wsj: {publisher: WSJ, title: Story, date: 2026-02-06}
quarters:
  - period: Q4 FY2025
    period_end: 2025-12-31
    reported: 2026-02-05
    source: pr
"""


def card(body, settings=Settings()):
    text = HEAD + textwrap.indent(textwrap.dedent(body), "    ")
    doc = parse_yaml(text.encode(), "test.yaml")
    return build_scorecard("exm", validate(doc), settings)


def test_bloom_energy_figures_and_verdict():
    c = card("""
        results:
          revenue:      {actual: 777.7M, consensus: 640.07M, growth_yoy: 35.9%}
          eps_adjusted: {actual: 0.45, consensus: 0.30}
        guidance:
          - {metric: revenue, period: FY2026, low: 3.1B, high: 3.3B, consensus: 2.577B}
          - {metric: eps_adjusted, period: FY2026, low: 1.33, high: 1.48, consensus: 1.12}
    """)
    q = c.latest
    revenue, eps = q.figures
    assert amount(revenue.surprise, signed=True) == "+$137.63M"
    assert round(revenue.surprise_pct, 1) == Decimal("21.5")
    assert revenue.outcome is Outcome.BEAT and eps.outcome is Outcome.BEAT
    assert amount(eps.surprise, signed=True) == "+$0.15"
    rev_guide, eps_guide = q.guidance
    assert amount(rev_guide.midpoint) == "$3.2B"
    assert amount(eps_guide.midpoint) == "$1.405"
    assert rev_guide.stance is Stance.POSITIVE and eps_guide.stance is Stance.POSITIVE
    assert (q.tally.beat, q.tally.inline, q.tally.miss) == (2, 0, 0)
    assert verdict(q) == "Beat on revenue and EPS (non-GAAP); FY2026 guidance above consensus"


def test_amazon_style_mixed_verdict_with_neutral_capex():
    c = card("""
        results:
          revenue: {actual: 213.39B, consensus: 211.4B}
          eps_gaap: {actual: 1.95, consensus: 1.97}
        guidance:
          - {metric: operating_income, period: Q1 FY2026, low: 16.0B, high: 21.5B, consensus: 22.18B}
          - {metric: revenue, period: Q1 FY2026, low: 173.5B, high: 178.5B, consensus: 175.5B}
          - {metric: capex, period: FY2026, value: ~200B, consensus: ~146.6B}
    """)
    q = c.latest
    assert [g.stance for g in q.guidance] == [Stance.NEGATIVE, Stance.POSITIVE, Stance.ABOVE]
    assert verdict(q) == (
        "Beat on revenue; missed on EPS (GAAP); Q1 FY2026 guidance mixed "
        "(operating income below and revenue above); FY2026 capital expenditure guidance above consensus"
    )


def test_in_line_at_written_precision():
    c = card("""
        results:
          revenue: {actual: 213.39B, consensus: 213.4B}
          eps_adjusted: {actual: 1.22, consensus: 1.22}
    """)
    assert [f.outcome for f in c.latest.figures] == [Outcome.INLINE, Outcome.INLINE]
    assert verdict(c.latest) == "In line on revenue and EPS (non-GAAP)"


def test_configured_band_makes_in_line():
    settings = Settings(inline_band={"per_share": "0.02"})
    c = card("results:\n  eps_gaap: {actual: 1.95, consensus: 1.97}\n", settings)
    assert c.latest.figures[0].outcome is Outcome.INLINE


def test_missing_consensus_is_none_not_zero():
    c = card("results:\n  revenue: {actual: 113.8B, growth_yoy: 17%}\n")
    fig = c.latest.figures[0]
    assert fig.consensus is None and fig.surprise is None and fig.surprise_pct is None
    assert fig.outcome is Outcome.NONE
    assert verdict(c.latest) == "No figures against consensus in the sources"


def test_sign_flip_is_nm():
    c = card("results:\n  eps_gaap: {actual: -0.05, consensus: 0.10}\n")
    fig = c.latest.figures[0]
    assert fig.surprise_nm and fig.surprise_pct is None
    assert fig.outcome is Outcome.MISS


def test_growth_computed_from_prior_year_is_flagged():
    c = card(
        "results:\n  revenue: {actual: 128B, prior_year: 100B}\n"
        "  operating_margin: {actual: 13.9%, prior_year: 11.5%}\n"
    )
    revenue, margin = c.latest.figures
    assert revenue.growth_computed and revenue.growth_yoy.amount.value == Decimal("28")
    assert amount(margin.change_yoy, signed=True) == "+2.4 pp"


def test_prior_guidance_raised_and_sources_cited_in_order():
    c = card("""
        guidance:
          - {metric: revenue, period: FY2025, value: 12.3T, prior: 12.0T, source: wsj}
        results:
          revenue: {actual: 3.714T}
    """)
    assert c.latest.guidance[0].revision is Revision.RAISED
    assert [(s.number, s.id) for s in c.citations] == [(1, "pr"), (2, "wsj")]


def test_sources_that_differ_are_both_kept():
    c = card("kpis:\n  capex_fy2025: {value: 128B, label: Capex FY2025, also: [{source: wsj, value: 125B}]}\n")
    (row,) = c.latest.disagreements
    assert amount(row.alternative.value) == "$125B"
    assert amount(row.alternative.difference, signed=True) == "−$3B"
    assert row.alternative.cite == 2


def test_percent_surprise_is_in_points_without_a_percentage():
    c = card("results:\n  operating_margin: {actual: 35.03%, consensus: 33.98%}\n")
    fig = c.latest.figures[0]
    assert amount(fig.surprise, signed=True) == "+1.05 pp"
    assert fig.surprise_pct is None and not fig.surprise_nm


def test_scorecard_is_immutable():
    import dataclasses

    import pytest

    c = card("results:\n  revenue: {actual: 1B}\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.latest.figures[0].outcome = Outcome.BEAT  # type: ignore[misc]
