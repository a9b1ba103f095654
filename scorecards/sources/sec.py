"""Figures from SEC filings: the XBRL "companyfacts" JSON the SEC publishes for every filer.

A companyfacts file lists, per taxonomy (``us-gaap``, ``ifrs-full``, ``dei``) and concept, every
value the company has filed, by unit (``USD``, ``JPY``, ``USD/shares`` ...), each with the dates
it measures (``start``, ``end``), the filing it came from (``accn``, ``form``, ``filed``) and that
filing's own ``fy``/``fp``. This module picks out a company's standard figures for one fiscal
period, avoiding the format's traps:

- facts are chosen by the dates they measure, never by ``fy``/``fp`` (which describe the filing:
  a 10-K for FY2021 also carries FY2020 and FY2019 with ``fy: 2021``);
- the three-month duration, not the year-to-date one beside it in the same 10-Q;
- the value as first filed, not a later filing's repeat of it, unless an amendment (10-K/A,
  10-Q/A) changed it: then the amendment's value, saying so; a later filing that restates the
  value without amending (per-share figures after a stock split) is noted, not taken;
- a quarter the filings carry only as part of a year-to-date figure (the fourth quarter always;
  cash flows in every quarter) is derived as that year-to-date figure less the one before it
  (Q4 = full year − nine months), flagged as derived; never for per-share figures, whose share
  counts differ between the two periods.

>>> span = period_span("Q4 FY2021", "12-31")
>>> span.start, span.end
(datetime.date(2021, 10, 1), datetime.date(2021, 12, 31))
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from scorecards.errors import FilingError
from scorecards.model.amounts import Amount
from scorecards.model.fiscal import fiscal_year_end_date, nominal_period_end

# 52/53-week fiscal years end near, not on, the nominal date: a fact matches a period whose
# start and end are each within this of the nominal (or given) dates. Periods are three months
# apart, so a week can never match the wrong one.
DATE_TOLERANCE = dt.timedelta(days=7)

EDGAR_ARCHIVES = "https://www.sec.gov/Archives/edgar/data"

# The concepts each standard figure is filed under, in order of preference. The first concept
# that has the period (directly, or by derivation) wins; the result names the concept used.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "revenue": (
        "us-gaap:Revenues",
        "us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax",
        "us-gaap:RevenueFromContractWithCustomerIncludingAssessedTax",
        "us-gaap:SalesRevenueNet",
        "ifrs-full:Revenue",
        "ifrs-full:RevenueFromContractsWithCustomers",
    ),
    "operating_income": ("us-gaap:OperatingIncomeLoss", "ifrs-full:ProfitLossFromOperatingActivities"),
    "net_income": (
        "us-gaap:NetIncomeLoss",
        "us-gaap:ProfitLoss",
        "ifrs-full:ProfitLossAttributableToOwnersOfParent",
        "ifrs-full:ProfitLoss",
    ),
    "eps_gaap": (
        "us-gaap:EarningsPerShareDiluted",
        "us-gaap:EarningsPerShareBasicAndDiluted",
        "ifrs-full:DilutedEarningsLossPerShare",
        "ifrs-full:BasicAndDilutedEarningsLossPerShare",
    ),
    "eps_basic": (
        "us-gaap:EarningsPerShareBasic",
        "us-gaap:EarningsPerShareBasicAndDiluted",
        "ifrs-full:BasicEarningsLossPerShare",
        "ifrs-full:BasicAndDilutedEarningsLossPerShare",
    ),
    "capex": (
        "us-gaap:PaymentsToAcquirePropertyPlantAndEquipment",
        "us-gaap:PaymentsToAcquireProductiveAssets",
        "ifrs-full:PurchaseOfPropertyPlantAndEquipmentClassifiedAsInvestingActivities",
        "ifrs-full:PurchaseOfPropertyPlantAndEquipment",
    ),
    "operating_cash_flow": (
        "us-gaap:NetCashProvidedByUsedInOperatingActivities",
        "us-gaap:NetCashProvidedByUsedInOperatingActivitiesContinuingOperations",
        "ifrs-full:CashFlowsFromUsedInOperatingActivities",
        "ifrs-full:CashFlowsFromUsedInOperations",
    ),
}
PER_SHARE = frozenset({"eps_gaap", "eps_basic"})
LABELS = {
    "revenue": "Revenue",
    "operating_income": "Operating income",
    "net_income": "Net income",
    "eps_gaap": "EPS (diluted)",
    "eps_basic": "EPS (basic)",
    "capex": "Capital expenditure",
    "operating_cash_flow": "Operating cash flow",
}

_CURRENCY_UNIT = re.compile(r"^[A-Z]{3}$")
_PER_SHARE_UNIT = re.compile(r"^([A-Z]{3})/shares$")


# --- the file -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One value as one filing reported it."""

    concept: str  # 'us-gaap:Revenues'
    unit: str  # 'USD', 'USD/shares', 'JPY'
    start: dt.date | None  # None for a point in time (balances)
    end: dt.date
    value: Decimal  # exactly as in the file
    accession: str  # '0000950170-22-000796'
    form: str  # '10-K', '10-Q', '10-K/A', '20-F'
    filed: dt.date
    fy: int | None = None  # the filing's fiscal year and period: not what the fact measures
    fp: str | None = None

    @property
    def amendment(self) -> bool:
        return self.form.endswith("/A")


@dataclass(frozen=True)
class CompanyFacts:
    path: str
    cik: int
    name: str
    facts: dict[str, dict[str, tuple[Fact, ...]]]  # concept -> unit -> facts

    def units(self, concept: str) -> dict[str, tuple[Fact, ...]]:
        return self.facts.get(concept, {})


def filing_url(cik: int, accession: str) -> str:
    """The filing's folder on EDGAR: .../edgar/data/1318605/000095017022000796/."""
    return f"{EDGAR_ARCHIVES}/{cik}/{accession.replace('-', '')}/"


def cik_file_name(cik: int) -> str:
    """The name the SEC gives a company's facts, and fetch-sec saves them under: CIK0001318605.json."""
    return f"CIK{cik:010d}.json"


def load_companyfacts(path: Path | str) -> CompanyFacts:
    """Read a companyfacts file (cached while it is unchanged); raise FilingError if it is not one."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise FilingError(f"{path}: cannot read the file: {exc.strerror}") from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> CompanyFacts:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FilingError(f"{path}: cannot read the file: {exc.strerror}") from None
    return parse_companyfacts(raw, path)


def parse_companyfacts(raw: bytes, path: str) -> CompanyFacts:
    try:
        data = json.loads(raw, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FilingError(f"{path}: not a JSON file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("facts"), dict) or "cik" not in data:
        raise FilingError(f"{path}: not an SEC companyfacts file (expected cik, entityName and facts at the top)")
    try:
        cik = int(data["cik"])
    except (TypeError, ValueError):
        raise FilingError(f"{path}: cik {data['cik']!r} is not a number") from None
    facts: dict[str, dict[str, tuple[Fact, ...]]] = {}
    for taxonomy, concepts in data["facts"].items():
        if not isinstance(concepts, dict):
            continue
        for concept, body in concepts.items():
            units = body.get("units") if isinstance(body, dict) else None
            if not isinstance(units, dict):
                continue
            name = f"{taxonomy}:{concept}"
            facts[name] = {
                unit: tuple(f for f in (_fact(name, unit, row) for row in rows) if f is not None)
                for unit, rows in units.items()
                if isinstance(rows, list)
            }
    return CompanyFacts(path, cik, str(data.get("entityName") or f"CIK {cik}"), facts)


def _fact(concept: str, unit: str, row: Any) -> Fact | None:
    """One row of the file; rows without the fields a figure needs are skipped."""
    if not isinstance(row, dict):
        return None
    try:
        start = dt.date.fromisoformat(row["start"]) if row.get("start") else None
        fy = row.get("fy")
        return Fact(
            concept,
            unit,
            start,
            dt.date.fromisoformat(row["end"]),
            Decimal(row["val"]),
            str(row["accn"]),
            str(row["form"]),
            dt.date.fromisoformat(row["filed"]),
            int(fy) if fy is not None else None,
            row.get("fp"),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


# --- periods ------------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(?:(Q[1-4]|H[12]) )?FY(\d{4})$")


@dataclass(frozen=True)
class Span:
    """The dates a fiscal period covers, and what a derivation needs."""

    period: str  # 'Q4 FY2021'
    start: dt.date
    end: dt.date
    year_start: dt.date  # first day of the fiscal year
    previous_end: dt.date | None  # end of the year-to-date period before this one (Q4: Q3's end)

    @property
    def derivable(self) -> bool:
        return self.previous_end is not None


def period_span(period: str, fiscal_year_end: str, named_by: str = "end", end: dt.date | None = None) -> Span:
    """The span of 'Q4 FY2021', 'H1 FY2026' or 'FY2025' in a fiscal calendar; ``end`` overrides the nominal end."""
    match = _PERIOD.match(period.strip())
    if not match:
        raise FilingError(f"'{period}' is not a fiscal period (write e.g. 'Q4 FY2021', 'H1 FY2026' or 'FY2025')")
    part, fy = match[1] or "FY", int(match[2])
    year_start = fiscal_year_end_date(fy - 1, fiscal_year_end, named_by) + dt.timedelta(days=1)
    nominal_end = nominal_period_end(period.strip(), fiscal_year_end, named_by)
    assert nominal_end is not None
    previous = {"Q2": "Q1", "Q3": "Q2", "Q4": "Q3", "H2": "H1"}.get(part)
    previous_end = nominal_period_end(f"{previous} FY{fy}", fiscal_year_end, named_by) if previous else None
    if part in ("Q1", "H1", "FY"):
        start = year_start
    else:
        assert previous_end is not None  # Q2-Q4 and H2 name a period before them, of the same well-formed year
        start = previous_end + dt.timedelta(days=1)
    return Span(period.strip(), start, end or nominal_end, year_start, previous_end)


# --- choosing facts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """The fact chosen for one span among the filings that carry it, and why."""

    fact: Fact
    amended_from: Fact | None = None  # the original fact, when an amendment changed its value
    restated_in: Fact | None = None  # a later (non-amendment) filing that gives another value


@dataclass(frozen=True)
class Resolved:
    """A standard figure for a period, with the filing(s) it comes from."""

    metric: str
    cik: int
    concept: str
    unit: str
    start: dt.date
    end: dt.date
    value: Decimal
    pick: Pick  # the fact cited: the figure itself, or the year-to-date it was derived from
    less: Pick | None = None  # derived: the earlier year-to-date figure subtracted

    @property
    def derived(self) -> bool:
        return self.less is not None

    @property
    def amended(self) -> bool:
        return self.pick.amended_from is not None or (self.less is not None and self.less.amended_from is not None)

    @property
    def fact(self) -> Fact:
        return self.pick.fact

    @property
    def url(self) -> str:
        return filing_url(self.cik, self.fact.accession)

    @property
    def per_share(self) -> bool:
        return self.metric in PER_SHARE

    @property
    def currency(self) -> str:
        return self.unit.split("/")[0]

    def amount(self) -> Amount:
        """The value as an amount a scorecard can show, exactly equal to the filing's."""
        return filing_amount(self.value, per_share=self.per_share)


@dataclass(frozen=True)
class Missing:
    """A standard figure the file does not give for the period, and why."""

    metric: str
    reason: str


# Decimal places a filed amount keeps at least, by scale. Filers report in thousands or millions, so
# a filed figure is exact to the million or finer, and is shown so: 18000000 is 18.00M, not '18M',
# which would read as rounded to the million and be judged against a consensus of 17.5M at that
# precision (in line) instead of at the consensus's own (a beat).
MIN_PLACES = {"T": 3, "B": 3, "M": 2, "K": 0, "": 0}


def filing_amount(value: Decimal, *, per_share: bool) -> Amount:
    """An exact amount in a readable scale: 17719000000 -> 17.719B; 18000000 -> 18.00M; 4.9 per share -> 4.90."""
    if per_share:
        places = max(2, _places(value))
        return Amount(value.quantize(Decimal(1).scaleb(-places)))
    scale, exponent = "", 0
    for letter, power in (("T", 12), ("B", 9), ("M", 6), ("K", 3)):
        if abs(value) >= Decimal(1).scaleb(power):
            scale, exponent = letter, power
            break
    mantissa = value.scaleb(-exponent)
    places = max(_places(mantissa.normalize()), MIN_PLACES[scale])
    return Amount(mantissa.quantize(Decimal(1).scaleb(-places)), scale=scale)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _near(a: dt.date | None, b: dt.date) -> bool:
    return a is not None and abs(a - b) <= DATE_TOLERANCE


def pick(facts: list[Fact] | tuple[Fact, ...]) -> Pick:
    """Among the filings of one value for one span: the original, unless an amendment changed it."""
    ordered = sorted(facts, key=lambda f: (f.filed, f.amendment, f.accession))
    original = ordered[0]
    changed = [f for f in ordered[1:] if f.amendment and f.value != original.value]
    chosen, amended_from = (changed[-1], original) if changed else (original, None)
    later = [f for f in ordered if f.filed > chosen.filed and not f.amendment and f.value != chosen.value]
    return Pick(chosen, amended_from, later[-1] if later else None)


def _find(facts: tuple[Fact, ...], start: dt.date, end: dt.date) -> Pick | None:
    """The value for the span from ``start`` to ``end`` (each within the tolerance), if filed."""
    groups: dict[tuple[dt.date | None, dt.date], list[Fact]] = {}
    for fact in facts:
        if _near(fact.start, start) and _near(fact.end, end):
            groups.setdefault((fact.start, fact.end), []).append(fact)
    if not groups:
        return None
    best = min(groups, key=lambda k: (abs(k[1] - end) + abs(k[0] - start), k))  # type: ignore[operator]
    return pick(groups[best])


def _units(company: CompanyFacts, concept: str, per_share: bool, currency: str | None) -> list[str]:
    """The concept's units that fit the figure, the reporting currency first, then USD."""
    pattern = _PER_SHARE_UNIT if per_share else _CURRENCY_UNIT
    units = [u for u in company.units(concept) if pattern.match(u)]

    def rank(unit: str) -> tuple[int, int, str]:
        code = unit.split("/", maxsplit=1)[0]
        return (code != currency, code != "USD", unit)

    return sorted(units, key=rank)


def resolve(company: CompanyFacts, metric: str, span: Span, currency: str | None = None) -> Resolved | Missing:
    """One standard figure for a period: filed directly, else derived from year-to-date figures."""
    if metric not in CONCEPTS:
        return Missing(
            metric, f"'{metric}' is not a figure this tool takes from filings (it takes: {', '.join(CONCEPTS)})"
        )
    per_share = metric in PER_SHARE
    refused = False
    seen_currencies: set[str] = set()
    for concept in CONCEPTS[metric]:
        for unit in _units(company, concept, per_share, currency):
            seen_currencies.add(unit.split("/")[0])
            if currency and unit.split("/")[0] != currency:
                continue
            facts = company.units(concept)[unit]
            direct = _find(facts, span.start, span.end)
            if direct is not None:
                return Resolved(
                    metric,
                    company.cik,
                    concept,
                    unit,
                    direct.fact.start or span.start,
                    direct.fact.end,
                    direct.fact.value,
                    direct,
                )
            if not span.derivable:
                continue
            to_date = _find(facts, span.year_start, span.end)
            before = _find(facts, span.year_start, span.previous_end)  # type: ignore[arg-type]
            if to_date is None or before is None:
                continue
            if per_share:
                refused = True
                continue
            start = before.fact.end + dt.timedelta(days=1)
            return Resolved(
                metric,
                company.cik,
                concept,
                unit,
                start,
                to_date.fact.end,
                to_date.fact.value - before.fact.value,
                to_date,
                before,
            )
    if refused:
        return Missing(
            metric,
            f"no {span.period} figure is filed, and a per-share figure cannot be derived "
            "from year-to-date figures (the share count differs between them)",
        )
    if currency and seen_currencies and currency not in seen_currencies:
        return Missing(metric, f"filed in {', '.join(sorted(seen_currencies))}, not {currency}")
    if not any(company.units(c) for c in CONCEPTS[metric]):
        return Missing(metric, "not in the file (looked for " + ", ".join(CONCEPTS[metric]) + ")")
    return Missing(
        metric, f"no figure for {span.start} to {span.end} in the file, directly or from year-to-date figures"
    )


def resolve_all(company: CompanyFacts, span: Span, currency: str | None = None) -> dict[str, Resolved | Missing]:
    return {metric: resolve(company, metric, span, currency) for metric in CONCEPTS}


# --- words and JSON for `scorecard facts` -------------------------------------------------------


def describe(resolved: Resolved) -> str:
    """Where a figure comes from, in a sentence: for notes on the scorecard and the facts table."""
    fact = resolved.fact
    parts = []
    if resolved.less is not None:
        less = resolved.less.fact
        parts.append(
            f"derived as {_span_words(fact)} ({_grouped(fact.value)}; {fact.form} {fact.accession}, "
            f"filed {fact.filed}) less {_span_words(less)} ({_grouped(less.value)}; "
            f"{less.form} {less.accession}, filed {less.filed})"
        )
    for p in (resolved.pick, resolved.less):
        if p is not None and p.amended_from is not None:
            o = p.amended_from
            parts.append(
                f"amended: {p.fact.form} {p.fact.accession} (filed {p.fact.filed}) changed "
                f"{_grouped(o.value)} in {o.form} {o.accession} to {_grouped(p.fact.value)}"
            )
        if p is not None and p.restated_in is not None:
            r = p.restated_in
            parts.append(
                f"later restated as {_grouped(r.value)} in {r.form} {r.accession} (filed {r.filed}); "
                "the figure as first filed is used"
            )
    return "; ".join(parts)


def _span_words(fact: Fact) -> str:
    if fact.start is None:
        return f"at {fact.end}"
    days = (fact.end - fact.start).days + 1
    months = round(days / 30.44)
    if months >= 12:
        return f"the year to {fact.end}"
    return f"the {months} months to {fact.end}"


def _grouped(value: Decimal) -> str:
    return f"{value:,f}"


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {
        "value": fact.value,
        "start": fact.start,
        "end": fact.end,
        "form": fact.form,
        "accession": fact.accession,
        "filed": fact.filed,
    }


def as_json(results: dict[str, Resolved | Missing]) -> dict[str, Any]:
    """The figures as `scorecard facts --format json` prints them: one object keyed by metric."""
    out: dict[str, Any] = {}
    for metric, item in results.items():
        if isinstance(item, Missing):
            out[metric] = {"value": None, "reason": item.reason}
            continue
        entry: dict[str, Any] = {
            "value": item.value,
            "unit": item.unit,
            "start": item.start,
            "end": item.end,
            "form": item.fact.form,
            "accession": item.fact.accession,
            "filed": item.fact.filed,
            "url": item.url,
            "derived": item.derived,
            "concept": item.concept,
        }
        if item.less is not None:
            entry["derived_from"] = [_fact_json(item.fact), _fact_json(item.less.fact)]
        amended = item.pick.amended_from or (item.less.amended_from if item.less else None)
        entry["amended"] = amended is not None
        if amended is not None:
            entry["amended_from"] = _fact_json(amended)
        restated = item.pick.restated_in
        if restated is not None:
            entry["restated_later"] = _fact_json(restated)
        out[metric] = entry
    return out


def dumps_exact(data: Any) -> str:
    """JSON with every Decimal written exactly as it is (53823000000, 0.64), dates as YYYY-MM-DD."""
    marks: list[str] = []

    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            marks.append(format(obj, "f"))
            return f"\x00{len(marks) - 1}\x00"
        if isinstance(obj, dt.date):
            return obj.isoformat()
        raise TypeError(f"cannot write {type(obj).__name__} as JSON")

    text = json.dumps(data, default=default, indent=2, ensure_ascii=False)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: marks[int(m[1])], text)


def as_table(company: CompanyFacts, span: Span, results: dict[str, Resolved | Missing]) -> str:
    """The resolved figures as a plain-text table, with where each comes from."""
    head = f"{company.name} (CIK {company.cik}), {span.period}: {span.start} to {span.end}\nfrom {company.path}\n\n"
    rows = [("Metric", "Value", "Unit", "Period", "Form", "Accession", "Filed")]
    notes: list[str] = []
    for metric, item in results.items():
        label = LABELS.get(metric, metric)
        if isinstance(item, Missing):
            rows.append((label, "—", "", "", "", "", ""))
            notes.append(f"{label}: {item.reason}")
            continue
        mark = " (derived)" if item.derived else (" (amended)" if item.amended else "")
        rows.append(
            (
                label + mark,
                _grouped(item.value),
                item.unit,
                f"{item.start} – {item.end}",
                item.fact.form,
                item.fact.accession,
                str(item.fact.filed),
            )
        )
        words = describe(item)
        if words:
            notes.append(f"{label}: {words}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i == 1 and n else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    text = head + "\n".join(lines) + "\n"
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    return text
