"""The shipped example scorecards, as PDFs: the seeds' figures, with their sources, on one or two pages."""

import re
import shutil
import subprocess
import sys

import pytest
from conftest import REPO
from pypdf import PdfReader

pytestmark = pytest.mark.slow

# Figures from ../shared/DOMAIN.md (and the seed articles), as the scorecards must show them.
KEY_FIGURES = {
    "amazon": [
        "$213.39B",
        "$24.97B",
        "$1.95",
        "$1.97",
        "$35.58B",
        "35.03%",
        "33.98%",
        "$244B",
        "$200B",
        "$128B",
        "$125B",
        "$173.5B",
        "$178.5B",
        "$22.18B",
        "Miss",
    ],
    "alphabet": [
        "$113.8B",
        "$97.23B",
        "$95.2B",
        "$63.1B",
        "$17.7B",
        "30.1%",
        "22.7%",
        "$35.9B",
        "31.6%",
        "$175B",
        "$185B",
        "$91.5B",
        "$27.9B",
        # checked against the 10-K (Q4 = the year less the nine months), and the quarters before from the filings
        "CHECKED AGAINST THE SEC FILING",
        "$113.829B",
        "Form 10-K, filed 5 Feb 2026",
        "less Form 10-Q, filed 30 Oct 2025",
        "$102.346B",
        "$96.469B",
    ],
    "meta": ["$115B", "$135B", "16%"],
    "microsoft": ["$72B", "27%"],
    "bloom-energy": [
        "$0.45",
        "$0.30",
        "$777.7M",
        "$640.07M",
        "$3.1B",
        "$3.3B",
        "$2.577B",
        "$1.33",
        "$1.48",
        "$1.12",
        "31.9%",
        "10.5%",
    ],
    "sitime": [
        "$1.53",
        "$1.21",
        "$113.3M",
        "$101.91M",
        "61.2%",
        "$326.7M",
        "$64.6M",
        "$101M",
        "$104M",
        "$1.10",
        "$1.17",
    ],
    "sony": ["¥515.0B", "¥377.32B", "¥348.2B", "¥3.714T", "13.9%", "¥12.300T", "¥12.000T", "¥140.8B", "8.0M"],
    "coherent": ["$1.69B", "$1.29", "$1.22", "39%", "$1.7B", "$1.84B", "$1.28", "$1.48"],
}


# Alphabet has five quarters (four from its SEC filings, each cited) and the check against its 10-K: a third page.
PAGES = {"alphabet": 3}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "inputs", root / "inputs")
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build"], cwd=root, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return root / "build"


@pytest.mark.parametrize("slug", sorted(KEY_FIGURES))
def test_example_pdf(slug, built):
    reader = PdfReader(built / f"{slug}.pdf")
    assert 1 <= len(reader.pages) <= PAGES.get(slug, 2)
    text = "\n".join(page.extract_text() for page in reader.pages)
    missing = [figure for figure in KEY_FIGURES[slug] if figure not in text]
    assert missing == []
    assert "SOURCES AND NOTES" in text  # headings are set in capitals
    # every cited source is listed with its publisher
    for publisher in ("美股IPO", "CMoney", "Longbridge", "Ginlix AI"):
        if f"{publisher}" in (REPO / "inputs" / f"{slug}.yaml").read_text():
            assert publisher in text, publisher


def test_index_links_every_company(built):
    index = (built / "index.html").read_text()
    for slug in KEY_FIGURES:
        assert f'href="{slug}.html"' in index and f'href="{slug}.pdf"' in index


def test_index_links_the_season_outputs(built):
    """The front page leads to the season summary, the book and the data files, each of which exists."""
    index = (built / "index.html").read_text()
    nav = index[index.index('<nav class="season-links"') : index.index("</nav>")]
    hrefs = re.findall(r'href="([^"]+)"', nav)
    assert hrefs == ["season.html", "season.pdf", "season-book.pdf", "season.csv", "season.xlsx", "season.json"]
    assert all((built / href).is_file() for href in hrefs)


# --- the season view, built with the examples -------------------------------------------------


def pdf_text(path):
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_season_summary_pdf(built):
    text = pdf_text(built / "season.pdf")
    for expected in [
        "Earnings season summary",
        "Q4 2025 SEASON: 8 COMPANIES",
        "EPS surprise % by company",
        "Revenue surprise % by company",
        "▲ +50.0%",
        "▼ −1.0%",
        "+20.1%",
        "Capital expenditure plans (USD)",
        "plan $200B",
        "prior year $128B",
        "+56.3%",
        "$175B",
        "$185B",
        "~$146.6B",
        "Information Technology",
    ]:
        assert expected in text, expected


def test_company_charts_in_html_and_pdf(built):
    html = (built / "bloom-energy.html").read_text()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert '<title id="chart-guidance-t">Guidance against consensus</title>' in html
    assert "Revenue FY2026: guidance $3.1B to $3.3B, consensus $2.577B, Above consensus." in html
    # one quarter: its surprises against zero, each bar labelled with its value beside it
    assert '<title id="chart-surprise-t">Surprise %</title>' in html
    assert "Revenue: actual $777.7M, consensus $640.07M, Beat." in html
    assert re.search(
        r'class="label">EPS \(Non-GAAP\)</text>\s*<rect [^>]*class="bar good"/>\s*<text [^>]*>▲ \+50\.0%</text>', html
    )
    assert 'id="chart-eps"' not in html  # no zoomed one-point axis
    text = pdf_text(built / "bloom-energy.pdf")
    assert "cons. $2.577B" in text and "Bar: guidance range" in text


def test_season_html_table_sorts_and_reads_without_script(built):
    html = (built / "season.html").read_text()
    assert 'class="companies sortable"' in html and "<script>" in html
    assert html.count('data-type="number"') == 6  # all but company, period
    # guidance in one cell per company, sortable by (items above − items below): Bloom 2 above, Amazon 1 below
    rows = {
        m.group(1): m.group(2) for m in re.finditer(r'<span class="ticker">(\w+)</span>.*?</th>(.*?)</tr>', html, re.S)
    }
    assert re.search(
        r'<td class="nowrap" data-label="Guidance" data-sort="2"><span class="good">.*Above</span></td>', rows["BE"]
    )
    assert re.search(
        r'<td class="nowrap" data-label="Guidance" data-sort="-1"><span class="bad">.*Below</span></td>', rows["AMZN"]
    )
    assert re.search(r'<td class="nowrap" data-label="Guidance" data-sort="">—</td>', rows["SONY"])
    assert '<a href="amazon.html"><span class="ticker">AMZN</span></a>' in html


def test_exports_agree_with_the_scorecards(built):
    import json
    from decimal import Decimal

    import pandas as pd

    from scorecards.build.corpus import load_all
    from scorecards.settings import Settings

    cards = {item.card.company.ticker: item.card for item in load_all(Settings(inputs=REPO / "inputs"))}
    frame = pd.read_csv(built / "season.csv", dtype=str, keep_default_na=False)
    results = frame[(frame.record == "result") & (frame.segment == "")]
    for ticker, card in cards.items():
        rows = results[(results.ticker == ticker) & (results.period == card.latest.period)].set_index("metric")
        for fig in card.latest.figures:
            row = rows.loc[fig.metric.key]
            assert Decimal(row.actual) == fig.actual.number if fig.actual else row.actual == ""
            if fig.consensus:
                assert Decimal(row.consensus) == fig.consensus.number
            words = {"beat": "Beat", "miss": "Miss", "inline": "In line", "above": "Above", "below": "Below"}
            expected = "" if fig.result.value == "none" else words[fig.result.value]
            assert row.outcome == (f"{expected} (per source)" if fig.per_source else expected)
            if fig.surprise_pct is not None:  # rounded as the page shows it
                assert row.surprise_pct == format(fig.surprise_pct.quantize(Decimal("0.1"), "ROUND_HALF_UP"), "f")
    # the display text in the data files is the text on the PDF page
    bloom = pdf_text(built / "bloom-energy.pdf")
    for text in frame[frame.ticker == "BE"].actual_text:
        if text:
            assert text in bloom, text
    book = pd.read_excel(built / "season.xlsx", sheet_name=None)
    assert list(book) == ["Summary", "Figures", "Key metrics"]
    assert len(book["Figures"]) == len(frame)
    assert book["Summary"].set_index("ticker").loc["BE", "revenue"] == 777700000
    from openpyxl import load_workbook

    ws = load_workbook(built / "season.xlsx")["Figures"]
    assert ws.freeze_panes == "A2"
    header = [cell.value for cell in ws[1]]
    actual = ws.cell(row=2, column=header.index("actual") + 1)
    assert isinstance(actual.value, (int, float)) and actual.number_format == "#,##0.####"
    pcts = [
        row[0]
        for row in ws.iter_rows(
            min_row=2, min_col=header.index("surprise_pct") + 1, max_col=header.index("surprise_pct") + 1
        )
        if row[0].value is not None
    ]
    assert pcts and all(cell.number_format == '0.0"%"' for cell in pcts)
    assert ws.cell(row=2, column=header.index("company") + 1).number_format == "General"
    data = json.loads((built / "season.json").read_text())
    assert len(data["figures"]) == len(frame)
    assert {row["ticker"] for row in data["seasons"]} == set(cards)


def test_book_links_stay_within_their_own_scorecard(built):
    """Every scorecard names its anchors alike (the first source is 'src-1' in each): in the book each footnote
    link must still open its own scorecard's source list, not another company's."""
    import bisect

    reader = PdfReader(built / "season-book.pdf")
    named = reader.named_destinations
    firsts = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)]
    links = 0
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            dest = annotation.get_object().get("/Dest")
            if isinstance(dest, str):
                links += 1
                target = reader.get_destination_page_number(named[dest])
                assert bisect.bisect_right(firsts, target) == bisect.bisect_right(firsts, number), (number, dest)
    assert links > 100
    assert any(name.startswith("amazon:src-") for name in named) and any(n.startswith("sony:src-") for n in named)


def test_book_has_contents_and_every_company(built):
    reader = PdfReader(built / "season-book.pdf")
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    names = sorted(
        item.card.company.name
        for item in __import__("scorecards.build.corpus", fromlist=["x"]).load_all(
            __import__("scorecards.settings", fromlist=["x"]).Settings(inputs=REPO / "inputs")
        )
    )
    assert top == ["Contents", "Earnings season summary"] + sorted(names, key=str.lower)
    contents = reader.pages[0].extract_text()
    assert "Contents" in contents.title() and "Amazon.com,Inc." in "".join(contents.split())  # a name may wrap
    total = sum(len(PdfReader(built / f"{slug}.pdf").pages) for slug in KEY_FIGURES)
    assert len(reader.pages) == 1 + len(PdfReader(built / "season.pdf").pages) + total
