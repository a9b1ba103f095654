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


# --- results the source states in words (outcome:), without a consensus figure ------------------


def test_a_result_stated_by_the_source_counts_as_a_beat_per_source_not_as_a_surprise():
    c = card("""
        results:
          revenue: {actual: 213.39B, outcome: beat, note: Above market expectations.}
          operating_income: {actual: 24.97B, outcome: beat}
          eps_gaap: {actual: 1.95, consensus: 1.97}
    """)
    q = c.latest
    revenue, operating, eps = q.figures
    assert revenue.outcome is Outcome.NONE and revenue.stated is Outcome.BEAT  # no computed outcome
    assert revenue.result is Outcome.BEAT and revenue.per_source
    assert revenue.surprise is None and revenue.surprise_pct is None  # never shown as a computed surprise
    assert eps.result is Outcome.MISS and not eps.per_source
    assert (q.tally.beat, q.tally.inline, q.tally.miss) == (2, 0, 1)
    assert (q.tally.stated_beat, q.tally.stated_miss, q.tally.stated) == (2, 0, 2)
    assert verdict(q) == "Beat on revenue and operating income per source; missed on EPS (GAAP)"


def test_a_verdict_with_both_judged_and_stated_beats_says_which_is_which():
    c = card("""
        results:
          revenue: {actual: 3.714T, outcome: beat}
          net_income: {actual: 377.32B, consensus: 348.2B}
          operating_income: {actual: 515.0B, outcome: miss}
    """)
    assert verdict(c.latest) == "Beat on net income, and on revenue per source; missed on operating income per source"


def test_guidance_items_that_disagree_make_the_headline_say_mixed():
    c = card("""
        results:
          eps_gaap: {actual: 1.95, consensus: 1.97}
        guidance:
          - {metric: revenue, period: Q1 FY2026, low: 173.5B, high: 178.5B, outcome: above}
          - {metric: operating_income, period: Q1 FY2026, low: 16.0B, high: 21.5B, consensus: 22.18B}
    """)
    revenue, operating = c.latest.guidance
    assert revenue.stance is Stance.NONE and revenue.stated is Stance.POSITIVE and revenue.per_source
    assert operating.stance is Stance.NEGATIVE
    assert verdict(c.latest) == (
        "Missed on EPS (GAAP); Q1 FY2026 guidance mixed (revenue above per source and operating income below)"
    )


def test_guidance_all_one_way_with_some_per_source_says_which():
    c = card("""
        guidance:
          - {metric: revenue, period: FY2026, value: 12.3T, outcome: above}
          - {metric: net_income, period: FY2026, value: 1.13T, consensus: 1.0T}
          - {metric: operating_expenses, period: FY2026, value: 1.0T, outcome: below}
    """)
    assert verdict(c.latest) == "FY2026 guidance above expectations (revenue and operating expenses per source)"


def test_a_stated_outcome_follows_the_metric_direction_and_neutral_metrics_are_above_or_below():
    c = card("""
        results:
          capex: {actual: 27.9B, outcome: above}
        guidance:
          - {metric: capex, period: FY2026, value: 200B, outcome: above}
    """)
    [capex] = c.latest.figures
    assert capex.result is Outcome.ABOVE and (c.latest.tally.above, c.latest.tally.stated_above) == (1, 1)
    [guide] = c.latest.guidance
    assert guide.result is Stance.ABOVE
    assert verdict(c.latest) == (
        "Capital expenditure above expectations per source; "
        "FY2026 capital expenditure guidance above expectations per source"
    )


def test_the_season_counts_per_source_results_as_a_group_of_their_own():
    from scorecards.compute.season import build_seasons

    stated = card("""
        results:
          revenue: {actual: 213.39B, outcome: beat}
          eps_gaap: {actual: 1.95, consensus: 1.97}
    """)
    judged = card("""
        results:
          revenue: {actual: 777.7M, consensus: 640.07M}
          eps_adjusted: {actual: 0.45, consensus: 0.30}
    """)
    [season] = build_seasons([stated, judged])
    assert (season.overall.revenue.above, season.overall.revenue.n) == (1, 1)  # only the one with a consensus
    assert (season.overall.eps.above, season.overall.eps.below) == (1, 1)
    assert (season.per_source.revenue.above, season.per_source.revenue.n) == (1, 1)
    assert season.per_source.eps.n == 0
    from conftest import REPO

    from scorecards.render.templates import make_env, render_season

    page = render_season(make_env(Settings(templates=REPO / "templates")), (season,), [stated, judged])
    assert "Revenue per source, without a consensus figure: 1 beat, 0 in line, 0 missed" in page
    assert "EPS per source" not in page
