"""Consensus estimates from CSV files in inputs/consensus/, in one provider-neutral layout.

One row per company, period, metric, provider and date, with a header row naming the columns
(any order, any case):

=========== ======== ==========================================================================
column      required what it holds
=========== ======== ==========================================================================
ticker      yes      the company's ticker, as in its scorecard (AMZN)
period      yes      the fiscal period, spelled as in scorecards: Q4 FY2025, H1 FY2026, FY2026
metric      yes      a metric key (revenue, eps_adjusted, operating_income, ...), or ``eps``
basis                gaap (or ifrs, reported) / adjusted (or non-gaap); needed for ``eps``
mean        yes      the mean estimate, as scorecards write amounts: 640.07M, 0.30, 31.9%
median, high, low    the same, optional
estimates            how many estimates the mean is of: 12
std_dev              their standard deviation (same unit as the mean): 0.02, 5.1M
as_of       yes      the date of the estimates: 2026-02-04
provider    yes      who compiled them: FactSet, LSEG I/B/E/S, Visible Alpha, an in-house survey
=========== ======== ==========================================================================

Amounts are read with the scorecards' own reader, so they keep their precision exactly. A bad
row is reported as ``path:line: column: message``.

>>> standardised_surprise(Decimal("0.45"), Decimal("0.30"), Decimal("0.05"))
Decimal('3')
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from scorecards.errors import AmountError, Problem
from scorecards.files import read_input
from scorecards.model.amounts import Amount, parse_amount
from scorecards.model.metrics import REGISTRY, Basis, Kind

COLUMNS = (
    "ticker",
    "period",
    "metric",
    "basis",
    "mean",
    "median",
    "high",
    "low",
    "estimates",
    "std_dev",
    "as_of",
    "provider",
)
MAX_BYTES = 20_000_000  # a season's estimates for thousands of companies are a few megabytes
REQUIRED = ("ticker", "period", "metric", "mean", "as_of", "provider")
ALIASES = {
    "std": "std_dev",
    "stdev": "std_dev",
    "std dev": "std_dev",
    "standard_deviation": "std_dev",
    "n": "estimates",
    "count": "estimates",
    "num_estimates": "estimates",
    "asof": "as_of",
    "as of": "as_of",
    "date": "as_of",
    "fiscal_period": "period",
}
BASIS_WORDS = {
    "gaap": Basis.REPORTED,
    "ifrs": Basis.REPORTED,
    "reported": Basis.REPORTED,
    "adjusted": Basis.ADJUSTED,
    "non-gaap": Basis.ADJUSTED,
    "nongaap": Basis.ADJUSTED,
    "non gaap": Basis.ADJUSTED,
}
UNIT_WORDS = {
    Kind.MONEY: "an amount such as 640.07M",
    Kind.PER_SHARE: "a per-share amount such as 0.30",
    Kind.PERCENT: "a percentage such as 31.9%",
    Kind.COUNT: "a number such as 8.0M",
    Kind.MULTIPLE: "a multiple such as 1.2x",
}


def standardised_surprise(actual: Decimal, mean: Decimal, std_dev: Decimal) -> Decimal | None:
    """(actual − mean) ÷ the standard deviation of the estimates (Zacks); None when the spread is zero."""
    if std_dev <= 0:
        return None
    return (actual - mean) / std_dev


@dataclass(frozen=True)
class Estimate:
    """One row: a provider's consensus for one company, period and metric, as of a date."""

    path: str
    line: int
    ticker: str
    period: str
    metric: str  # a registry key: revenue, eps_adjusted
    mean: Amount
    median: Amount | None
    high: Amount | None
    low: Amount | None
    estimates: int | None
    std_dev: Amount | None
    as_of: dt.date
    provider: str
    text: str  # the row as written, for the build's fingerprint

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class _Unread:
    """One file's rows of one company, as read: (line, values, the row as written) each."""

    path: str
    columns: dict[int, str]
    width: int  # the columns the header names
    rows: list[tuple[int, list[str], str]]


@dataclass(frozen=True)
class _Checked:
    """One company's rows once checked: its estimates, their problems, and the estimates by (period, metric)."""

    estimates: list[Estimate]
    problems: list[Problem]
    index: dict[tuple[str, str], list[Estimate]]


@dataclass
class ConsensusBook:
    """Every consensus row in a folder, and the problems found reading it.

    A company's rows are checked when they are first asked for (``rows``, ``of``, ``problems_for``): a build after
    one company file changed needs that company's rows of a season's thousands. ``estimates`` and ``row_problems``
    check every company's."""

    file_problems: list[tuple[frozenset[str] | None, Problem]] = field(default_factory=list)  # tickers in the file
    _unread: dict[str, list[_Unread]] = field(default_factory=dict, repr=False)  # each file's rows, by ticker
    _checked: dict[str, _Checked] = field(default_factory=dict, repr=False)  # by ticker, once checked
    _files: list[str] = field(default_factory=list, repr=False)  # in the order they were read

    def _check(self, ticker: str) -> _Checked:
        """One company's rows and their problems (``ticker`` in capitals, as the files' are read)."""
        if ticker not in self._checked:
            checked = _Checked([], [], {})
            for unread in self._unread.get(ticker, []):
                checked.estimates.extend(_check_rows(unread, checked.problems))
            for e in checked.estimates:
                checked.index.setdefault((e.period, e.metric), []).append(e)
            self._checked[ticker] = checked
        return self._checked[ticker]

    def _every(self) -> list[_Checked]:
        return [self._check(ticker) for ticker in sorted(self._unread)]

    @property
    def estimates(self) -> list[Estimate]:
        """Every company's rows, in the order of the files and their lines."""
        order = {path: i for i, path in enumerate(self._files)}
        rows = [e for checked in self._every() for e in checked.estimates]
        return sorted(rows, key=lambda e: (order[e.path], e.line))

    @property
    def row_problems(self) -> list[tuple[str, Problem]]:
        """Every company's row problems, (ticker, problem), in the order of the files and their lines (the repeated
        rows of a file after its other problems)."""
        order = {path: i for i, path in enumerate(self._files)}
        found = [(t, p) for t in sorted(self._unread) for p in self._check(t).problems]
        return sorted(found, key=lambda tp: (order[tp[1].path], tp[1].message.startswith(SAME), tp[1].line))

    def problems_for(self, ticker: str) -> list[Problem]:
        """The problems that concern one company: its rows, and files it has rows in (or unreadable ones)."""
        ticker = ticker.upper()
        out = list(self._check(ticker).problems)
        out += [p for tickers, p in self.file_problems if tickers is None or ticker in tickers]
        return out

    def rows(self, ticker: str, period: str, metric: str) -> list[Estimate]:
        """Every row for one company, period and metric, in file order."""
        return self._check(ticker.upper()).index.get((period, metric), [])

    def of(self, ticker: str) -> list[Estimate]:
        """Every row for one company, in file order."""
        return self._check(ticker.upper()).estimates

    def choose(
        self, ticker: str, period: str, metric: str, reported: dt.date | None
    ) -> tuple[Estimate | None, list[Estimate]]:
        """The latest estimate dated no later than the report (ties: more estimates), and those dated after it."""
        rows = self.rows(ticker, period, metric)
        before = [e for e in rows if reported is None or e.as_of <= reported]
        after = [e for e in rows if e not in before]
        if not before:
            return None, after
        return max(before, key=lambda e: (e.as_of, e.estimates or 0, e.provider, -e.line)), after

    def history(self, chosen: Estimate, reported: dt.date | None) -> list[Estimate]:
        """The chosen estimate's provider's rows for the same company, period and metric, dated no later than the
        report (or than the chosen one, when no report date is known), oldest first; one per date (the one with
        the most estimates)."""
        until = reported or chosen.as_of
        by_date: dict[dt.date, Estimate] = {}
        for e in self.rows(chosen.ticker, chosen.period, chosen.metric):
            if e.provider.lower() == chosen.provider.lower() and e.as_of <= until:
                kept = by_date.get(e.as_of)
                if kept is None or (e.estimates or 0) > (kept.estimates or 0):
                    by_date[e.as_of] = e
        return [by_date[day] for day in sorted(by_date)]

    def digest(self, ticker: str) -> str:
        """A hash of what this company's scorecard may take from the folder."""
        digest = hashlib.sha256()
        for e in self.of(ticker):
            digest.update(f"{e.path}:{e.line}:{e.text}\n".encode())
        for p in self.problems_for(ticker):
            digest.update(str(p).encode())
        return digest.hexdigest()


def read_folder(folder: Path) -> ConsensusBook:
    """Read every *.csv in ``folder`` (none is fine)."""
    book = ConsensusBook()
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            read_file(path, book)
    return book


def read_file(path: Path, book: ConsensusBook) -> None:
    name = str(path)
    try:
        raw = read_input(path, MAX_BYTES, size_hint="split it into one file per provider or per season")
    except OSError as exc:  # also a FIFO, a device or a file over the limit (RefusedInput), refused unread
        hint = getattr(exc, "hint", "")
        book.file_problems.append((None, Problem(name, 1, 0, "", f"cannot read the file: {exc.strerror}", hint)))
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        book.file_problems.append(
            (
                None,
                Problem(
                    name, line, 0, "", f"byte 0x{raw[exc.start]:02x} is not UTF-8 text", "export the file as UTF-8 CSV"
                ),
            )
        )
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        book.file_problems.append(
            (None, Problem(name, 1, 0, "", "the file is empty", "start with a header row: " + ",".join(COLUMNS)))
        )
        return
    except csv.Error as exc:
        book.file_problems.append((None, Problem(name, 1, 0, "", f"not valid CSV: {exc}")))
        return
    columns, header_problems = _header(name, header)
    rows: list[tuple[int, list[str], str]] = []
    lines = text.splitlines()
    start = reader.line_num + 1
    try:
        for values in reader:
            end = reader.line_num
            rows.append((start, values, "\n".join(lines[start - 1 : end])))
            start = end + 1
    except csv.Error as exc:
        header_problems.append(Problem(name, start, 0, "", f"not valid CSV: {exc}", "check the quotes on this line"))
    tickers: set[str] = set()
    unread: dict[str, _Unread] = {}
    width = len(header)
    at = next((i for i, col in columns.items() if col == "ticker"), None)
    for line, values, row_text in rows:
        if not any(v.strip() for v in values):
            continue
        ticker = values[at].strip().upper() if at is not None and at < len(values) else ""
        if ticker:
            tickers.add(ticker)
        if ticker not in unread:
            unread[ticker] = _Unread(name, columns, width, [])
            book._unread.setdefault(ticker, []).append(unread[ticker])  # noqa: SLF001 - its own module
            book._checked.pop(ticker, None)  # noqa: SLF001 - a company checked before this file: checked again
        unread[ticker].rows.append((line, values, row_text))
    book._files.append(name)  # noqa: SLF001 - its own module
    missing_ticker = "ticker" not in columns.values()
    for problem in header_problems:
        book.file_problems.append((None if missing_ticker else frozenset(tickers), problem))


def _check_rows(unread: _Unread, problems: list[Problem]) -> list[Estimate]:
    """The estimates in one file's rows of one company (without repeats); their problems go to ``problems``."""
    found: list[Estimate] = []
    for line, values, text in unread.rows:
        if len(values) > unread.width:
            problems.append(
                Problem(
                    unread.path,
                    line,
                    0,
                    "",
                    f"{len(values)} values in a row, but the header names {unread.width} columns",
                    'quote values that contain a comma: "12,300M"',
                )
            )
            continue
        cells = {col: (values[i].strip() if i < len(values) else "") for i, col in unread.columns.items()}
        estimate, row_problems = _row(unread.path, line, cells, text)
        problems += row_problems
        if estimate is not None and "ticker" in unread.columns.values():
            found.append(estimate)
    return _duplicates(found, unread.path, problems)


def _header(path: str, header: list[str]) -> tuple[dict[int, str], list[Problem]]:
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for index, title in enumerate(header):
        key = title.strip().lower().replace("-", "_")
        key = ALIASES.get(key, key)
        if key in COLUMNS:
            if key in columns.values():
                problems.append(Problem(path, 1, 0, title.strip(), f"column '{title.strip()}' appears twice"))
                continue
            columns[index] = key
        elif key:
            close = difflib.get_close_matches(key, COLUMNS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "columns: " + ", ".join(COLUMNS)
            problems.append(Problem(path, 1, 0, title.strip(), f"unknown column '{title.strip()}'", hint))
    for required in REQUIRED:
        if required not in columns.values():
            problems.append(
                Problem(
                    path,
                    1,
                    0,
                    required,
                    f"missing required column '{required}'",
                    "the header must name: " + ", ".join(REQUIRED),
                )
            )
    return columns, problems


class _Bad(Protocol):
    """How ``_row``'s helpers report a problem in one of its cells."""

    def __call__(self, column: str, message: str, hint: str = "") -> None: ...


def _row(path: str, line: int, cells: dict[str, str], text: str) -> tuple[Estimate | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(column: str, message: str, hint: str = "") -> None:
        problems.append(Problem(path, line, 0, column, message, hint))

    for column in REQUIRED:
        if column in cells and not cells[column]:
            bad(column, "empty", "every row needs " + ", ".join(REQUIRED))
    ticker = cells.get("ticker", "").upper()
    if ticker and not re.fullmatch(r"[A-Z0-9][A-Z0-9.\-]{0,9}", ticker):
        bad("ticker", f"'{cells['ticker']}' is not a ticker", "capital letters and digits, e.g. AMZN or 6758")
    period = re.sub(r"\s+", " ", cells.get("period", "")).upper()
    if period and not re.fullmatch(r"(Q[1-4] FY|H[12] FY|FY)\d{4}", period):
        bad(
            "period",
            f"'{cells['period']}' is not a fiscal period",
            "write it as in scorecards: Q4 FY2025, H1 FY2026, FY2026",
        )
    metric = _metric(cells.get("metric", ""), cells.get("basis", ""), bad)
    kind = REGISTRY[metric].kind if metric else None
    amounts: dict[str, Amount | None] = {}
    for column in ("mean", "median", "high", "low", "std_dev"):
        amounts[column] = _amount(cells.get(column, ""), column, kind, bad)
    estimates = None
    if cells.get("estimates"):
        try:
            estimates = int(cells["estimates"].replace(",", ""))
            if estimates < 1:
                raise ValueError
        except ValueError:
            bad("estimates", f"'{cells['estimates']}' is not a number of estimates", "a whole number such as 12")
            estimates = None
    as_of = None
    if cells.get("as_of"):
        try:
            as_of = dt.date.fromisoformat(cells["as_of"])
        except ValueError:
            bad(
                "as_of",
                f"'{cells['as_of']}' is not a date in the form YYYY-MM-DD",
                "write dates as YYYY-MM-DD; 02/04/2026 could be 2 April or 4 February",
            )
    mean, low, high, std = amounts["mean"], amounts["low"], amounts["high"], amounts["std_dev"]
    if low is not None and high is not None and low.value > high.value:
        bad("low", f"low ({low.written}) is above high ({high.written})", "swap low and high")
    elif mean is not None and (
        (low is not None and mean.value < low.value) or (high is not None and mean.value > high.value)
    ):
        bad("mean", f"the mean ({mean.written}) is outside low–high", "check the mean, low and high")
    if std is not None and std.value < 0:
        bad("std_dev", f"a standard deviation cannot be negative ({std.written})")
    if problems or mean is None or as_of is None or not metric or not ticker or not period:
        return None, problems
    return Estimate(
        path,
        line,
        ticker,
        period,
        metric,
        mean,
        amounts["median"],
        high,
        low,
        estimates,
        std,
        as_of,
        cells["provider"],
        text,
    ), problems


def _metric(name: str, basis_text: str, bad: _Bad) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    basis_word = basis_text.strip().lower()
    if basis_word and basis_word not in BASIS_WORDS:
        bad("basis", f"'{basis_text}' is not a basis", "gaap (or ifrs, reported) or adjusted (or non-gaap)")
        return ""
    basis = BASIS_WORDS.get(basis_word)
    if not key:
        return ""
    if key == "eps":
        if basis is None:
            bad("basis", "EPS needs a basis", "gaap or adjusted: consensus EPS is usually adjusted")
            return ""
        return "eps_adjusted" if basis is Basis.ADJUSTED else "eps_gaap"
    if key not in REGISTRY:
        close = difflib.get_close_matches(key, list(REGISTRY) + ["eps"], n=1, cutoff=0.6)
        bad(
            "metric",
            f"unknown metric '{name}'",
            f"did you mean '{close[0]}'?"
            if close
            else "use a metric key as in scorecards: revenue, eps_adjusted, operating_income, ...",
        )
        return ""
    own = REGISTRY[key].basis
    if basis is Basis.ADJUSTED and own is not Basis.ADJUSTED:
        if f"{key}_adjusted" in REGISTRY:
            return f"{key}_adjusted"
        bad("basis", f"{key} has no adjusted form", "leave basis empty, or use a metric with an adjusted form")
        return ""
    if basis is Basis.REPORTED and own is Basis.ADJUSTED:
        bad(
            "basis",
            f"{key} is an adjusted metric, but the basis says {basis_word}",
            f"use {'eps_gaap' if key == 'eps_adjusted' else key.removesuffix('_adjusted')} for the GAAP figure",
        )
        return ""
    return key


def _amount(text: str, column: str, kind: Kind | None, bad: _Bad) -> Amount | None:
    if not text:
        return None
    try:
        amount = parse_amount(text)
    except AmountError as exc:
        bad(column, str(exc), exc.hint)
        return None
    if kind is None:
        return amount
    wanted = {Kind.PERCENT: "percent", Kind.MULTIPLE: "x"}.get(kind, "plain")
    if amount.unit.value != wanted and not (kind is Kind.MULTIPLE and amount.unit.value == "plain"):
        bad(column, f"expected {UNIT_WORDS[kind]}, found '{text}'")
        return None
    if kind is Kind.PER_SHARE and amount.scale:
        bad(column, f"a per-share amount has no scale, found '{text}'", f"write {amount.mantissa}")
        return None
    if amount.qualifier:
        bad(column, f"an estimate is a number, found '{text}'", "drop the ~, > or <")
        return None
    return amount


SAME = "the same estimate as line"


def _duplicates(estimates: list[Estimate], path: str, problems: list[Problem]) -> list[Estimate]:
    """The estimates of one file and company without repeats (the same provider, period, metric and date): each
    repeat is a problem."""
    seen: dict[tuple[str, str, str, str, dt.date], Estimate] = {}
    keep: list[Estimate] = []
    for e in estimates:
        key = (e.ticker, e.period, e.metric, e.provider.lower(), e.as_of)
        if key in seen:
            problems.append(
                Problem(
                    path,
                    e.line,
                    0,
                    "",
                    f"{SAME} {seen[key].line} ({e.ticker}, {e.period}, {e.metric}, {e.provider}, {e.as_of})",
                    "remove one of the rows",
                )
            )
            continue
        seen[key] = e
        keep.append(e)
    return keep
