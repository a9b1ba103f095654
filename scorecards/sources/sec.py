"""Figures from SEC filings: the XBRL "companyfacts" JSON the SEC publishes for every filer.

A companyfacts file lists, per taxonomy (``us-gaap``, ``ifrs-full``, ``dei``) and concept, every
value the company has filed, by unit (``USD``, ``JPY``, ``USD/shares`` ...), each with the dates
it measures (``start``, ``end``), the filing it came from (``accn``, ``form``, ``filed``) and that
filing's own ``fy``/``fp``. This module picks out a company's standard figures for one fiscal
period, avoiding the format's traps:

- a fiscal period's dates are the company's own: each 10-Q and 10-K says which fiscal year and
  period it reports (``fy``/``fp``), and the dates its figures for that period measure are the
  period's real dates (a 52/53-week year ends on a Saturday near, not on, the nominal day);
- facts are then chosen by the dates they measure, never by ``fy``/``fp`` (which describe the
  filing: a 10-K for FY2021 also carries FY2020 and FY2019 with ``fy: 2021``);
- the three-month duration, not the year-to-date one beside it in the same 10-Q;
- the value as first filed, whatever concept that filing used (``SalesRevenueNet`` in 2018,
  ``Revenues`` since), not a later filing's repeat of it, unless an amendment (10-K/A, 10-Q/A)
  changed it: then the amendment's value, saying so; a later filing that gives another value
  without amending (per-share figures after a stock split) is noted as a restatement, not taken;
- a quarter the filings carry only as part of a year-to-date figure (the fourth quarter always;
  cash flows in every quarter) is derived as that year-to-date figure less the one before it
  (Q4 = full year − nine months), flagged as derived, and only from two figures on the same
  basis (both as first filed, or both from the amendment that restated the year); never for
  per-share figures, whose share counts differ between the two periods.

A file is read only if it is a regular file no larger than ``MAX_FILE_BYTES``, and every amount
in it is a finite number of bounded size, so a hostile file costs a clear message, not the build.

>>> span = period_span("Q4 FY2021", "12-31")
>>> span.start, span.end
(datetime.date(2021, 10, 1), datetime.date(2021, 12, 31))
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from scorecards.errors import FilingError
from scorecards.files import read_input
from scorecards.model.amounts import Amount
from scorecards.model.fiscal import fiscal_year_end_date, nominal_period_end

# A fact matches a period whose start and end are each within this of the period's dates: the
# dates the company's own filings give it, or (for a period no filing names) the nominal ones.
# Periods are three months apart, so a week can never match the wrong one.
DATE_TOLERANCE = dt.timedelta(days=7)

# The SEC's largest companyfacts files are a few tens of MB; a larger file is not one, and is
# refused before it is read (parsing JSON takes several times its size in memory).
MAX_FILE_BYTES = 64 * 1024 * 1024
# No filed amount reaches 10^18 in any currency, nor is one written to more than 12 decimals; a
# number beyond these ("1e999999999") is refused, not written out digit by digit.
MAX_AMOUNT_EXPONENT = 18
MIN_AMOUNT_EXPONENT = -12
MAX_NUMBER_CHARS = 40  # a JSON number literal longer than this is not a filed amount

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
    ),
}
# Concepts that sound like a figure but are not it, named when they are all a file has. IFRS
# "cash generated from operations" is before interest and income tax paid: not operating cash flow.
NOT_THE_SAME: dict[str, tuple[tuple[str, str], ...]] = {
    "operating_cash_flow": (
        (
            "ifrs-full:CashFlowsFromUsedInOperations",
            "cash generated from operations, before interest and income tax paid, which is not operating cash flow",
        ),
    ),
}
PER_SHARE = frozenset({"eps_gaap", "eps_basic"})
# Every concept read from a file; the standard figures are in every 10-Q and 10-K, so they also give the
# periods the reports cover.
READ = frozenset(
    [c for concepts in CONCEPTS.values() for c in concepts] + [c for named in NOT_THE_SAME.values() for c, _ in named]
)
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
class OwnPeriod:
    """The fiscal period one periodic report (10-Q, 10-K, 20-F ...) covers, by its own fy/fp and dates."""

    fy: int
    fp: str  # 'Q1', 'Q2', 'Q3', 'FY'
    year_start: dt.date  # the first day of its fiscal year
    end: dt.date  # the last day of the period it reports
    accession: str


@dataclass(frozen=True)
class CompanyFacts:
    path: str
    cik: int
    name: str
    facts: dict[str, dict[str, tuple[Fact, ...]]]  # concept -> unit -> facts
    periods: tuple[OwnPeriod, ...] = ()  # the periods its periodic reports cover, oldest filing first

    def units(self, concept: str) -> dict[str, tuple[Fact, ...]]:
        return self.facts.get(concept, {})


def filing_url(cik: int, accession: str) -> str:
    """The filing's folder on EDGAR: .../edgar/data/1318605/000095017022000796/."""
    return f"{EDGAR_ARCHIVES}/{cik}/{accession.replace('-', '')}/"


def cik_file_name(cik: int) -> str:
    """The name the SEC gives a company's facts, and fetch-sec saves them under: CIK0001318605.json."""
    return f"CIK{cik:010d}.json"


def read_limited(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file no larger than ``limit``; a FilingError for a device, a FIFO, a folder or more.

    The type and size are checked before anything is read (``files.read_input``), so /dev/zero or a FIFO
    put where a companyfacts file should be cannot hang the build or fill its memory."""
    try:
        return read_input(Path(path), limit)
    except OSError as exc:  # also RefusedInput: not a regular file, or over the limit
        raise FilingError(f"{path}: cannot read the file: {exc.strerror}") from None


def load_companyfacts(path: Path | str) -> CompanyFacts:
    """Read a companyfacts file (cached while it is unchanged); raise FilingError if it is not one."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise FilingError(f"{path}: cannot read the file: {exc.strerror}") from None
    return _load(str(path), info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> CompanyFacts:
    return parse_companyfacts(read_limited(path), path)


class _BadNumber(ValueError):
    """A number in the file that no filing holds: NaN, Infinity, or a literal too long to be an amount."""


def _number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise _BadNumber(f"a number {len(text):,} characters long ({text[:20]}...)")
    return Decimal(text)


def _constant(text: str) -> Decimal:
    raise _BadNumber(f"{text} is not a number a filing can hold")


def parse_companyfacts(raw: bytes, path: str) -> CompanyFacts:
    if len(raw) > MAX_FILE_BYTES:
        raise FilingError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB, too large for a companyfacts file")
    try:
        data = json.loads(raw, parse_float=_number, parse_int=_number, parse_constant=_constant)
    except _BadNumber as exc:
        raise FilingError(f"{path}: {exc}") from None
    except RecursionError:
        raise FilingError(f"{path}: not a companyfacts file (its JSON is nested too deeply to read)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise FilingError(f"{path}: not a JSON file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("facts"), dict) or "cik" not in data:
        raise FilingError(f"{path}: not an SEC companyfacts file (expected cik, entityName and facts at the top)")
    cik = _cik(data["cik"])
    if cik is None:
        raise FilingError(f"{path}: cik: {_shown(data['cik'])} is not a CIK (a whole number from 1 to 9999999999)")
    facts: dict[str, dict[str, tuple[Fact, ...]]] = {}
    for taxonomy, concepts in data["facts"].items():
        if not isinstance(concepts, dict):
            continue
        for concept, body in concepts.items():
            units = body.get("units") if isinstance(body, dict) else None
            if not isinstance(units, dict):
                continue
            name = f"{taxonomy}:{concept}"
            if name not in READ:
                continue  # hundreds of concepts the tool never reads: not worth a Fact each
            facts[name] = {}
            for unit, rows in units.items():
                if not isinstance(rows, list):
                    continue
                kept = []
                for n, row in enumerate(rows):
                    fact = _fact(name, unit, row)
                    if fact is None:
                        continue
                    if not _bounded(fact.value):
                        raise FilingError(
                            f"{path}: facts.{taxonomy}.{concept}.units.{unit}[{n}].val: {_shown(fact.value)} "
                            f"is not a filed amount (beyond 10^{MAX_AMOUNT_EXPONENT}, or finer than "
                            f"10^{MIN_AMOUNT_EXPONENT})"
                        )
                    kept.append(fact)
                facts[name][unit] = tuple(kept)
    return CompanyFacts(path, cik, str(data.get("entityName") or f"CIK {cik}"), facts, _own_periods(facts))


def _cik(value: Any) -> int | None:
    """A CIK as the SEC writes it (1318605, or "0001318605"); None for true, -5, 1.5e3 or anything else."""
    if (
        isinstance(value, Decimal)
        and value.as_tuple().exponent == 0
        or isinstance(value, str)
        and re.fullmatch(r"\d{1,10}", value)
    ):
        number = int(value)
    else:
        return None
    return number if 1 <= number <= 9_999_999_999 else None


def _shown(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bounded(value: Decimal) -> bool:
    if not value.is_finite():
        return False
    if value == 0:
        return True
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return value.adjusted() < MAX_AMOUNT_EXPONENT and exponent >= MIN_AMOUNT_EXPONENT


def _fact(concept: str, unit: str, row: Any) -> Fact | None:
    """One row of the file; rows without the fields a figure needs are skipped."""
    if not isinstance(row, dict):
        return None
    try:
        start = dt.date.fromisoformat(row["start"]) if row.get("start") else None
        fy = row.get("fy")
        fp = row.get("fp")
        value = row["val"]
        if not isinstance(value, Decimal):
            return None
        return Fact(
            concept,
            unit,
            start,
            dt.date.fromisoformat(row["end"]),
            value,
            str(row["accn"]),
            str(row["form"]),
            dt.date.fromisoformat(row["filed"]),
            int(fy) if isinstance(fy, Decimal) and fy.as_tuple().exponent == 0 and 1900 < fy < 2200 else None,
            fp if isinstance(fp, str) else None,
        )
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


# The periodic reports whose fy/fp name a fiscal period, and how long each period runs (days).
PERIODIC_FORMS = frozenset({"10-Q", "10-K", "10-KT", "10-QT", "20-F", "40-F"})
PERIOD_DAYS = {"Q1": 91, "Q2": 182, "Q3": 273, "FY": 365}
PERIOD_SLACK = 16  # days: a 14-week quarter or a 53-week year is within this of the usual length


def _own_periods(facts: dict[str, dict[str, tuple[Fact, ...]]]) -> tuple[OwnPeriod, ...]:
    """The period each periodic report covers: the end date most of its figures measure, with its fy/fp.

    A 10-Q for Q2 gives three-month and six-month figures ending on its last day, beside last
    year's; the day most of its figures end on is the quarter's end, and the six-month figures'
    first day is the fiscal year's."""
    ends: dict[str, Counter[dt.date]] = {}
    starts: dict[tuple[str, dt.date], set[dt.date]] = {}
    about: dict[str, tuple[int, str, dt.date]] = {}
    for units in facts.values():
        for rows in units.values():
            for fact in rows:
                if fact.start is None or fact.fy is None or fact.fp not in PERIOD_DAYS:
                    continue
                if fact.form.removesuffix("/A") not in PERIODIC_FORMS:
                    continue
                ends.setdefault(fact.accession, Counter())[fact.end] += 1
                starts.setdefault((fact.accession, fact.end), set()).add(fact.start)
                about.setdefault(fact.accession, (fact.fy, fact.fp, fact.filed))
    periods = []
    for accession, counted in ends.items():
        fy, fp, filed = about[accession]
        end = max(counted, key=lambda day: (counted[day], day))
        length = PERIOD_DAYS[fp]
        first = min(starts[(accession, end)], key=lambda day: abs((end - day).days + 1 - length))
        if abs((end - first).days + 1 - length) <= PERIOD_SLACK:
            periods.append((filed, accession, OwnPeriod(fy, fp, first, end, accession)))
    return tuple(p for _, _, p in sorted(periods))


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


# The report whose own fy/fp names each part of a fiscal year, and the part before it.
_REPORTED_IN = {"Q1": "Q1", "Q2": "Q2", "Q3": "Q3", "Q4": "FY", "FY": "FY", "H1": "Q2", "H2": "FY"}
_BEFORE = {"Q2": "Q1", "Q3": "Q2", "Q4": "Q3", "H2": "Q2"}
HALF_QUARTER = dt.timedelta(days=45)  # a report's own period that far from the one asked for is another period


def locate(company: CompanyFacts, span: Span) -> Span:
    """The span with the dates the company's own reports give the period, where they name it.

    The 10-Q or 10-K whose own ``fy``/``fp`` is the period says when it ended (Apple's Q1 FY2024
    ended on Saturday 30 December 2023, not on the 31st nor on a day counted from a configured
    year-end); the year's other reports, found by the year's first day, say when the part before
    it ended. A period no report names keeps its nominal dates."""
    match = _PERIOD.match(span.period)
    assert match is not None  # period_span made the span from a well-formed period
    part, fy = match[1] or "FY", int(match[2])
    own = _own_period(company, fy, _REPORTED_IN[part], span.end)
    if own is None:
        return span
    previous_end = span.previous_end
    if part in _BEFORE:
        before = [p for p in company.periods if p.fp == _BEFORE[part] and p.year_start == own.year_start]
        if before:
            previous_end = before[0].end
    if part in ("Q1", "H1", "FY"):
        start = own.year_start
    else:
        assert previous_end is not None  # Q2-Q4 and H2 have a part before them
        start = previous_end + dt.timedelta(days=1)
    return Span(span.period, start, own.end, own.year_start, previous_end)


def _own_period(company: CompanyFacts, fy: int, fp: str, near: dt.date) -> OwnPeriod | None:
    """The report period named ``fy``/``fp``, within half a quarter of ``near`` (a check that it is the period
    meant); where the company names its years otherwise, the ``fp`` period nearest ``near``."""
    candidates = [p for p in company.periods if p.fp == fp and abs(p.end - near) <= HALF_QUARTER]
    named = [p for p in candidates if p.fy == fy]
    pool = named or candidates
    return min(pool, key=lambda p: abs(p.end - near)) if pool else None


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


def pick(facts: list[Fact] | tuple[Fact, ...], rank: Callable[[Fact], int] | None = None) -> Pick:
    """Among the filings of one value for one span: the first filing's, unless an amendment changed it.

    The first filing wins whatever concept it used; ``rank`` orders concepts only within one
    filing (a 10-K tagging the same revenue twice). A later filing that gives another value
    without amending it is a restatement, noted on the pick."""
    ordering = rank or (lambda fact: 0)
    per_filing: dict[str, Fact] = {}
    for fact in sorted(facts, key=ordering):
        per_filing.setdefault(fact.accession, fact)
    ordered = sorted(per_filing.values(), key=lambda f: (f.filed, f.amendment, f.accession))
    original = ordered[0]
    changed = [f for f in ordered[1:] if f.amendment and f.value != original.value]
    chosen, amended_from = (changed[-1], original) if changed else (original, None)
    later = [f for f in ordered if f.filed > chosen.filed and not f.amendment and f.value != chosen.value]
    return Pick(chosen, amended_from, later[-1] if later else None)


def _matching(facts: list[Fact], start: dt.date, end: dt.date) -> list[Fact]:
    """Every filing's value for the span from ``start`` to ``end`` (each within the tolerance)."""
    groups: dict[tuple[dt.date | None, dt.date], list[Fact]] = {}
    for fact in facts:
        if _near(fact.start, start) and _near(fact.end, end):
            groups.setdefault((fact.start, fact.end), []).append(fact)
    if not groups:
        return []
    best = min(groups, key=lambda k: (abs(k[1] - end) + abs(k[0] - start), k))  # type: ignore[operator]
    return groups[best]


def _unit_rank(currency: str | None) -> Callable[[str], tuple[int, int, str]]:
    """Units that fit a figure, the reporting currency first, then USD."""

    def rank(unit: str) -> tuple[int, int, str]:
        code = unit.split("/", maxsplit=1)[0]
        return (code != currency, code != "USD", unit)

    return rank


def resolve(company: CompanyFacts, metric: str, span: Span, currency: str | None = None) -> Resolved | Missing:
    """One standard figure for a period: filed directly, else derived from year-to-date figures."""
    if metric not in CONCEPTS:
        return Missing(
            metric, f"'{metric}' is not a figure this tool takes from filings (it takes: {', '.join(CONCEPTS)})"
        )
    span = locate(company, span)
    per_share = metric in PER_SHARE
    pattern = _PER_SHARE_UNIT if per_share else _CURRENCY_UNIT
    preference = {concept: n for n, concept in enumerate(CONCEPTS[metric])}

    def rank(fact: Fact) -> int:
        return preference[fact.concept]

    by_unit: dict[str, list[Fact]] = {}
    seen_currencies: set[str] = set()
    for concept in CONCEPTS[metric]:
        for unit, facts in company.units(concept).items():
            if not pattern.match(unit):
                continue
            seen_currencies.add(unit.split("/")[0])
            if currency is None or unit.split("/")[0] == currency:
                by_unit.setdefault(unit, []).extend(facts)
    refused = ""
    for unit in sorted(by_unit, key=_unit_rank(currency)):
        pool = by_unit[unit]
        direct = _matching(pool, span.start, span.end)
        if direct:
            chosen = pick(direct, rank)
            fact = chosen.fact
            return Resolved(
                metric, company.cik, fact.concept, unit, fact.start or span.start, fact.end, fact.value, chosen
            )
        if not span.derivable:
            continue
        assert span.previous_end is not None
        to_date = _matching(pool, span.year_start, span.end)
        before = _matching(pool, span.year_start, span.previous_end)
        if not to_date or not before:
            continue
        if per_share:
            refused = (
                f"no {span.period} figure is filed, and a per-share figure cannot be derived "
                "from year-to-date figures (the share count differs between them)"
            )
            continue
        derived = _derive(company, metric, unit, span, to_date, before, rank)
        if isinstance(derived, Missing):
            refused = derived.reason
            continue
        return derived
    if refused:
        return Missing(metric, refused)
    if currency and seen_currencies and currency not in seen_currencies:
        return Missing(metric, f"filed in {', '.join(sorted(seen_currencies))}, not {currency}")
    if not any(company.units(c) for c in CONCEPTS[metric]):
        for concept, what in NOT_THE_SAME.get(metric, ()):
            if company.units(concept):
                return Missing(metric, f"the file gives only {concept}: {what}; it is left out")
        return Missing(metric, "not in the file (looked for " + ", ".join(CONCEPTS[metric]) + ")")
    return Missing(
        metric, f"no figure for {span.start} to {span.end} in the file, directly or from year-to-date figures"
    )


def _derive(
    company: CompanyFacts,
    metric: str,
    unit: str,
    span: Span,
    to_date: list[Fact],
    before: list[Fact],
    rank: Callable[[Fact], int],
) -> Resolved | Missing:
    """The year-to-date figure less the one before it, only where both are on the same basis.

    Both as first filed; or, where an amendment changed the year's figure, both from that
    amendment. An amended year less the months before it as first filed would be neither."""
    year, part = pick(to_date, rank), pick(before, rank)
    if year.amended_from is not None:
        amendment = year.fact
        restated = sorted((f for f in before if f.accession == amendment.accession), key=rank)
        if not restated:
            original = year.amended_from
            return Missing(
                metric,
                f"{span.period} is not derived: {amendment.form} {amendment.accession} (filed {amendment.filed}) "
                f"amended {_span_words(amendment)} from {_grouped(original.value)} to {_grouped(amendment.value)} "
                f"but does not restate {_span_words(part.fact)}, so the amended year less "
                f"{_span_words(part.fact)} as first filed ({part.fact.form} {part.fact.accession}) would be on "
                "neither basis",
            )
        first, as_filed = restated[0], part.amended_from or part.fact
        part = Pick(first, as_filed if first.value != as_filed.value else None)
    elif part.amended_from is not None and part.fact.filed > year.fact.filed:
        amendment = part.fact
        return Missing(
            metric,
            f"{span.period} is not derived: {amendment.form} {amendment.accession} (filed {amendment.filed}) "
            f"amended {_span_words(amendment)} after {_span_words(year.fact)} was filed "
            f"({year.fact.form} {year.fact.accession}, filed {year.fact.filed}), and does not restate the year, "
            "so the two would be on different bases",
        )
    start = part.fact.end + dt.timedelta(days=1)
    return Resolved(
        metric,
        company.cik,
        year.fact.concept,
        unit,
        start,
        year.fact.end,
        year.fact.value - part.fact.value,
        year,
        part,
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
        "concept": fact.concept,
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
            if not obj.is_finite():  # JSON has no NaN or Infinity; parsing refuses them, and this never writes one
                raise ValueError(f"{obj} is not a number JSON can hold")
            marks.append(format(obj, "f"))
            return f"\x00{len(marks) - 1}\x00"
        if isinstance(obj, dt.date):
            return obj.isoformat()
        raise TypeError(f"cannot write {type(obj).__name__} as JSON")

    text = json.dumps(data, default=default, indent=2, ensure_ascii=False)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: marks[int(m[1])], text)


def as_table(company: CompanyFacts, span: Span, results: dict[str, Resolved | Missing]) -> str:
    """The resolved figures as a plain-text table, with where each comes from."""
    span = locate(company, span)
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
