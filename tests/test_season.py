"""The season view: grouping by calendar quarter, the aggregates (computed by hand here), capex, conversion."""

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.corpus import load_all, read_company
from scorecards.compute.season import build_seasons, calendar_quarter
from scorecards.errors import InputError
from scorecards.settings import Settings
from scorecards.sources.fx import load_rates


@pytest.mark.parametrize(
    "period_end, expected",
    [
        (dt.date(2025, 12, 31), "Q4 2025"),  # calendar year (Amazon), March year (Sony Q3), June year (Coherent Q2)
        (dt.date(2025, 12, 27), "Q4 2025"),  # a 52/53-week quarter ending late December
        (dt.date(2026, 1, 3), "Q4 2025"),  # ... or just after New Year
        (dt.date(2026, 3, 31), "Q1 2026"),  # Sony's Q4 FY2025
        (dt.date(2025, 9, 27), "Q3 2025"),
        (dt.date(2025, 6, 30), "Q2 2025"),
    ],
)
def test_calendar_quarter(period_end, expected):
    assert calendar_quarter(period_end).label == expected


@pytest.fixture(scope="module")
def season():
    settings = Settings(inputs=REPO / "inputs")
    cards = [item.card for item in load_all(settings)]
    (season,) = build_seasons(cards)
    return season


def test_every_example_is_in_the_q4_2025_season(season):
    assert season.label == "Q4 2025 season"
    assert [r.card.company.ticker for r in season.rows] == [
        "GOOGL",
        "AMZN",
        "BE",
        "COHR",
        "META",
        "MSFT",
        "SITM",
        "SONY",
    ]


def test_eps_and_revenue_splits_by_hand(season):
    o = season.overall
    # EPS with a consensus: AMZN 1.95 vs 1.97 (miss), BE 0.45 vs 0.30, COHR 1.29 vs 1.22, SITM 1.53 vs 1.21 (beats)
    assert (o.eps.above, o.eps.equal, o.eps.below, o.eps.n) == (3, 0, 1, 4)
    assert o.eps.share(o.eps.above) == D(75)
    # Revenue with a consensus: BE 777.7M vs 640.07M, SITM 113.3M vs 101.91M
    assert (o.revenue.above, o.revenue.equal, o.revenue.below) == (2, 0, 0)


def test_surprise_aggregates_by_hand(season):
    o = season.overall
    expected_eps = (
        (
            (D("1.95") - D("1.97")) / D("1.97")
            + (D("0.45") - D("0.30")) / D("0.30")
            + (D("1.29") - D("1.22")) / D("1.22")
            + (D("1.53") - D("1.21")) / D("1.21")
        )
        * 100
        / 4
    )
    assert abs(o.eps_surprise.value - expected_eps) < D("1e-20") and o.eps_surprise.n == 4
    expected_revenue = (D("777.7") + D("113.3") - D("640.07") - D("101.91")) / (D("640.07") + D("101.91")) * 100
    assert abs(o.revenue_surprise.value - expected_revenue) < D("1e-20")
    assert round(o.revenue_surprise.value, 2) == D("20.08")


def test_guidance_and_reactions_by_hand(season):
    o = season.overall
    # BE: revenue and EPS guidance above consensus; AMZN: Q1 operating income below; capex (neutral) not counted
    assert (o.guidance.above, o.guidance.equal, o.guidance.below, o.guidance_companies) == (2, 0, 1, 2)
    # after EPS beats: BE +10.5% after hours, SITM >10% pre-market; COHR has no reaction
    assert o.reaction_after_beat.value == D("10.25") and o.reaction_after_beat.n == 2
    assert o.reaction_after_beat.approximate == 1
    # after EPS misses: AMZN <-10% after hours; moves from a recent high (META, MSFT) are not reactions
    assert o.reaction_after_miss.value == D("-10") and o.reaction_after_miss.n == 1


def test_groups_by_sector(season):
    sectors = {g.name: g for g in season.sectors}
    assert sorted(sectors) == [
        "Communication Services",
        "Consumer Discretionary",
        "Industrials",
        "Information Technology",
    ]
    it = sectors["Information Technology"]
    assert it.companies == 3 and (it.eps.above, it.eps.n) == (2, 2)
    assert sectors["Consumer Discretionary"].eps.below == 1


def test_capex_table(season):
    rows = {r.card.company.ticker: r for r in season.capex}
    assert sorted(rows) == ["AMZN", "GOOGL", "META"]
    amzn = rows["AMZN"]
    assert amzn.guide.midpoint.number == D("200E9") and amzn.prior_year.number == D("128E9")
    assert amzn.guide.change.number == (D("200") - D("128")) / D("128") * 100
    assert rows["GOOGL"].guide.midpoint.number == D("180E9")
    assert not amzn.converted


def test_yen_is_never_added_without_a_rate(tmp_path):
    for name in ("bloom-energy.yaml", "sony.yaml"):
        (tmp_path / name).write_text((REPO / "tests/inputs/companies" / name).read_text())
    sony = tmp_path / "sony.yaml"
    sony.write_text(
        sony.read_text()
        .replace(
            "net_income: {actual: 377.32B, consensus: 348.2B}",
            "net_income: {actual: 377.32B, consensus: 348.2B}\n      eps_gaap: {actual: 62.10, consensus: 60.00}",
        )
        .replace("revenue: {actual: 3.714T, growth_yoy: 0.5%}", "revenue: {actual: 3.714T, consensus: 3.6T}")
    )
    cards = [item.card for item in load_all(Settings(inputs=tmp_path))]
    (season,) = build_seasons(cards)
    assert season.overall.revenue_surprise.excluded == ("SONY",)
    assert season.overall.revenue_surprise.n == 1
    (tmp_path / "fx.yaml").write_text("base: USD\nas_of: 2026-02-13\nsource: Test rates\nrates:\n  JPY: 0.0065\n")
    rates = load_rates(tmp_path)
    (season,) = build_seasons(cards, rates)
    agg = season.overall.revenue_surprise
    assert agg.excluded == () and agg.n == 2
    actual = D("777.7E6") + D("3.714E12") * D("0.0065")
    consensus = D("640.07E6") + D("3.6E12") * D("0.0065")
    assert agg.value == (actual - consensus) / consensus * 100


def test_rates_file_errors_are_located(tmp_path):
    (tmp_path / "fx.yaml").write_text("base: USD\nas_of: 2026-02-13\nsource: x\nrates:\n  JPY: -1\n  yen: 0.1\n")
    with pytest.raises(InputError) as caught:
        load_rates(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path}/fx.yaml:5:8: rates.JPY: '-1' is not a positive rate "
        "(write how many USD one JPY buys, e.g. 0.0065)",
        f"{tmp_path}/fx.yaml:6:3: rates.yen: 'yen' is not a currency code (e.g. JPY)",
    ]


def test_track_record_over_the_quarters_in_a_file(in_repo):
    card = read_company(Path("tests/inputs/history/acme.yaml"), Settings()).card
    record = card.track_record
    # newest first: beat, beat, miss, in line (EPS)
    assert (record.streak, record.beats, record.judged) == (2, 2, 4)
    assert record.rate == D(50)


def test_reserved_file_names_are_refused(tmp_path):
    (tmp_path / "season.yaml").write_text((REPO / "tests/inputs/companies/sony.yaml").read_text())
    loaded = read_company(tmp_path / "season.yaml", Settings())
    assert loaded.card is None
    assert "would overwrite the season page" in str(loaded.problems[0])


def _season_pages(settings: Settings, for_pdf: bool) -> str:
    from scorecards.render.templates import make_env, render_season

    cards = [item.card for item in load_all(settings)]
    return render_season(make_env(settings), build_seasons(cards), cards, for_pdf=for_pdf)


def test_pdf_leaves_out_the_company_tables_past_the_setting(in_repo):
    """Past season_table_max_companies the PDF keeps aggregates and charts and says where the tables are;
    the HTML summary keeps every company."""
    few = Settings(inputs=REPO / "inputs", season_table_max_companies=7)  # the examples are 8
    pdf_html = _season_pages(few, for_pdf=True)
    assert 'class="companies' not in pdf_html and 'class="capex"' not in pdf_html
    assert pdf_html.count("This PDF lists companies one by one only up to 7") == 2  # under capex and every company
    assert 'id="chart-capex-1"' in pdf_html and "Results against consensus, by sector" in pdf_html
    # the companies blended growth leaves out are counted, not named (at 500 companies, ~900 tickers of text)
    assert (
        "EPS growth leaves out 8 companies, for want of a figure this season or a year ago (named in season.html)."
        in pdf_html
    )
    assert "Revenue growth leaves out 7 companies" in pdf_html and "AMZN, BE, COHR" not in pdf_html
    html = _season_pages(few, for_pdf=False)
    assert 'class="companies sortable"' in html and 'class="capex stack"' in html and "only up to 7" not in html
    assert "Revenue growth leaves out, for want of a figure this season or a year ago: AMZN, BE, COHR, META, " in html
    enough = _season_pages(Settings(inputs=REPO / "inputs", season_table_max_companies=8), for_pdf=True)
    assert 'class="companies' in enough and "only up to" not in enough
    assert enough.count("<tr>") > pdf_html.count("<tr>") + 8


def test_negative_surprise_labels_keep_clear_of_the_company_labels():
    """A bar's value label left of a negative bar ends before the column of company labels begins."""
    from scorecards.render.charts import VALUE_LABEL_ROOM, surprise_bars

    class Fig:  # the two attributes surprise_bars reads
        def __init__(self, pct):
            from scorecards.model.metrics import Outcome

            self.surprise_pct, self.outcome = D(pct), Outcome.MISS if D(pct) < 0 else Outcome.BEAT

    chart = surprise_bars([("AAA", Fig("-17.7")), ("BBB", Fig("21.2"))])
    most_negative = min(bar.x0 for bar in chart.bars)
    assert most_negative - chart.label_x >= VALUE_LABEL_ROOM  # the room the label '▼ −17.7%' needs
    positive_only = surprise_bars([("AAA", Fig("3")), ("BBB", Fig("21.2"))])
    assert positive_only.axis.start == positive_only.label_x + 8  # no room taken when nothing is negative


def test_text_width_counts_chinese_as_a_full_em():
    from scorecards.render.charts import text_width

    label = "prior year $91.5B"
    assert 80.9 <= text_width(label) <= 110  # at least what Inter draws (80.9 px at 10 px), not wildly more
    assert text_width("上年") == 20.0 and text_width("ab") == 12.4  # CJK a full em each, Latin 0.62 em


def test_season_capex_labels_clear_the_consensus_lines(in_repo):
    """In the examples' season chart no prior-year label is crossed by a consensus line (GOOGL's once was)."""
    import re

    from scorecards.render.charts import text_width

    html = _season_pages(Settings(inputs=REPO / "inputs"), for_pdf=True)
    chart = html[html.index('id="chart-capex-1"') :]
    chart = chart[: chart.index("</svg>")]
    lines = [
        (float(x), int(y1), int(y2))
        for x, y1, y2 in re.findall(r'<line x1="([\d.]+)" x2="[\d.]+" y1="(\d+)" y2="(\d+)" class="expected"/>', chart)
    ]
    labels = [
        (float(x), int(y), text)
        for x, y, text in re.findall(
            r'<text x="([\d.]+)" y="(\d+)" class="value muted">(prior year [^<]+)</text>', chart
        )
    ]
    assert len(lines) == 2 and len(labels) == 2  # GOOGL and AMZN have a consensus and a prior year
    for x, y1, y2 in lines:
        for start, baseline, text in labels:
            if y1 <= baseline <= y2:
                assert not start - 2 <= x <= start + text_width(text), (x, start, text)
    # each consensus line says its value, centred on it, above the plan's bar
    named = re.findall(
        r'<text x="([\d.]+)" y="(\d+)" text-anchor="middle" class="value expected-label">cons\. ([^<]+)</text>', chart
    )
    assert [(float(x), value) for x, _, value in named] == [
        (x, v) for (x, _, _), v in zip(lines, ["~$129B", "~$146.6B"], strict=True)
    ]
    assert all(int(y) < y1 for (_, y, _), (_, y1, _) in zip(named, lines, strict=True))
