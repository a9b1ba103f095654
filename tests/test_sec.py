"""Standard figures from SEC companyfacts: dates not fy/fp, originals over repeats, amendments,
three-month against year-to-date durations, derived quarters, alternative concepts, currencies;
`scorecard facts`; and figures taken from or checked against a filing in a scorecard."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import REPO, SHARED

from scorecards.build.corpus import read_company
from scorecards.errors import FilingError
from scorecards.settings import Settings
from scorecards.sources.sec import (
    Missing,
    as_json,
    describe,
    dumps_exact,
    filing_amount,
    filing_url,
    load_companyfacts,
    parse_companyfacts,
    period_span,
    read_limited,
    resolve,
    resolve_all,
)

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
EXAMPLE = FIXTURES / "sec" / "CIK0000000042.json"
REAL = SHARED / "fixtures" / "sec"
needs_real = pytest.mark.skipif(
    not (REAL / "tesla-companyfacts.json").exists(),
    reason="the real companyfacts files in ../shared/fixtures/sec are not here",
)
D = Decimal


def figures(path, period, fye="12-31", named_by="end", currency=None):
    return resolve_all(load_companyfacts(path), period_span(period, fye, named_by), currency)


def companyfacts(facts, cik=7, name="Test Co"):
    """A companyfacts file from {concept: {unit: [(start, end, val, form, filed), ...]}}."""
    data = {"cik": cik, "entityName": name, "facts": {}}
    for concept, units in facts.items():
        taxonomy, name_ = concept.split(":")
        data["facts"].setdefault(taxonomy, {})[name_] = {
            "units": {
                unit: [
                    {
                        "start": s,
                        "end": e,
                        "val": v,
                        "accn": f"0000000007-{filed[2:4]}-{n:06d}",
                        "fy": 2099,
                        "fp": "FY",
                        "form": form,
                        "filed": filed,
                    }
                    for n, (s, e, v, form, filed) in enumerate(rows)
                ]
                for unit, rows in units.items()
            }
        }
    return parse_companyfacts(json.dumps(data).encode(), "test.json")


# --- periods ---


@pytest.mark.parametrize(
    "period, fye, named_by, start, end, previous",
    [
        ("Q4 FY2021", "12-31", "end", "2021-10-01", "2021-12-31", "2021-09-30"),
        ("Q1 FY2021", "12-31", "end", "2021-01-01", "2021-03-31", None),
        ("FY2021", "12-31", "end", "2021-01-01", "2021-12-31", None),
        ("H2 FY2021", "12-31", "end", "2021-07-01", "2021-12-31", "2021-06-30"),
        ("Q2 FY2026", "06-30", "end", "2025-10-01", "2025-12-31", "2025-09-30"),  # Coherent
        ("Q3 FY2025", "03-31", "start", "2025-10-01", "2025-12-31", "2025-09-30"),  # Sony: FY2025 ends March 2026
    ],
)
def test_period_spans(period, fye, named_by, start, end, previous):
    span = period_span(period, fye, named_by)
    assert (str(span.start), str(span.end)) == (start, end)
    assert (str(span.previous_end) if span.previous_end else None) == previous


def test_an_unknown_period_is_an_error_with_the_spelling_wanted():
    with pytest.raises(FilingError, match="'Q4 2021' is not a fiscal period"):
        period_span("Q4 2021", "12-31")


# --- the shipped example file ---


def test_quarter_from_the_three_month_fact_not_the_year_to_date_one():
    got = figures(EXAMPLE, "Q3 FY2024")
    assert got["revenue"].value == D(130000000)  # not the nine months' 350000000
    assert (got["revenue"].start, got["revenue"].end) == (dt.date(2024, 7, 1), dt.date(2024, 9, 30))
    assert not got["revenue"].derived


def test_the_original_filing_wins_over_a_later_repeat():
    revenue = figures(EXAMPLE, "Q3 FY2024")["revenue"]
    # the 2025 Q3 10-Q repeats Q3 2024 (with a frame); the figure cites the 10-Q that first reported it
    assert revenue.fact.accession == "0000000042-24-000033" and revenue.fact.filed == dt.date(2024, 10, 24)


def test_a_later_restatement_is_noted_but_the_figure_as_first_filed_is_used():
    eps = figures(EXAMPLE, "Q3 FY2024")["eps_gaap"]
    assert eps.value == D("0.25")
    assert eps.pick.restated_in.value == D("0.125") and eps.pick.restated_in.form == "10-Q"


def test_an_amendment_that_changes_a_value_wins_and_says_so():
    income = figures(EXAMPLE, "FY2024")["operating_income"]
    assert income.value == D(58000000) and income.fact.form == "10-K/A"
    assert income.amended and income.pick.amended_from.value == D(60000000)
    entry = as_json({"operating_income": income})["operating_income"]
    assert entry["amended"] is True and entry["amended_from"]["value"] == D(60000000)


def test_fourth_quarter_is_full_year_less_nine_months_flagged_as_derived():
    got = figures(EXAMPLE, "Q4 FY2024")
    revenue = got["revenue"]
    assert revenue.derived and revenue.value == D(150000000)
    assert revenue.fact.form == "10-K" and revenue.less.fact.form == "10-Q"
    assert (revenue.start, revenue.end) == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    # the amended full year is the one derived from
    assert got["operating_income"].value == D(18000000) and got["operating_income"].amended


def test_a_fourth_quarter_filed_directly_is_not_derived():
    income = figures(EXAMPLE, "Q4 FY2024")["net_income"]
    assert income.value == D(12000000) and not income.derived


def test_cash_flows_filed_only_year_to_date_are_derived_for_every_later_quarter():
    assert figures(EXAMPLE, "Q2 FY2024")["capex"].value == D(15000000)  # H1 25M - Q1 10M
    assert figures(EXAMPLE, "Q3 FY2024")["operating_cash_flow"].value == D(40000000)  # 9M 90M - H1 50M
    q1 = figures(EXAMPLE, "Q1 FY2024")["capex"]
    assert q1.value == D(10000000) and not q1.derived


def test_per_share_figures_are_never_derived():
    eps = figures(EXAMPLE, "Q4 FY2024")["eps_gaap"]
    assert isinstance(eps, Missing)
    assert "per-share figure cannot be derived" in eps.reason


def test_facts_are_chosen_by_their_dates_not_by_fy_and_fp():
    # every row says fy 2099, fp FY; only the dates say what each measures
    facts = companyfacts(
        {
            "us-gaap:Revenues": {
                "USD": [
                    ("2023-01-01", "2023-12-31", 900, "10-K", "2024-02-01"),
                    ("2023-10-01", "2023-12-31", 250, "10-K", "2024-02-01"),
                ]
            }
        }
    )
    assert resolve(facts, "revenue", period_span("Q4 FY2023", "12-31")).value == 250
    assert resolve(facts, "revenue", period_span("FY2023", "12-31")).value == 900


def test_period_ends_match_within_a_few_days_for_52_53_week_years():
    facts = companyfacts(
        {
            "us-gaap:Revenues": {
                "USD": [
                    ("2023-10-01", "2023-12-30", 300, "10-Q", "2024-01-30"),  # a Saturday, a day early
                    ("2023-07-02", "2023-09-30", 200, "10-Q", "2023-10-30"),  # a quarter earlier
                ]
            }
        }
    )
    found = resolve(facts, "revenue", period_span("Q1 FY2024", "09-30"))
    assert found.value == 300 and found.end == dt.date(2023, 12, 30)
    assert isinstance(resolve(facts, "revenue", period_span("Q2 FY2024", "09-30")), Missing)


@pytest.mark.parametrize(
    "concept",
    [
        "us-gaap:Revenues",
        "us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax",
        "us-gaap:SalesRevenueNet",
        "ifrs-full:Revenue",
    ],
)
def test_revenue_under_its_usual_concepts(concept):
    facts = companyfacts({concept: {"USD": [("2023-01-01", "2023-12-31", 1234, "10-K", "2024-02-01")]}})
    found = resolve(facts, "revenue", period_span("FY2023", "12-31"))
    assert found.value == 1234 and found.concept == concept


def test_the_first_concept_wins_where_several_are_filed():
    facts = companyfacts(
        {
            "us-gaap:SalesRevenueNet": {"USD": [("2023-01-01", "2023-12-31", 1, "10-K", "2024-02-01")]},
            "us-gaap:Revenues": {"USD": [("2023-01-01", "2023-12-31", 2, "10-K", "2024-02-01")]},
        }
    )
    assert resolve(facts, "revenue", period_span("FY2023", "12-31")).concept == "us-gaap:Revenues"


def test_ifrs_in_yen_with_per_share_units():
    facts = companyfacts(
        {
            "ifrs-full:Revenue": {
                "JPY": [("2024-04-01", "2025-03-31", 12957064000000, "20-F", "2025-06-20")],
                "USD": [("2024-04-01", "2025-03-31", 86000000000, "20-F", "2025-06-20")],
            },
            "ifrs-full:DilutedEarningsLossPerShare": {
                "JPY/shares": [("2024-04-01", "2025-03-31", 184.92, "20-F", "2025-06-20")]
            },
        }
    )
    span = period_span("FY2024", "03-31", "start")
    revenue = resolve(facts, "revenue", span, "JPY")
    assert revenue.value == D(12957064000000) and revenue.unit == "JPY"
    assert revenue.amount().written == "12.957064T"
    eps = resolve(facts, "eps_gaap", span, "JPY")
    assert eps.value == D("184.92") and eps.unit == "JPY/shares"
    assert isinstance(resolve(facts, "eps_gaap", span, "EUR"), Missing)


def test_amounts_keep_the_filed_value_exactly():
    assert filing_amount(D(17719000000), per_share=False).value == D(17719000000)
    assert filing_amount(D(17719000000), per_share=False).written == "17.719B"
    assert filing_amount(D(18000000), per_share=False).written == "18.00M"  # exact to the million, not rounded
    assert filing_amount(D("4.9"), per_share=True).written == "4.90"
    assert filing_amount(D("-0.94"), per_share=True).written == "-0.94"


def test_edgar_address_of_a_filing():
    assert (
        filing_url(1318605, "0000950170-22-000796")
        == "https://www.sec.gov/Archives/edgar/data/1318605/000095017022000796/"
    )


def test_a_file_that_is_not_companyfacts_is_refused(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(FilingError, match="not an SEC companyfacts file"):
        load_companyfacts(bad)
    bad.write_text("not json")
    with pytest.raises(FilingError, match="not a JSON file"):
        load_companyfacts(bad)


def test_json_never_writes_nan_or_infinity():
    for bad in ("Infinity", "-Infinity", "NaN"):
        with pytest.raises(ValueError, match="is not a number JSON can hold"):
            dumps_exact({"value": D(bad)})


def test_json_writes_every_value_exactly():
    text = dumps_exact({"a": D("0.125"), "b": D(53823000000), "c": dt.date(2022, 2, 7)})
    assert json.loads(text) == {"a": 0.125, "b": 53823000000, "c": "2022-02-07"}
    assert '"a": 0.125' in text and '"b": 53823000000' in text


# --- the real files (Tesla to Q3 2022; LPA, an IFRS 20-F filer) ---


@needs_real
def test_tesla_q4_2021_matches_what_tesla_reported():
    got = figures(REAL / "tesla-companyfacts.json", "Q4 FY2021")
    # Tesla's Q4 2021 update: revenue $17,719M, operating income $2,613M, GAAP net income $2,321M,
    # operating cash flow $4,585M, capital expenditures $1,810M
    expected = {
        "revenue": 17719,
        "operating_income": 2613,
        "net_income": 2321,
        "operating_cash_flow": 4585,
        "capex": 1810,
    }
    assert {k: got[k].value / 10**6 for k in expected} == expected
    revenue = got["revenue"]
    assert revenue.derived
    assert (revenue.fact.value, revenue.fact.form, revenue.fact.accession) == (
        D(53823000000),
        "10-K",
        "0000950170-22-000796",
    )
    assert (revenue.less.fact.value, revenue.less.fact.form, revenue.less.fact.accession) == (
        D(36104000000),
        "10-Q",
        "0000950170-21-002253",
    )
    assert isinstance(got["eps_gaap"], Missing)  # no Q4 EPS is filed, and it is not derived


@needs_real
def test_tesla_q3_2021_as_first_reported_before_the_2022_split():
    got = figures(REAL / "tesla-companyfacts.json", "Q3 FY2021")
    assert got["revenue"].value == D(13757000000) and not got["revenue"].derived  # not the 9 months' 36,104M
    assert got["eps_gaap"].value == D("1.44")  # as reported in October 2021
    assert got["eps_gaap"].pick.restated_in.value == D("0.48")  # the 2022 10-Q, after the 3-for-1 split
    assert got["eps_basic"].value == D("1.62")
    assert got["operating_cash_flow"].derived and got["operating_cash_flow"].value == D(6912000000 - 3765000000)


@needs_real
def test_tesla_q3_2022_cash_flows_derived_from_year_to_date():
    got = figures(REAL / "tesla-companyfacts.json", "Q3 FY2022")
    assert got["operating_cash_flow"].value == D(5100000000)  # Tesla reported $5,100M
    assert got["capex"].value == D(1803000000)  # and $1,803M
    assert got["eps_gaap"].value == D("0.95")


@needs_real
def test_tesla_q4_2020_revenue_filed_directly_in_the_10k():
    revenue = figures(REAL / "tesla-companyfacts.json", "Q4 FY2020")["revenue"]
    assert revenue.value == D(10744000000) and not revenue.derived and revenue.fact.form == "10-K"


@needs_real
def test_lpa_ifrs_20f_with_a_negative_eps():
    got = figures(REAL / "lpa-companyfacts.json", "FY2024")
    assert got["revenue"].value == D(43862372) and got["revenue"].concept == "ifrs-full:Revenue"
    assert got["net_income"].value == D(-29285428)  # attributable to owners of the parent
    assert got["net_income"].concept == "ifrs-full:ProfitLossAttributableToOwnersOfParent"
    assert got["eps_gaap"].value == D("-0.94") and got["eps_gaap"].fact.form == "20-F"
    assert got["operating_income"].value == D(36606814)
    # LPA files "cash generated from operations" (before interest and tax), not operating cash flow
    assert isinstance(got["operating_cash_flow"], Missing)
    assert got["operating_cash_flow"].reason == (
        "the file gives only ifrs-full:CashFlowsFromUsedInOperations: cash generated from operations, before "
        "interest and income tax paid, which is not operating cash flow; it is left out"
    )
    fy2022 = figures(REAL / "lpa-companyfacts.json", "FY2022")["eps_gaap"]
    assert fy2022.value == D("0.048") and fy2022.pick.restated_in.value == D("0.28")


# --- the command ---


def run(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "scorecards", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_facts_json_is_keyed_by_metric_with_provenance():
    result = run("facts", str(EXAMPLE), "--period", "Q4 FY2024", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == [
        "revenue",
        "operating_income",
        "net_income",
        "eps_gaap",
        "eps_basic",
        "capex",
        "operating_cash_flow",
    ]
    revenue = data["revenue"]
    assert revenue["value"] == 150000000 and revenue["unit"] == "USD" and revenue["derived"] is True
    assert (revenue["start"], revenue["end"]) == ("2024-10-01", "2024-12-31")
    assert (revenue["form"], revenue["accession"], revenue["filed"]) == ("10-K", "0000000042-25-000007", "2025-02-10")
    assert revenue["url"] == "https://www.sec.gov/Archives/edgar/data/42/000000004225000007/"
    assert [d["value"] for d in revenue["derived_from"]] == [500000000, 350000000]
    assert data["net_income"]["derived"] is False
    assert data["eps_gaap"]["value"] is None and "cannot be derived" in data["eps_gaap"]["reason"]


def test_facts_table_is_the_default(tmp_path):
    result = run("facts", str(EXAMPLE), "--period", "Q3 FY2024")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Example Corp (CIK 42), Q3 FY2024: 2024-07-01 to 2024-09-30"
    revenue = next(line for line in lines if line.startswith("Revenue "))
    assert "130,000,000" in revenue and "10-Q" in revenue and "0000000042-24-000033" in revenue
    assert any(line.startswith("Capital expenditure (derived)") for line in lines)
    assert "EPS (diluted): later restated as 0.125" in result.stdout


def test_facts_with_a_fiscal_year_end():
    result = run("facts", str(EXAMPLE), "--period", "FY2024", "--fiscal-year-end", "06-30", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["revenue"]["value"] is None  # July 2023 to June 2024 is not filed
    bad = run("facts", str(EXAMPLE), "--period", "FY2024", "--fiscal-year-end", "13-01")
    assert bad.returncode == 2 and "not a month and day" in bad.stderr


@needs_real
def test_facts_on_the_real_tesla_file():
    result = run("facts", str(REAL / "tesla-companyfacts.json"), "--period", "Q4 FY2021", "--format", "json")
    data = json.loads(result.stdout)
    assert data["revenue"]["value"] == 17719000000 and data["revenue"]["derived"] is True
    assert data["net_income"]["value"] == 2321000000


# --- in a scorecard ---


@pytest.fixture
def project(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "inputs")
    return tmp_path / "inputs"


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_actual_filing_takes_the_figure_and_cites_the_filing(project):
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.errors == [], loaded.problems
    q = loaded.card.latest
    revenue = next(f for f in q.figures if f.metric.key == "revenue")
    assert revenue.actual.number == D(150000000)
    assert "Derived as the year to 2024-12-31 (500,000,000; 10-K 0000000042-25-000007" in revenue.note
    [citation] = [c for c in loaded.card.citations if c.number in revenue.cites and c.publisher == "SEC EDGAR"]
    assert citation.title == "Example Corp, Form 10-K, accession no. 0000000042-25-000007"
    assert citation.date == dt.date(2025, 2, 10)
    assert citation.url == "https://www.sec.gov/Archives/edgar/data/42/000000004225000007/"
    income = next(f for f in q.figures if f.metric.key == "operating_income")
    assert income.actual.number == D(18000000) and "amended" in income.note
    assert income.outcome.value == "beat"  # 18.00M against 17.5M: judged at the consensus's precision
    # the typed consensus keeps citing the press release
    assert any(c.publisher == "Example Corp" and c.number in income.cites for c in loaded.card.citations)


def test_a_typed_figure_that_disagrees_with_the_filing_is_a_warning_naming_both(project):
    edit(project / "exm.yaml", "net_income:       {actual: 12.0M}", "net_income:       {actual: 12.4M}")
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.card is not None
    [warning] = [p for p in loaded.problems if p.warning]
    assert str(warning).startswith(
        f"{project}/exm.yaml:25:34: warning: quarters[0].results.net_income.actual: "
        "12.4M differs from the filing: 12,000,000 USD in 10-K 0000000042-25-000007"
    )


def test_a_typed_figure_is_checked_at_the_precision_typed(project):
    edit(project / "exm.yaml", "net_income:       {actual: 12.0M}", "net_income:       {actual: 12M}")
    assert read_company(project / "exm.yaml", Settings()).problems == []
    edit(project / "exm.yaml", "{actual: 12M}", "{actual: ~13M}")  # 'about': within 10%
    assert read_company(project / "exm.yaml", Settings()).problems == []
    edit(project / "exm.yaml", "{actual: ~13M}", "{actual: ~14M}")
    assert len(read_company(project / "exm.yaml", Settings()).problems) == 1
    edit(project / "exm.yaml", "{actual: ~14M}", '{actual: ">11M"}')
    assert read_company(project / "exm.yaml", Settings()).problems == []


def test_validate_strict_fails_on_a_figure_that_disagrees_with_the_filing(project):
    edit(project / "exm.yaml", "net_income:       {actual: 12.0M}", "net_income:       {actual: 12.4M}")
    shutil.copytree(REPO / "templates", project.parent / "templates")
    loose = run("validate", cwd=project.parent)
    assert loose.returncode == 0 and "1 warning" in loose.stdout
    strict = run("validate", "--strict", cwd=project.parent)
    assert strict.returncode == 1
    assert "12.4M differs from the filing: 12,000,000 USD" in strict.stderr


def test_actual_filing_without_a_filing_is_a_located_error(project):
    edit(project / "exm.yaml", "  cik: 42\n", "")
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.card is None
    assert [str(p) for p in loaded.errors][0] == (
        f"{project}/exm.yaml:22:34: quarters[0].results.revenue.actual: no filing to take the figure from "
        "(set company.cik and run `scorecard fetch-sec EXM`, or set company.companyfacts)"
    )


def test_a_cik_whose_file_is_not_downloaded(project):
    (project / "sec" / "CIK0000000042.json").unlink()
    loaded = read_company(project / "exm.yaml", Settings())
    assert "no companyfacts file" in str(loaded.errors[0]) and "scorecard fetch-sec 42" in str(loaded.errors[0])
    # without `actual: filing` a missing file only means nothing is checked
    edit(project / "exm.yaml", "{actual: filing}  ", "{actual: 150M}  ")
    edit(project / "exm.yaml", "{actual: filing, consensus: 17.5M}", "{actual: 18M, consensus: 17.5M}")
    edit(project / "exm.yaml", "capex:            {actual: filing}", "capex:            {actual: 25M}")
    assert read_company(project / "exm.yaml", Settings()).errors == []


def test_companyfacts_under_another_name(project):
    (project / "sec" / "CIK0000000042.json").rename(project / "sec" / "example.json")
    edit(project / "exm.yaml", "  cik: 42\n", "  companyfacts: sec/example.json\n")
    assert read_company(project / "exm.yaml", Settings()).errors == []


def test_a_per_share_figure_the_filing_cannot_give_is_an_error(project):
    edit(project / "exm.yaml", "capex:            {actual: filing}", "eps_gaap:         {actual: filing}")
    loaded = read_company(project / "exm.yaml", Settings())
    assert any("cannot be derived from year-to-date figures" in str(p) for p in loaded.errors)


def test_the_json_schema_allows_filing_as_an_actual_and_a_cik():
    jsonschema = pytest.importorskip("jsonschema")
    from scorecards.load.yaml import load_yaml
    from scorecards.model.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    data = json.loads(json.dumps(load_yaml(FIXTURES / "exm.yaml").data, default=str))
    assert list(validator.iter_errors(data)) == []
    data["quarters"][0]["results"]["revenue"]["actual"] = "filings"
    assert list(validator.iter_errors(data)) != []


# --- the traps of real filings, each in a small file in the real format (tests/fixtures/sec/) ---

TRAPS = Path(__file__).parent / "fixtures" / "sec"


def test_a_year_amended_without_its_nine_months_gives_no_derived_fourth_quarter():
    # the 10-K/A restated the year (54,000M -> 53,500M) but not the nine months: 53,500M - 36,000M
    # would be neither as first filed nor as restated
    revenue = figures(TRAPS / "amended-year.json", "Q4 FY2021")["revenue"]
    assert isinstance(revenue, Missing)
    assert revenue.reason == (
        "Q4 FY2021 is not derived: 10-K/A 0009000001-22-000020 (filed 2022-05-02) amended the year to "
        "2021-12-31 from 54,000,000,000 to 53,500,000,000 but does not restate the 9 months to 2021-09-30, "
        "so the amended year less the 9 months to 2021-09-30 as first filed (10-Q 0009000001-21-000030) "
        "would be on neither basis"
    )


def test_a_year_amended_with_its_nine_months_derives_the_fourth_quarter_from_both_as_amended():
    income = figures(TRAPS / "amended-year.json", "Q4 FY2021")["operating_income"]
    assert income.value == D(1900000000)  # 6,800M - 4,900M, both from the 10-K/A; not 6,800M - 5,000M
    assert income.derived and income.amended
    assert income.fact.accession == income.less.fact.accession == "0009000001-22-000020"
    assert income.less.amended_from.value == D(5000000000)
    entry = as_json({"operating_income": income})["operating_income"]
    assert [d["value"] for d in entry["derived_from"]] == [D(6800000000), D(4900000000)]


def test_nine_months_amended_after_the_year_was_filed_gives_no_derived_fourth_quarter():
    cash = figures(TRAPS / "amended-year.json", "Q4 FY2021")["operating_cash_flow"]
    assert isinstance(cash, Missing)
    assert "10-Q/A 0009000001-22-000025 (filed 2022-05-20) amended the 9 months to 2021-09-30 after" in cash.reason
    assert "the two would be on different bases" in cash.reason


def test_the_first_filing_wins_whatever_concept_it_used():
    got = figures(TRAPS / "concept-switch.json", "Q1 FY2018")
    revenue = got["revenue"]  # SalesRevenueNet in the 2018 10-Q, Revenues (preferred) only from 2019
    assert revenue.value == D(1000000000) and revenue.concept == "us-gaap:SalesRevenueNet"
    assert (revenue.fact.accession, revenue.fact.filed) == ("0009000002-18-000011", dt.date(2018, 5, 1))
    assert revenue.pick.restated_in is None  # the 2019 repeat gives the same value
    cash = got["operating_cash_flow"]
    assert cash.value == D(300000000) and cash.fact.accession == "0009000002-18-000011"
    assert cash.pick.restated_in.value == D(310000000)  # a later value under another concept: a restatement
    assert "later restated as 310,000,000 in 10-Q 0009000002-19-000012" in describe(cash)
    entry = as_json({"operating_cash_flow": cash})["operating_cash_flow"]
    assert entry["restated_later"]["concept"] == "us-gaap:NetCashProvidedByUsedInOperatingActivities"


def test_a_52_53_week_year_is_matched_by_the_filings_own_dates_not_the_configured_day():
    path = TRAPS / "weeks-52-53.json"
    # --fiscal-year-end 09-24 (the earliest year-end): Q2 FY2023 ended on 1 April 2023, 8 days after 24 March
    q2 = figures(path, "Q2 FY2023", fye="09-24")["revenue"]
    assert q2.value == D(95000000000) and (q2.start, q2.end) == (dt.date(2023, 1, 1), dt.date(2023, 4, 1))
    q4 = figures(path, "Q4 FY2023", fye="09-24")["revenue"]
    assert q4.derived and q4.value == D(89000000000)  # 383,000M - 294,000M
    assert (q4.start, q4.end) == (dt.date(2023, 7, 2), dt.date(2023, 9, 30))
    fy = figures(path, "FY2023", fye="09-30")["revenue"]  # given the latest year-end instead: the same year
    assert fy.value == D(383000000000) and fy.start == dt.date(2022, 9, 25)


def test_facts_command_on_a_52_53_week_year():
    result = run("facts", str(TRAPS / "weeks-52-53.json"), "--period", "Q2 FY2023", "--fiscal-year-end", "09-24")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Fifty-Two Weeks Inc. (CIK 9000003), Q2 FY2023: 2023-01-01 to 2023-04-01"
    assert "95,000,000,000" in result.stdout


@needs_real
def test_alphabet_q1_2025_revenue_cites_the_10q_that_first_filed_it():
    # the 10-Q of April 2025 tagged revenue RevenueFromContractWithCustomerExcludingAssessedTax; the
    # 10-Q of April 2026 repeats it as Revenues, which the concept order prefers
    revenue = figures(REAL / "alphabet-companyfacts.json", "Q1 FY2025")["revenue"]
    assert revenue.value == D(90234000000)
    assert (revenue.fact.form, revenue.fact.accession, revenue.fact.filed) == (
        "10-Q",
        "0001652044-25-000043",
        dt.date(2025, 4, 25),
    )
    assert revenue.concept == "us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax"


@needs_real
def test_alphabet_q4_2025_is_the_10k_less_the_nine_months():
    got = figures(REAL / "alphabet-companyfacts.json", "Q4 FY2025")
    revenue = got["revenue"]
    assert revenue.value == D(113829000000) and revenue.derived  # 402,836M - 289,007M
    assert (revenue.fact.form, revenue.fact.accession, revenue.fact.filed) == (
        "10-K",
        "0001652044-26-000018",
        dt.date(2026, 2, 5),
    )
    assert revenue.less.fact.accession == "0001652044-25-000091"
    assert got["operating_income"].value == D(35934000000)
    assert got["capex"].value == D(27851000000)


@needs_real
def test_tesla_2011_operating_cash_flow_as_first_filed_with_its_later_restatement_noted():
    cash = figures(REAL / "tesla-companyfacts.json", "FY2011")["operating_cash_flow"]
    assert cash.value == D(-114364000) and cash.fact.form == "10-K" and cash.fact.filed == dt.date(2012, 2, 27)
    assert not cash.amended  # the 10-K/A of March 2012 repeated the same value
    assert cash.pick.restated_in.value == D(-128034000)  # the 10-K of 2014


# --- hostile companyfacts files: each one line, in bounded time and memory ---


def write_companyfacts(path, text):
    path.write_text(text)
    return path


def one_row(val):
    """A companyfacts file of one diluted EPS row whose value is written as ``val``."""
    row = (
        f'{{"start": "2024-01-01", "end": "2024-12-31", "val": {val}, "accn": "0000000007-25-000001", '
        '"fy": 2024, "fp": "FY", "form": "10-K", "filed": "2025-02-01"}'
    )
    units = f'{{"USD/shares": [{row}]}}'
    return (
        f'{{"cik": 7, "entityName": "T", "facts": {{"us-gaap": {{"EarningsPerShareDiluted": {{"units": {units}}}}}}}}}'
    )


@pytest.mark.parametrize(
    "val, message",
    [
        (
            "1e999999999",
            "facts.us-gaap.EarningsPerShareDiluted.units.USD/shares[0].val: 1E+999999999 is not a filed "
            "amount (beyond 10^18, or finer than 10^-12)",
        ),
        (
            "1e-999999999",
            "facts.us-gaap.EarningsPerShareDiluted.units.USD/shares[0].val: 1E-999999999 is not a "
            "filed amount (beyond 10^18, or finer than 10^-12)",
        ),
        ("NaN", "NaN is not a number a filing can hold"),
        ("Infinity", "Infinity is not a number a filing can hold"),
        ("-Infinity", "-Infinity is not a number a filing can hold"),
        ("1" * 5000, "a number 5,000 characters long (11111111111111111111...)"),
    ],
)
def test_numbers_no_filing_holds_are_refused_in_one_line(tmp_path, val, message):
    path = write_companyfacts(tmp_path / "x.json", one_row(val))
    with pytest.raises(FilingError) as caught:
        load_companyfacts(path)
    assert str(caught.value) == f"{path}: {message}"


def test_json_never_prints_a_bare_infinity(tmp_path):
    path = write_companyfacts(tmp_path / "x.json", one_row("Infinity"))
    result = run("facts", str(path), "--period", "FY2024", "--format", "json")
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"error: {path}: Infinity is not a number a filing can hold"]


@pytest.mark.parametrize("cik", ["true", "-5", "1.5e3", "0", '"12ab"', "null"])
def test_a_cik_that_is_not_one_is_refused(tmp_path, cik):
    path = write_companyfacts(tmp_path / "x.json", f'{{"cik": {cik}, "entityName": "T", "facts": {{}}}}')
    shown = {'"12ab"': '"12ab"', "null": "null"}.get(cik, cik if cik != "1.5e3" else "1.5E+3")
    with pytest.raises(FilingError) as caught:
        load_companyfacts(path)
    assert str(caught.value) == f"{path}: cik: {shown} is not a CIK (a whole number from 1 to 9999999999)"


def test_json_nested_100000_deep_is_one_line(tmp_path):
    path = write_companyfacts(tmp_path / "x.json", '{"cik": 7, "facts": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(FilingError) as caught:
        load_companyfacts(path)
    assert str(caught.value) == f"{path}: not a companyfacts file (its JSON is nested too deeply to read)"


def test_a_file_larger_than_any_companyfacts_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(449 * 2**20)  # sparse: 449 MB that take no disk, and would take GB to parse
    with pytest.raises(FilingError) as caught:
        load_companyfacts(path)
    assert str(caught.value) == f"{path}: cannot read the file: it is 470,810,624 bytes, over the limit of 67,108,864"


def test_a_device_or_a_fifo_is_refused_without_reading_it(tmp_path):
    with pytest.raises(FilingError) as caught:
        load_companyfacts("/dev/zero")
    assert str(caught.value) == "/dev/zero: cannot read the file: it is a character device, not a regular file"
    fifo = tmp_path / "facts.json"
    os.mkfifo(fifo)  # nothing ever writes to it: opening it for reading would wait forever
    with pytest.raises(FilingError, match="not a regular file"):
        load_companyfacts(fifo)
    with pytest.raises(FilingError, match="not a regular file"):
        read_limited(fifo)
    result = run("facts", str(fifo), "--period", "FY2024")
    assert result.returncode != 0 and "not a regular file" in result.stderr


def test_a_fifo_or_a_link_out_of_inputs_in_place_of_the_filing_is_a_located_error(project):
    target = project / "sec" / "CIK0000000042.json"
    target.unlink()
    os.mkfifo(target)
    [error] = read_company(project / "exm.yaml", Settings()).errors
    assert str(error) == (
        f"{project}/exm.yaml:10:8: company.cik: {target}: cannot read the file: it is a FIFO (named pipe), not a "
        "regular file (download the company's file with `scorecard fetch-sec`)"
    )
    target.unlink()
    target.symlink_to("/dev/zero")
    [error] = read_company(project / "exm.yaml", Settings()).errors
    assert str(error) == (
        f"{project}/exm.yaml:10:8: company.cik: {target} is outside {project}/, the folder of company files, "
        f"where filings are read from (put the file in {project}/sec/ and name it relative to the company file)"
    )


# --- Alphabet, the example company with its real filing (inputs/sec/CIK0001652044.json) ---

ALPHABET = REPO / "inputs" / "sec" / "CIK0001652044.json"


def test_the_shipped_alphabet_scorecard_checks_its_typed_figures_against_the_10k():
    loaded = read_company(REPO / "inputs" / "alphabet.yaml", Settings(inputs=REPO / "inputs"))
    assert loaded.problems == []
    latest = loaded.card.latest
    checks = {c.metric.key: c for c in latest.filing_checks}
    assert set(checks) == {"revenue", "operating_income", "capex"}  # the typed GAAP figures the filing gives
    revenue = checks["revenue"]
    assert (revenue.typed.amount.written, revenue.filed.number) == ("113.8B", D(113829000000))
    assert revenue.agrees and revenue.difference.amount.written == "-29M"
    assert (revenue.form, revenue.accession, revenue.filed_on) == ("10-K", "0001652044-26-000018", dt.date(2026, 2, 5))
    assert revenue.derived and (revenue.less_form, revenue.less_accession) == ("10-Q", "0001652044-25-000091")
    cited = {c.number: c for c in loaded.card.citations}
    assert [cited[n].title for n in revenue.cites] == [
        "ALPHABET INC., Form 10-K, accession no. 0001652044-26-000018",
        "ALPHABET INC., Form 10-Q, accession no. 0001652044-25-000091",
    ]
    assert checks["operating_income"].filed.number == D(35934000000) and checks["operating_income"].agrees
    assert checks["capex"].filed.number == D(27851000000) and checks["capex"].agrees


def test_the_shipped_alphabet_scorecard_has_its_earlier_quarters_from_the_filings():
    card = read_company(REPO / "inputs" / "alphabet.yaml", Settings(inputs=REPO / "inputs")).card
    cited = {c.number: c for c in card.citations}
    revenue = {}
    for quarter in card.quarters[1:]:
        figure = next(f for f in quarter.figures if f.metric.key == "revenue")
        [title] = [cited[n].title for n in figure.cites]
        revenue[quarter.period] = (figure.actual.number, title.rsplit(" ", 1)[1])
    assert revenue == {
        "Q3 FY2025": (D(102346000000), "0001652044-25-000091"),
        "Q2 FY2025": (D(96428000000), "0001652044-25-000062"),
        "Q1 FY2025": (D(90234000000), "0001652044-25-000043"),  # first filed, under another concept
        "Q4 FY2024": (D(96469000000), "0001652044-25-000014"),  # the 10-K less the nine months
    }
    eps = [next((f.actual.number for f in q.figures if f.metric.key == "eps_gaap"), None) for q in card.quarters]
    assert eps == [None, D("2.87"), D("2.31"), D("2.81"), None]


@needs_real
@pytest.mark.parametrize("period", ["Q1 FY2024", "Q4 FY2024", "Q1 FY2025", "Q2 FY2025", "Q4 FY2025", "Q1 FY2026"])
def test_the_shipped_alphabet_file_gives_what_the_full_companyfacts_gives(period):
    # inputs/sec/ holds the SEC's file trimmed to the concepts the tool reads, values and layout untouched
    shipped, full = figures(ALPHABET, period), figures(REAL / "alphabet-companyfacts.json", period)
    assert shipped == full
    shipped_json = json.loads(ALPHABET.read_text())
    full_json = json.loads((REAL / "alphabet-companyfacts.json").read_text())
    for taxonomy, concepts in shipped_json["facts"].items():
        for name, body in concepts.items():
            assert body == full_json["facts"][taxonomy][name]


def test_a_figure_that_differs_from_the_filing_is_shown_so_on_the_page(project):
    from scorecards.render.templates import make_env, render_company

    edit(project / "exm.yaml", "net_income:       {actual: 12.0M}", "net_income:       {actual: 12.4M}")
    card = read_company(project / "exm.yaml", Settings()).card
    [check] = card.latest.filing_checks
    assert (check.metric.key, check.agrees, check.difference.amount.written) == ("net_income", False, "400K")
    html = render_company(make_env(Settings(templates=REPO / "templates")), card)
    block = html[html.index('<section class="block filing-checks">') :]
    block = block[: block.index("</section>")]
    assert "Checked against the SEC filing" in block and "✗</span> differs" in block
    assert "$12.4M" in block and "$12.00M" in block and "+$400K" in block
    assert "Form 10-K, filed 10 Feb 2025" in block


@needs_real
def test_tesla_q2_2014_operating_cash_flow_from_the_first_filings_whatever_their_concept():
    # Q1 2014 was first filed (May 2014) as NetCashProvidedByUsedInOperatingActivities, 60,640K; the 10-Q of
    # May 2015 repeats it as ...ContinuingOperations, 58,723K. Preferring the concept took the 2015 value and
    # derived Q2 as 57,061K - 58,723K = -1,662K, citing no restatement.
    cash = figures(REAL / "tesla-companyfacts.json", "Q2 FY2014")["operating_cash_flow"]
    assert cash.derived and cash.value == D(57061000 - 60640000)
    assert (cash.less.fact.accession, cash.less.fact.value) == ("0001193125-14-192606", D(60640000))
    assert cash.less.restated_in.value == D(58723000)
    assert "later restated as 58,723,000 in 10-Q 0001564590-15-003789" in describe(cash)
