"""Consensus files: the layout, located errors, which estimate is taken, standardised surprise, provenance."""

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.corpus import load_all, read_company
from scorecards.render.filters import deviations
from scorecards.render.templates import make_env, render_company
from scorecards.settings import Settings
from scorecards.sources.consensus import ConsensusBook, read_file, read_folder, standardised_surprise

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
HEADER = "ticker,period,metric,basis,mean,median,high,low,estimates,std_dev,as_of,provider\n"


def book_of(tmp_path, text, name="c.csv"):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    book = ConsensusBook()
    read_file(path, book)
    return book, path


def messages(book):
    return [str(p) for _, p in book.row_problems] + [str(p) for _, p in book.file_problems]


@pytest.mark.parametrize(
    "actual, mean, std, expected",
    [
        ("0.31", "0.28", "0.02", Decimal("1.5")),
        ("0.25", "0.28", "0.02", Decimal("-1.5")),
        ("0.28", "0.28", "0.02", Decimal("0")),
        ("0.31", "0.28", "0", None),  # every estimate the same: no spread to measure by
    ],
)
def test_standardised_surprise(actual, mean, std, expected):
    assert standardised_surprise(Decimal(actual), Decimal(mean), Decimal(std)) == expected


def test_deviations_filter():
    assert deviations(Decimal("1.5")) == "+1.5 SD"
    assert deviations(Decimal("-0.26")) == "−0.3 SD"
    assert deviations(None) == "—"


def test_rows_keep_amounts_exactly_and_map_eps_by_basis(tmp_path):
    book, _ = book_of(
        tmp_path,
        HEADER + "exm,q4 fy2024,EPS,Non-GAAP,0.30,0.30,0.33,0.25,9,0.020,2025-02-05,FactSet\n"
        "EXM,FY2025,revenue,,640.07M,,,,,,2025-02-05,LSEG I/B/E/S\n",
    )
    assert messages(book) == []
    eps, revenue = book.estimates
    assert (eps.ticker, eps.period, eps.metric, eps.provider) == ("EXM", "Q4 FY2024", "eps_adjusted", "FactSet")
    assert str(eps.mean.mantissa) == "0.30" and str(eps.std_dev.mantissa) == "0.020" and eps.estimates == 9
    assert revenue.mean.written == "640.07M" and revenue.estimates is None and revenue.as_of == dt.date(2025, 2, 5)


def test_bad_rows_are_located_by_line_and_column(tmp_path):
    book, path = book_of(
        tmp_path,
        HEADER
        + "EXM,Q4 FY2024,revenue,,12,3B,,,,8,,2025-02-05,X\n"
        + "EXM,Q4 2024,revenu,,145M,,,,8,,2025-02-05,X\n"
        + "EXM,Q4 FY2024,eps,,0.28,,,,eight,0.02,02/05/2025,X\n"
        + "EXM,Q4 FY2024,eps_adjusted,,0.28M,,,,9,-0.02,2025-02-05,X\n"
        + "EXM,Q4 FY2024,gross_margin,,61,,,,9,,2025-02-05,X\n"
        + "EXM,Q4 FY2024,revenue,,145M,150M,160M,155M,,,2025-02-05,X\n"
        + "EXM,Q4 FY2024,revenue,,145M,,,,,,,X\n"
        + "EXM,Q4 FY2024,revenue,,145M,,,,,,2025-02-05,X\n"
        + "EXM,Q4 FY2024,revenue,,146M,,,,,,2025-02-05,x\n",
    )
    assert messages(book) == [
        f'{path}:2: 13 values in a row, but the header names 12 columns (quote values that contain a comma: "12,300M")',
        f"{path}:3: period: 'Q4 2024' is not a fiscal period (write it as in scorecards: Q4 FY2025, H1 FY2026, FY2026)",
        f"{path}:3: metric: unknown metric 'revenu' (did you mean 'revenue'?)",
        f"{path}:4: basis: EPS needs a basis (gaap or adjusted: consensus EPS is usually adjusted)",
        f"{path}:4: estimates: 'eight' is not a number of estimates (a whole number such as 12)",
        f"{path}:4: as_of: '02/05/2025' is not a date in the form YYYY-MM-DD "
        "(write dates as YYYY-MM-DD; 02/04/2026 could be 2 April or 4 February)",
        f"{path}:5: mean: a per-share amount has no scale, found '0.28M' (write 0.28)",
        f"{path}:5: std_dev: a standard deviation cannot be negative (-0.02)",
        f"{path}:6: mean: expected a percentage such as 31.9%, found '61'",
        f"{path}:7: mean: the mean (145M) is outside low–high (check the mean, low and high)",
        f"{path}:8: as_of: empty (every row needs ticker, period, metric, mean, as_of, provider)",
        f"{path}:10: the same estimate as line 9 (EXM, Q4 FY2024, revenue, x, 2025-02-05) (remove one of the rows)",
    ]
    assert [e.line for e in book.estimates] == [9]


def test_each_company_is_checked_alone_and_with_every_file(tmp_path):
    """A company's rows are checked when first asked for: one company's bad row is not another's problem, and a
    file read after a company was asked for adds its rows to that company's."""
    book, first = book_of(
        tmp_path,
        HEADER
        + "EXM,Q4 FY2024,revenue,,145M,,,,,,2025-02-05,X\n"
        + "OTH,Q4 FY2024,revenue,,oops,,,,,,2025-02-05,X\n"
        + "exm,Q4 FY2024,revenue,,145M,,,,,,2025-02-05,X\n",
    )
    assert [str(p) for p in book.problems_for("EXM")] == [
        f"{first}:4: the same estimate as line 2 (EXM, Q4 FY2024, revenue, X, 2025-02-05) (remove one of the rows)"
    ]
    assert [e.line for e in book.of("exm")] == [2]
    second = tmp_path / "d.csv"
    second.write_text(HEADER + "EXM,Q4 FY2024,revenue,,146M,,,,,,2025-02-06,X\n", "utf-8")
    read_file(second, book)
    assert [(e.path, e.line) for e in book.rows("EXM", "Q4 FY2024", "revenue")] == [(str(first), 2), (str(second), 2)]
    assert [str(p) for p in book.problems_for("OTH")] == [
        f"{first}:3: mean: cannot read 'oops' as an amount (write e.g. 777.7M, 3.1B, 0.45, 35.9% or -7.4pp)"
    ]
    assert [(t, p.line) for t, p in book.row_problems] == [("OTH", 3), ("EXM", 4)]
    assert [(e.ticker, e.line) for e in book.estimates] == [("EXM", 2), ("EXM", 2)]


def test_only_the_company_asked_for_is_checked(tmp_path, monkeypatch):
    """After one company file changed, the build asks for that company's rows of a season's thousands: only those
    are checked (a file of 8,000 rows cost 0.2 s to check whole)."""
    from scorecards.sources import consensus

    checked = []
    row = consensus._row
    monkeypatch.setattr(consensus, "_row", lambda path, line, *rest: checked.append(line) or row(path, line, *rest))
    rows = [f"C{i:03},Q4 FY2024,revenue,,{i}M,,,,,,2025-02-05,X\n" for i in range(300)]
    book, _ = book_of(tmp_path, HEADER + "".join(rows))
    assert [e.mean.written for e in book.of("C007")] == ["7M"]
    assert checked == [9]
    assert len(book.estimates) == 300 and len(checked) == 300


def test_header_problems_concern_the_companies_in_the_file(tmp_path):
    book, path = book_of(
        tmp_path,
        "ticker,period,metric,mean,stdev,asof,provider,colour\nEXM,Q4 FY2024,revenue,145M,2M,2025-02-05,X,red\n",
    )
    assert [str(p) for p in book.problems_for("EXM")] == [
        f"{path}:1: colour: unknown column 'colour' (columns: ticker, period, metric, basis, mean, median, high, low, "
        "estimates, std_dev, as_of, provider)"
    ]
    assert book.problems_for("OTHER") == []
    assert book.estimates[0].std_dev.written == "2M"  # 'stdev' and 'asof' are read as std_dev and as_of
    book, path = book_of(tmp_path, "period,metric,mean,as_of,provider\nQ4 FY2024,revenue,1M,2025-02-05,X\n", "b.csv")
    assert [str(p) for p in book.problems_for("ANY")] == [
        f"{path}:1: ticker: missing required column 'ticker' (the header must name: ticker, period, metric, mean, "
        "as_of, provider)"
    ]


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER.encode() + b"EXM,Q4 FY2024,revenue,,145M,,,,,,2025-02-05,Soci\xe9t\xe9\n")
    book = ConsensusBook()
    read_file(path, book)
    assert [str(p) for p in book.problems_for("EXM")] == [
        f"{path}:2: byte 0xe9 is not UTF-8 text (export the file as UTF-8 CSV)"
    ]


def test_the_latest_estimate_before_the_report_is_taken(tmp_path):
    book, _ = book_of(
        tmp_path,
        HEADER
        + "EXM,Q4 FY2024,revenue,,140M,,,,6,,2025-01-20,A\n"
        + "EXM,Q4 FY2024,revenue,,145M,,,,8,,2025-02-05,A\n"
        + "EXM,Q4 FY2024,revenue,,144M,,,,5,,2025-02-05,B\n"
        + "EXM,Q4 FY2024,revenue,,151M,,,,8,,2025-02-12,A\n",
    )
    chosen, after = book.choose("EXM", "Q4 FY2024", "revenue", dt.date(2025, 2, 6))
    assert (chosen.mean.written, chosen.provider) == ("145M", "A")  # latest; of two that day, more estimates
    assert [e.mean.written for e in after] == ["151M"]
    chosen, _ = book.choose("EXM", "Q4 FY2024", "revenue", None)
    assert chosen.mean.written == "151M"
    assert book.choose("EXM", "Q4 FY2024", "revenue", dt.date(2025, 1, 1)) == (None, book.estimates)


# --- in a scorecard ---


@pytest.fixture
def project(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "inputs")
    return tmp_path / "inputs"


def figure(loaded, key):
    return next(f for f in loaded.card.latest.figures if f.metric.key == key)


def test_an_omitted_consensus_comes_from_the_file_with_its_provenance(project):
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.errors == []
    revenue = figure(loaded, "revenue")
    assert revenue.consensus.amount.written == "145.2M"  # as of 5 Feb; the 12 Feb row is after the report
    assert revenue.standardised_surprise == Decimal("2")  # (150M - 145.2M) / 2.4M
    assert revenue in loaded.card.latest.verdict.beat  # the verdict names the figure shown
    [source] = [c for c in loaded.card.citations if c.number in revenue.cites and c.publisher == "Example Research"]
    assert (
        source.title == "Consensus: Example Research, as of 2025-02-05: revenue 8 estimates, EPS (adjusted) 9 estimates"
    )
    assert source.date == dt.date(2025, 2, 5)
    eps = figure(loaded, "eps_adjusted")
    assert eps.consensus.amount.written == "0.28" and eps.standardised_surprise == Decimal("1.5")
    [guide] = loaded.card.latest.guidance
    assert guide.consensus.amount.written == "610M" and guide.stance.value == "positive"


def test_a_typed_consensus_that_differs_from_the_file_is_a_warning(project):
    path = project / "exm.yaml"
    path.write_text(path.read_text().replace("consensus: 17.5M", "consensus: 17.9M"))
    loaded = read_company(path, Settings())
    [warning] = [p for p in loaded.problems if p.warning]
    assert str(warning) == (
        f"{path}:24:53: warning: quarters[0].results.operating_income.consensus: 17.9M differs "
        "from the consensus file: Example Research's mean is 17.5M as of 2025-02-05 "
        f"({project}/consensus/exm.csv:4) (correct one of them, or leave the consensus out here "
        "to take the file's)"
    )
    assert figure(loaded, "operating_income").consensus.amount.written == "17.9M"  # the company file's is shown


def test_a_typed_consensus_that_agrees_at_its_precision_is_quiet(project):
    path = project / "exm.yaml"
    path.write_text(path.read_text().replace("consensus: 17.5M", "consensus: 17.50M"))
    assert read_company(path, Settings()).problems == []


def test_a_bad_row_for_the_company_stops_it_with_a_located_error(project):
    csv = project / "consensus" / "exm.csv"
    csv.write_text(csv.read_text().replace("EXM,FY2025,revenue,,610M", "EXM,FY2025,revenue,,6l0M"))
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.card is None
    assert [str(p) for p in loaded.errors] == [
        f"{csv}:5: mean: cannot read '6l0M' as an amount (write e.g. 777.7M, 3.1B, 0.45, 35.9% or -7.4pp)"
    ]
    # a bad row for a company without a file here concerns nobody's scorecard
    csv.write_text(
        csv.read_text()
        .replace("6l0M", "610M")
        .replace("OTHER,Q4 FY2024,revenue,,1.2B", "OTHER,Q4 FY2024,revenue,,1,2B")
    )
    assert read_company(project / "exm.yaml", Settings()).errors == []


def test_the_scorecard_page_shows_the_standardised_surprise_and_the_source(project):
    settings = Settings(inputs=project, templates=REPO / "templates")
    [loaded] = load_all(settings)
    html = render_company(make_env(settings), loaded.card)
    assert "+2.0 SD" in html and "+1.5 SD" in html
    assert "Consensus: Example Research, as of 2025-02-05: revenue 8 estimates" in html
    assert "standard deviation of the estimates (Zacks)" in html


def test_consensus_command_checks_every_row(project):
    csv = project / "consensus" / "exm.csv"
    csv.write_text(csv.read_text().replace("OTHER,Q4 FY2024,revenue,,1.2B", "OTHER,Q4 FY2024,revenue,,1,2B"))
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "consensus"],
        cwd=project.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "inputs/consensus/exm.csv:7: 13 values in a row, but the header names 12 columns" in result.stderr
    assert "EXM: 5 estimates for FY2025, Q4 FY2024" in result.stdout
    assert "1 file checked: 5 estimates, 1 problem" in result.stderr


def test_no_consensus_folder_is_fine(tmp_path):
    assert read_folder(tmp_path / "nope").estimates == []
