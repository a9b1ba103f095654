"""Numbers written one way everywhere: the data files carry exact amounts and the surprise % the page shows, a
stock's reaction reads the same in the season table as on its scorecard, percentage points are one unit."""

import csv
import io
import re
import textwrap
from decimal import Decimal

from conftest import REPO

from scorecards.build.corpus import cards_only, load_all
from scorecards.compute.company import build_scorecard
from scorecards.compute.season import build_seasons
from scorecards.load.validate import validate
from scorecards.load.yaml import parse_yaml
from scorecards.render.exports import COLUMNS, card_lines, summary_rows
from scorecards.render.filters import percent
from scorecards.render.templates import make_env, render_company, render_season
from scorecards.settings import Settings

EXAMPLE = """\
company: {name: Example Corp, ticker: EXM, sector: Industrials, currency: USD, fiscal_year_end: "12-31"}
sources:
  pr: {publisher: Example Corp, title: Results, date: 2026-02-05}
quarters:
  - period: Q4 FY2025
    period_end: 2025-12-31
    reported: 2026-02-05
    source: pr
    results:
      revenue: {actual: 777.7M, consensus: 640.07M}
      eps_adjusted: {actual: 0.45, consensus: 0.31}
      operating_income: {actual: 24.97B, outcome: beat}
    reaction: {window: after-hours, change: "<-10%"}
"""


def card(text=EXAMPLE):
    return build_scorecard("exm", validate(parse_yaml(textwrap.dedent(text).encode(), "exm.yaml")), Settings())


def rows(c):
    return {row["metric"]: row for row in csv.DictReader(io.StringIO(",".join(COLUMNS) + "\n" + card_lines(c).csv))}


def test_the_csv_carries_exact_amounts_and_the_surprise_percent_the_page_shows():
    c = card()
    revenue, eps = c.latest.figures[:2]
    assert len(str(revenue.surprise_pct)) > 20  # (777.7 - 640.07) / 640.07: the exact quotient runs on
    row = rows(c)["revenue"]
    assert (row["actual"], row["consensus"], row["surprise"]) == ("777700000", "640070000", "137630000")
    assert row["surprise_pct"] == "21.5" and percent(revenue.surprise_pct) == "+21.5%"
    assert rows(c)["eps_adjusted"]["surprise_pct"] == "45.2" and percent(eps.surprise_pct) == "+45.2%"
    season = summary_rows(build_seasons([c]))
    assert season[0]["revenue_surprise_pct"] == Decimal("21.5") and season[0]["eps_surprise_pct"] == Decimal("45.2")


def test_a_result_the_source_states_is_exported_as_per_source_without_a_surprise():
    row = rows(card())["operating_income"]
    assert row["outcome"] == "Beat (per source)"
    assert row["surprise_pct"] == "" and row["consensus"] == ""


def test_the_reaction_reads_the_same_in_the_season_table_as_on_the_scorecard():
    cards = [c for c in cards_only(load_all(Settings(inputs=REPO / "inputs"))) if c.slug == "amazon"]
    env = make_env(Settings(templates=REPO / "templates"))
    scorecard = render_company(env, cards[0])
    season = render_season(env, build_seasons(cards), cards)
    assert "Stock down more than 10% after hours" in scorecard
    assert re.search(r"down more than 10% <span class=\"sub\">after hours</span>", season)
    assert "&lt;−10%" not in season and "<−10%" not in season


def test_percentage_points_are_one_unit_on_a_page():
    c = card(
        EXAMPLE.replace(
            "    reaction:",
            "    segments:\n      - name: Services\n        results:\n"
            "          operating_margin: {actual: 41.9%, change_yoy: 280bp}\n    reaction:",
        )
    )
    page = render_company(make_env(Settings(templates=REPO / "templates")), c)
    assert "+2.80 pp" in page and " bp<" not in page
