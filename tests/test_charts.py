"""Chart geometry on the company pages: labels keep clear of what is drawn."""

import re

from conftest import REPO

from scorecards.build.corpus import read_company
from scorecards.render.charts import WIDTH, guidance_ranges, text_width
from scorecards.settings import Settings


def test_guidance_stance_labels_keep_clear_of_the_plot(in_repo):
    """Amazon's capex guidance (a point at the top of its axis) once drew its diamond over '△ Above consensus':
    the plot now ends where the widest stance label, as the page says it, begins."""
    card = read_company(REPO / "inputs" / "amazon.yaml", Settings(inputs=REPO / "inputs")).card
    quarter = card.quarters[0]
    words = {"above": "△ Above consensus", "negative": "▼ Below consensus"}
    chart = guidance_ranges(quarter.guidance, lambda stance: words[stance.value])
    assert [r.label for r in chart.rows] == ["▼ Below consensus", "△ Above consensus"]
    for row in chart.rows:
        drawn = max(x for x in (row.x_high, row.x_mid + 5, row.x_consensus) if x is not None)
        assert drawn + 8 <= WIDTH - text_width(row.label), (row.guide.metric.key, drawn)
    widest = max(text_width(r.label) for r in chart.rows)
    assert {r.axis.end for r in chart.rows} == {WIDTH - widest - 16}
    short = guidance_ranges(quarter.guidance, lambda stance: "▲")  # a short label: the plot keeps its usual end
    assert {r.axis.end for r in short.rows} == {WIDTH - 90}


def test_guidance_chart_has_a_visible_title(in_repo, tmp_path):
    from scorecards.render.templates import make_env, render_company

    card = read_company(REPO / "inputs" / "amazon.yaml", Settings(inputs=REPO / "inputs")).card
    html = render_company(make_env(Settings(inputs=REPO / "inputs")), card)
    chart = html[html.index('id="chart-guidance"') :]
    chart = chart[: chart.index("</svg>")]
    assert re.search(r'<text x="0" y="12" class="chart-title">Guidance against consensus</text>', chart)
    stances = re.findall(
        r'<text x="680" y="\d+" text-anchor="end" class="value (?:good|bad|neutral|even)">([^<]+)</text>', chart
    )
    assert stances == ["▼ Below consensus", "△ Above consensus"]


def test_quarters_from_filings_are_charted_without_a_consensus(in_repo):
    """Alphabet's earlier quarters come from its filings, with no consensus: the revenue chart shows them as actuals
    ("no consensus" squares), oldest first, with the latest quarter's figure last; a file of one quarter has none."""
    from scorecards.render.charts import history_dots

    card = read_company(REPO / "inputs" / "alphabet.yaml", Settings(inputs=REPO / "inputs")).card
    chart = history_dots(card, "revenue", "Revenue")
    assert chart is not None
    assert [d.period for d in chart.dots] == ["Q4 FY2024", "Q1 FY2025", "Q2 FY2025", "Q3 FY2025", "Q4 FY2025"]
    assert all(d.consensus is None and d.y_consensus is None for d in chart.dots)
    assert [d.outcome.value for d in chart.dots[:4]] == ["none"] * 4
    assert chart.dots[-1].actual is not None and chart.dots[-1].actual.number == 113_800_000_000
    bloom = read_company(REPO / "inputs" / "bloom-energy.yaml", Settings(inputs=REPO / "inputs")).card
    assert len(bloom.quarters) == 1 and history_dots(bloom, "revenue", "Revenue") is None


def test_guidance_range_end_labels_keep_apart(in_repo):
    """Alphabet's capex range (1,750億美元 to 1,850億美元) is narrow on its axis: its Chinese end labels, centred
    under the ends, ran into each other ("1,750億美元1,850億美元"); they are pushed apart just enough."""
    from scorecards.i18n import load_language
    from scorecards.render.templates import make_env, render_company

    settings = Settings(inputs=REPO / "inputs", templates=REPO / "templates")
    card = read_company(REPO / "inputs" / "alphabet.yaml", settings).card
    for tag in ("en", "zh-Hant", "zh-Hans"):
        html = render_company(make_env(settings, load_language(REPO / "locale", tag)), card)
        chart = html[html.index('id="chart-guidance"') :]
        chart = chart[: chart.index("</svg>")]
        ends = re.findall(r'<text x="([\d.]+)" y="(\d+)" text-anchor="middle" class="value">([^<]+)</text>', chart)
        (x_low, y_low, low), (x_high, y_high, high) = ends
        assert y_low == y_high and ("175" in low.replace(",", "") and "185" in high.replace(",", ""))
        assert float(x_high) - float(x_low) >= (text_width(low) + text_width(high)) / 2, (tag, ends)
        assert float(x_low) - text_width(low) / 2 >= 190  # clear of the row's label and period on the left
