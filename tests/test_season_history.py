"""The season against its history, on the generated set of 40 companies over 8 seasons (bench/synth.py).

Every expected number below is worked out by hand from the pattern bench/synth.py describes, not by the code:
company i is in sector (i // 10) % 4 (IT, Health Care, Financials, Energy) at place j = i % 10; in quarter q (0 the
latest) with b = BEATS[q] = 6, 8, 7, 6, 5, 7, 8, 9, EPS beats (1.10 against 1.00) for j < b, is in line for j = 9
and misses (0.90) otherwise; companies with i % 4 == 3 are still to report in q = 0.
"""

import datetime as dt
import importlib.util
import re
from decimal import Decimal as D

import pytest
from conftest import REPO

from scorecards.build.corpus import load_all
from scorecards.compute.season import build_seasons, year_ago_period
from scorecards.settings import Settings


def _synth():
    spec = importlib.util.spec_from_file_location("synth", REPO / "bench" / "synth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seasons") / "inputs"
    _synth().generate_seasons(folder, 40, 8)
    loaded = load_all(Settings(inputs=folder))
    assert all(not item.errors for item in loaded), [p for item in loaded for p in item.errors]
    return [item.card for item in loaded]


@pytest.fixture(scope="module")
def season(cards):
    seasons = build_seasons(cards)
    assert [s.quarter.label for s in seasons] == ["Q4 2025"]  # every company's latest quarter is in it
    return seasons[0]


def close(value, expected, places=12):
    return value is not None and abs(value - D(expected)) < D(10) ** -places


def test_companies_still_to_report_are_counted_as_such(season):
    # i % 4 == 3: 3, 7, 11, ..., 39: ten of forty
    assert len(season.rows) == 40 and len(season.reported) == 30
    assert [r.card.company.ticker for r in season.to_report] == [
        "S039",  # scheduled 2026-02-03, before the data date: overdue
        "S003",
        "S007",
        "S011",
        "S015",
        "S019",
        "S023",
        "S027",
        "S031",
        "S035",
    ]
    assert season.reported_share == D(75)
    assert season.data_date == dt.date(2026, 2, 4)  # the scheduled dates are not dates the data is as of
    # within seven days after 4 February: 5 (S003) to 11 February (S027); S031 (12th) and S035 (13th) are later
    assert [r.card.company.ticker for r in season.upcoming] == ["S003", "S007", "S011", "S015", "S019", "S023", "S027"]
    assert [r.card.company.ticker for r in season.overdue] == ["S039"]


def test_the_season_itself(season):
    o = season.overall
    # reported, by sector: IT j in {0,1,2,4,5,6,8,9}: 5 beats (j < 6), 1 in line (j = 9), 2 misses (6, 8);
    # Health Care j in {0,2,3,4,6,7,8}: 4 beats, 3 misses; Financials as IT, Energy as Health Care
    assert (o.eps.above, o.eps.equal, o.eps.below) == (18, 2, 10)
    assert o.revenue.above == 30 and o.revenue.n == 30  # every reported company 2% above
    assert close(o.eps_surprise.value, D(80) / 30)  # (18 × 10% - 10 × 10%) / 30
    # guidance positive for j < 4: three reported companies in each sector
    assert (o.guidance.above, o.guidance.below, o.guidance_companies) == (12, 18, 30)
    assert o.reaction_after_beat.value == D(1) and o.reaction_after_miss.value == D(-1)


def test_averages_over_the_last_4_and_20_seasons(season):
    h = season.history
    assert [p.quarter.label for p in h.earlier] == [
        "Q3 2025",
        "Q2 2025",
        "Q1 2025",
        "Q4 2024",
        "Q3 2024",
        "Q2 2024",
        "Q1 2024",
    ]
    # EPS beat rate per earlier season: 10 × b = 80, 70, 60, 50 | 70, 80, 90
    assert h.eps_beat.current == D(60) and h.eps_beat.n == 30
    assert h.eps_beat.last4.value == D(65) and h.eps_beat.last4.seasons == 4 and h.eps_beat.last4.companies == 40
    assert close(h.eps_beat.last20.value, D(500) / 7) and h.eps_beat.last20.seasons == 7
    assert h.eps_beat.versus(h.eps_beat.last4) == D(-5)
    # revenue beats for j <= b: 90, 80, 70, 60 | 80, 90, 100
    assert h.revenue_beat.current == D(100)
    assert h.revenue_beat.last4.value == D(75)
    assert close(h.revenue_beat.last20.value, D(570) / 7)
    # mean EPS surprise: (4b × 10 - 4(9 - b) × 10) / 40 = 2b - 9: 7, 5, 3, 1 | 5, 7, 9
    assert h.eps_surprise.last4.value == D(4)
    assert close(h.eps_surprise.last20.value, D(37) / 7)
    # guidance items, positive for j < b - 2: 4(b - 2) = 24, 20, 16, 12 | 20, 24, 28; negative 40 minus that
    assert h.guidance_positive.current == D(12) and h.guidance_negative.current == D(18)
    assert h.guidance_positive.last4.value == D(18) and h.guidance_negative.last4.value == D(22)
    assert close(h.guidance_positive.last20.value, D(144) / 7)
    assert close(h.guidance_negative.last20.value, D(136) / 7)
    # reaction after a beat: q + 1 = 2, 3, 4, 5 | 6, 7, 8
    assert h.reaction_beat.last4.value == D("3.5") and h.reaction_beat.last20.value == D(5)


def test_a_season_with_too_few_companies_is_left_out_of_an_average(season):
    # misses per earlier season: 4(9 - b) = 4, 8, 12, 16 | 8, 4, 0. Under five companies (the default minimum),
    # Q3 2025 (4), Q2 2024 (4) and Q1 2024 (none) do not count: the last four rest on Q2 2025 to Q4 2024 (-3, -4, -5)
    miss = season.history.reaction_miss
    assert miss.current == D(-1) and miss.n == 10
    assert miss.last4.value == D(-4) and miss.last4.seasons == 3
    assert miss.last4.companies == 16  # j = 5 to 8 in each sector missed in Q4 2024
    assert miss.last20.value == D("-4.5") and miss.last20.seasons == 4  # -3, -4, -5, -6


def test_an_average_on_too_few_seasons_is_left_out(cards):
    (season,) = build_seasons(cards, min_seasons=5, min_companies=5)
    h = season.history
    assert h.eps_beat.last4.value is None and h.eps_beat.last4.seasons == 4  # says how many there are
    assert close(h.eps_beat.last20.value, D(500) / 7)
    assert h.reaction_miss.last20.value is None and h.reaction_miss.last20.seasons == 4


def test_blended_growth_with_each_sectors_contribution(season):
    # EPS, year ago (Q4 2024, b = 5), per sector: 5 × 1.10 + 4 × 0.90 + 1.00 = 10.1; overall 40.4.
    # This season, per sector: IT 5 × 1.10 + 1.00 + 2 × 0.90 = 8.3 reported + 2 × 1.00 to report = 10.3;
    # Health Care 4 × 1.10 + 3 × 0.90 = 7.1 + 3 × 1.00 = 10.1; Financials as IT, Energy as Health Care: 40.8
    eps = season.eps_growth
    assert eps.overall.current == D("40.8") and eps.overall.year_ago == D("40.4")
    assert close(eps.overall.growth, D("0.4") / D("40.4") * 100)  # 0.990%
    sectors = {g.name: g for g in eps.sectors}
    assert close(sectors["Information Technology"].growth, D("0.2") / D("10.1") * 100)  # 1.98%
    assert close(sectors["Information Technology"].contribution, D("0.2") / D("40.4") * 100)  # 0.495 pp
    assert sectors["Health Care"].growth == 0 and sectors["Energy"].contribution == 0
    assert (sectors["Health Care"].companies, sectors["Health Care"].estimated) == (10, 3)
    assert eps.overall.estimated == 10 and not eps.left_out
    # Revenue: year ago the base (4, 2, 1, 3B) × 10 companies; now 1.1 × base × (1.02 × reported + to report)
    revenue = {g.name: g for g in season.revenue_growth.sectors}
    assert revenue["Information Technology"].current == D("44.704E9")  # 4.4 × (8 × 1.02 + 2)
    assert revenue["Health Care"].current == D("22.308E9")  # 2.2 × (7 × 1.02 + 3)
    assert close(revenue["Information Technology"].growth, D("11.76"))
    assert close(revenue["Health Care"].growth, D("11.54"))
    assert close(revenue["Energy"].contribution, D("3.462"))  # 33.462B - 30B of 100B
    overall = season.revenue_growth.overall
    assert overall.year_ago == D("100E9") and close(overall.growth, D("11.65"))
    assert close(sum(g.contribution for g in revenue.values()), overall.growth)


def test_year_ago_period():
    assert year_ago_period("Q1 FY2026") == "Q1 FY2025"
    assert year_ago_period("H1 FY2026") is None


def test_the_examples_hold_one_season_and_alphabets_filing_quarters():
    cards = [item.card for item in load_all(Settings(inputs=REPO / "inputs"))]
    (season,) = build_seasons(cards)
    h = season.history
    # the only earlier quarters are Alphabet's, taken from its filing, with no consensus: no average can be made
    assert [(p.quarter.label, [r.card.company.ticker for r in p.rows]) for p in h.earlier] == [
        ("Q3 2025", ["GOOGL"]),
        ("Q2 2025", ["GOOGL"]),
        ("Q1 2025", ["GOOGL"]),
        ("Q4 2024", ["GOOGL"]),
    ]
    assert h.eps_beat.last4.value is None and h.eps_beat.last4.seasons == 0 and not h.averaged
    assert not season.to_report and season.reported_share == 100
    # blended revenue growth rests on Alphabet alone: 113.8B against its filing's Q4 2024, 96.469B
    revenue = season.revenue_growth.overall
    assert (revenue.companies, revenue.current, revenue.year_ago) == (1, D("113.8E9"), D("96469000000"))
    assert "GOOGL" not in season.revenue_growth.left_out and "AMZN" in season.revenue_growth.left_out
    assert season.eps_growth.overall.companies == 0


TO_REPORT = """\
company: {name: Example, ticker: EXM, sector: Energy, currency: USD, fiscal_year_end: "12-31"}
sources: {pr: {publisher: Example, title: Results}}
quarters:
  - period: Q4 FY2025
    period_end: 2025-12-31
REPORTED    source: pr
    results:
      revenue: {consensus: 1.2B}
REACTION"""


def _problems(text):
    from scorecards.errors import InputError
    from scorecards.load.validate import validate, warnings_for
    from scorecards.load.yaml import parse_yaml

    doc = parse_yaml(text.encode(), "exm.yaml")
    try:
        card = validate(doc)
    except InputError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in warnings_for(doc, card)]


def test_a_quarter_to_report_validates_with_its_scheduled_date():
    assert _problems(TO_REPORT.replace("REPORTED", "    reported: 2026-02-20\n").replace("REACTION", "")) == []
    # without a date it is neither reported nor to report: a warning says what to write
    (warning,) = _problems(TO_REPORT.replace("REPORTED", "").replace("REACTION", ""))
    assert warning.startswith("exm.yaml:8:7: warning: quarters[0].results: no result has an actual, and the quarter")
    # a reaction to results not yet out is an error
    (error,) = _problems(
        TO_REPORT.replace("REPORTED", "    reported: 2026-02-20\n").replace(
            "REACTION", "    reaction: {window: 1-day, change: +2%}\n"
        )
    )
    assert "quarters[0].reaction: a quarter still to report" in error


def test_beat_rate_chart_by_season(season):
    from scorecards.render.charts import beat_rate_bars

    chart = beat_rate_bars(season, "eps_beat")
    assert [(b.quarter.label, b.value, b.n, b.current) for b in chart.bars[:3]] == [
        ("Q4 2025", D(60), 30, True),
        ("Q3 2025", D(80), 40, False),
        ("Q2 2025", D(70), 40, False),
    ]
    assert len(chart.bars) == 8
    assert [(line.window, line.seasons) for line in chart.lines] == [(4, 4), (20, 7)]
    assert chart.lines[0].x == chart.axis.x(D(65)) and chart.bars[0].x == chart.axis.x(D(60))


def test_growth_chart_by_sector(season):
    from scorecards.render.charts import growth_bars

    chart = growth_bars(season)
    assert [b.label for b in chart.bars] == [
        "Energy",
        "Financials",
        "Health Care",
        "Information Technology",
        "All companies",
    ]
    energy = chart.bars[0]
    assert energy.eps == 0 and energy.eps_x == (chart.zero, chart.zero)
    assert close(energy.revenue, D("11.54")) and energy.revenue_x[1] == chart.axis.x(energy.revenue)
    assert chart.bars[-1].total and not energy.total


def test_the_summary_says_what_the_examples_cannot_show(tmp_path):
    from scorecards.render.templates import make_env, render_season

    cards = [item.card for item in load_all(Settings(inputs=REPO / "inputs"))]
    html = render_season(make_env(Settings(templates=REPO / "templates")), build_seasons(cards), cards)
    # Alphabet's filing quarters have no consensus: no average, and no empty columns
    assert "The files hold 4 earlier seasons in the last 20 calendar quarters, but none has enough" in html
    assert "Average, last 4 seasons" not in html
    assert 'Blended revenue growth: +18.0% <span class="sub">(1 company)</span>' in html
    assert "Revenue growth leaves out, for want of a figure this season or a year ago: AMZN, BE, COHR" in html
    assert "Still to report" not in html


def test_past_the_setting_the_pdf_lists_who_reports_by_day_and_time(tmp_path):
    """Past season_table_max_companies the summary's PDF gives the companies still to report as each day's tickers,
    by when they report: before the open, during trading, after the close, then those whose time is not given. The
    page keeps a row for each company, with its consensus figures."""
    from scorecards.render.templates import make_env, render_season

    folder = tmp_path / "inputs"
    _synth().generate_seasons(folder, 40, 8)
    # S003 and S007 both on 5 February; S007 before the open, S015 (8 February) with no time given
    for name, old, new in (
        (
            "season-0007.yaml",
            "reported: 2026-02-06\n    timing: after-close",
            "reported: 2026-02-05\n    timing: before-open",
        ),
        ("season-0015.yaml", "reported: 2026-02-08\n    timing: after-close\n", "reported: 2026-02-08\n"),
    ):
        text = (folder / name).read_text()
        assert text.count(old) == 1
        (folder / name).write_text(text.replace(old, new))
    cards = [item.card for item in load_all(Settings(inputs=folder))]
    (season,) = [s for s in build_seasons(cards) if s.upcoming]
    assert [
        (day.isoformat(), when and when.value, [r.card.company.ticker for r in rows])
        for day, when, rows in season.schedule
    ] == [
        ("2026-02-03", "after-close", ["S039"]),  # overdue
        ("2026-02-05", "before-open", ["S007"]),
        ("2026-02-05", "after-close", ["S003"]),
        ("2026-02-07", "after-close", ["S011"]),
        ("2026-02-08", None, ["S015"]),
        ("2026-02-09", "after-close", ["S019"]),
        ("2026-02-10", "after-close", ["S023"]),
        ("2026-02-11", "after-close", ["S027"]),
    ]
    settings = Settings(templates=REPO / "templates", season_table_max_companies=39)
    pdf = render_season(make_env(settings), (season,), cards, for_pdf=True)
    rows = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td>(.*?)</td>", pdf)
    assert rows == [
        ("3 Feb 2026", "date passed, no results recorded", "<b>1</b> · S039"),
        ("5 Feb 2026", "before the open", "<b>1</b> · S007"),
        ("5 Feb 2026", "after the close", "<b>1</b> · S003"),
        ("7 Feb 2026", "after the close", "<b>1</b> · S011"),
        ("8 Feb 2026", "time not given", "<b>1</b> · S015"),
        ("9 Feb 2026", "after the close", "<b>1</b> · S019"),
        ("10 Feb 2026", "after the close", "<b>1</b> · S023"),
        ("11 Feb 2026", "after the close", "<b>1</b> · S027"),
    ]
    assert "each one's name and consensus figures are in the web page of this summary, season.html" in pdf
    page = render_season(make_env(settings), (season,), cards)
    assert 'class="schedule"' not in page and page.count("Season Company 0") >= 8  # a row for each company
    assert 'class="schedule"' not in render_season(
        make_env(Settings(templates=REPO / "templates")), (season,), cards, for_pdf=True
    )


def test_the_summary_shows_the_panel_in_chinese(cards):
    from scorecards.i18n import load_language
    from scorecards.render.templates import make_env, render_season

    settings = Settings(locale=REPO / "locale", templates=REPO / "templates")
    html = render_season(make_env(settings, load_language(settings.locale, "zh-Hant")), build_seasons(cards), cards)
    assert "主要指標" in html and "最近4個業績期平均" in html and "65.0%" in html
    assert "+11.7%" in html  # blended revenue growth, 11.65% to one place


def test_key_metrics_go_into_the_workbook_and_json_as_columns(season, tmp_path):
    import io
    import json

    import pandas as pd

    from scorecards.render.exports import key_metric_rows, summary_rows, to_json, to_xlsx

    keys = key_metric_rows((season,))
    data = json.loads(to_json([], [], keys))
    (row,) = data["key_metrics"]
    assert (row["season"], row["companies"], row["reported"], row["to_report"], row["reported_pct"]) == (
        "Q4 2025",
        40,
        30,
        10,
        75,
    )
    assert row["eps_above_pct"] == 60 and row["eps_above_pct_avg4"] == 65 and row["eps_above_pct_avg4_seasons"] == 4
    assert row["reaction_after_miss_pct_avg4"] == -4 and row["reaction_after_miss_pct_avg4_seasons"] == 3
    assert abs(row["revenue_blended_growth_pct"] - 11.65) < 1e-9 and row["revenue_blended_at_consensus"] == 10
    sheet = pd.read_excel(io.BytesIO(to_xlsx(summary_rows((season,)), [], None, keys)), sheet_name="Key metrics")
    assert (
        sheet.loc[0, "eps_above_pct_avg20_seasons"] == 7 and abs(sheet.loc[0, "eps_above_pct_avg20"] - 500 / 7) < 1e-9
    )
    statuses = {r["ticker"]: r["status"] for r in summary_rows((season,))}
    assert statuses["S003"] == "to report" and statuses["S000"] == "reported"


def test_the_consensus_behind_a_figure_and_its_move_over_the_quarter(cards):
    s000 = next(c for c in cards if c.company.ticker == "S000")
    eps = next(f for f in s000.quarters[0].figures if f.metric.key == "eps_adjusted")
    h = eps.consensus_history
    # j = 0, q = 0: 1.25 on 1 October 2025, 1.00 the day before the report; 2 estimates, 0.95 to 1.05
    assert [(p.as_of, p.mean.number) for p in h.points] == [
        (dt.date(2025, 10, 1), D("1.25")),
        (dt.date(2026, 1, 28), D("1.00")),
    ]
    assert h.revision_pct == D(-20) and h.provider == "Synthetic"
    assert (h.estimates, h.low.number, h.high.number, h.thin) == (2, D("0.95"), D("1.05"), True)
    s005 = next(c for c in cards if c.company.ticker == "S005")  # j = 5: 7 estimates, no move
    h5 = next(f for f in s005.quarters[0].figures if f.metric.key == "eps_adjusted").consensus_history
    assert h5.revision_pct == 0 and h5.estimates == 7 and not h5.thin
    # Q3 2025 (q = 1) of S000: 1.00 on 1 July, 1.00 before its report
    assert (
        next(f for f in s000.quarters[1].figures if f.metric.key == "eps_adjusted").consensus_history.revision_pct == 0
    )


def test_the_revision_of_the_eps_estimate_against_earlier_seasons(season):
    # half the companies (even j) move by -20% (q % 3 == 0), 0% or +25% (q % 3 == 2), the others not at all:
    # the mean is -10%, 0 or +12.5%. This season, all 40 (those still to report too): -10%.
    r = season.history.eps_revision
    assert r.current == D(-10) and r.n == 40
    assert r.last4.value == D("0.625") and r.last4.seasons == 4  # 0, +12.5, -10, 0
    assert close(r.last20.value, D(5) / 7)  # 0, +12.5, -10, 0, +12.5, -10, 0


def test_the_reaction_measured_from_closing_prices(cards):
    # S000 beat on 29 January after the close: day 0 is Friday 30 January; the standard window runs from the close
    # two trading days before (Wednesday 28th, 100.00) to the second reacting day's (Monday 2 February, 102.00)
    s000 = next(c for c in cards if c.company.ticker == "S000")
    r = s000.quarters[0].price_reaction
    assert (r.day0, r.start, r.end) == (dt.date(2026, 1, 30), dt.date(2026, 1, 28), dt.date(2026, 2, 2))
    assert (r.change, r.one_day, r.index, r.index_change, r.relative) == (D(2), D(1), "SPX", D(1), D(1))
    assert r.check == "agrees"  # typed +1.0% over one day: 100.00 to 101.00
    s006 = next(c for c in cards if c.company.ticker == "S006")  # j = 6: a miss, -1% then -2%
    assert (s006.quarters[0].price_reaction.change, s006.quarters[0].price_reaction.relative) == (D(-2), D(-3))
    # Q1 FY2024 of S000, reported Sunday 5 May 2024: day 0 is Monday 6th, beat by 8%: 2 x 8 = 16%
    old = s000.quarters[7].price_reaction
    assert (old.day0, old.change, old.index_change) == (dt.date(2024, 5, 6), D(16), D(0))
    assert s000.data_date == dt.date(2026, 2, 4)


def test_reactions_from_prices_against_earlier_seasons(season):
    h = season.history
    # this season: 18 beats at +2%, 10 misses at -2%; the index rose 1% over the same closes
    assert (h.price_beat.current, h.price_beat.n, h.price_miss.current, h.price_miss.n) == (D(2), 18, D(-2), 10)
    assert (h.relative_beat.current, h.relative_miss.current) == (D(1), D(-3))
    # earlier seasons: 2(q + 1) = 4, 6, 8, 10 | 12, 14, 16 after beats; misses only where five or more (q = 2..5)
    assert h.price_beat.last4.value == D(7) and h.price_beat.last20.value == D(10)
    assert h.price_miss.last4.value == D(-8) and h.price_miss.last4.seasons == 3
    assert h.price_miss.last20.value == D(-9) and h.price_miss.last20.seasons == 4
    assert h.relative_beat.last4.value == D(7)  # the index did not move in earlier windows


def test_a_typed_reaction_the_prices_contradict_is_a_warning(tmp_path):
    folder = tmp_path / "inputs"
    _synth().generate_seasons(folder, 1, 2)
    path = folder / "season-0000.yaml"
    path.write_text(path.read_text().replace("change: +1.0%", "change: +5.0%", 1))
    (item,) = load_all(Settings(inputs=folder))
    (warning,) = [p for p in item.problems if p.warning]
    assert str(warning).startswith(f"{path}:")
    assert "quarters[0].reaction.change: 5.0% differs from the closing prices in" in str(warning)
    assert "S000.csv: +1.00% over the 1-day window" in str(warning)
    assert item.card.quarters[0].price_reaction.check == "differs"


def test_bad_price_files_are_located(tmp_path):
    from scorecards.sources.prices import read_prices

    path = tmp_path / "X.csv"
    path.write_text("date,close\n2026-02-02,100\n02/03/2026,101\n2026-02-04,-3\n2026-02-02,99\n")
    prices, problems = read_prices(path)
    assert prices is None
    assert [str(p) for p in problems] == [
        f"{path}:3: date: '02/03/2026' is not a date in the form YYYY-MM-DD",
        f"{path}:4: close: '-3' is not a positive price",
        f"{path}:5: date: 2026-02-02 appears twice (also line 2)",
    ]


def test_the_panel_marks_approximate_reactions_in_the_examples():
    cards = [item.card for item in load_all(Settings(inputs=REPO / "inputs"))]
    (season,) = build_seasons(cards)
    beat = season.history.reaction_beat
    # BE +10.5% after hours, SITM "more than 10%" pre-market: 10.25 on two, one approximate (as the table says)
    assert (beat.current, beat.n, beat.approximate) == (D("10.25"), 2, 1)
    assert season.history.eps_beat.approximate == 0


def test_blended_growth_never_adds_yen_without_a_rate(tmp_path):
    from scorecards.sources.fx import Rates

    folder = tmp_path / "inputs"
    _synth().generate_seasons(folder, 2, 8)
    path = folder / "season-0001.yaml"
    path.write_text(path.read_text().replace("currency: USD", "currency: JPY"))
    cards = [item.card for item in load_all(Settings(inputs=folder))]
    (season,) = build_seasons(cards)
    revenue = season.revenue_growth
    assert revenue.unconverted == ("S001",) and revenue.overall.companies == 1
    assert revenue.overall.current == D("4.488E9")  # S000 alone: 4.4B × 1.02
    (season,) = build_seasons(cards, Rates("USD", dt.date(2026, 2, 4), "test", {"JPY": D("0.0065")}))
    revenue = season.revenue_growth
    assert not revenue.unconverted and revenue.overall.companies == 2
    # S001's 4.488B yen at 0.0065: 29.172M dollars now, 26M a year ago
    assert revenue.overall.current == D("4.488E9") + D("29.172E6")
    assert revenue.overall.year_ago == D("4E9") + D("26E6")


def test_a_company_to_report_says_so_on_its_page(cards):
    from scorecards.render.templates import make_env, render_company

    s003 = next(c for c in cards if c.company.ticker == "S003")
    html = render_company(make_env(Settings(templates=REPO / "templates")), s003)
    assert "To report: scheduled for 5 Feb 2026" in html and "Reported 5 Feb 2026" not in html
