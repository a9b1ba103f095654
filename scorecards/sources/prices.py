"""Closing prices, and the price reaction to a report measured from them over a standard window.

One CSV file per ticker in ``inputs/prices/<TICKER>.csv``, with a header naming at least ``date`` (YYYY-MM-DD) and
``close`` (any order, any case; other columns are ignored), one row per trading day. The market index the
reaction is compared with is a file of its own, ``inputs/prices/SPX.csv`` by default (the setting ``price_index``).

The trading days are the dates the file holds. The first trading day that can react to a report depends on its
timing: a report before the open or during the session is in that day's close (the day itself, or the next
trading day when the market is shut); a report after the close first shows in the next trading day's close. From
that day (day 0), the standard window runs from the close ``before`` trading days earlier to the close of the
``after``-th reacting session (day ``after - 1``): with the defaults 2 and 2, from two closes before day 0 to the
close of day 1, the two days either side of the report that FactSet measures. The one-day move is from the close
before day 0 to day 0's close.

>>> prices = Prices("p.csv", (dt.date(2026, 2, 2), dt.date(2026, 2, 3), dt.date(2026, 2, 4), dt.date(2026, 2, 5),
...     dt.date(2026, 2, 6)), (Decimal(100), Decimal(100), Decimal(100), Decimal(110), Decimal(121)))
>>> day0 = reaction_day(prices, dt.date(2026, 2, 4), Timing.AFTER_CLOSE)
>>> prices.dates[day0]
datetime.date(2026, 2, 5)
>>> move = window(prices, day0, 2, 2)
>>> move.start, move.end, move.pct
(datetime.date(2026, 2, 3), datetime.date(2026, 2, 6), Decimal('21.00'))
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from scorecards.errors import Problem
from scorecards.model.schema import Timing

PRICES_FOLDER = "prices"


@dataclass(frozen=True)
class Prices:
    """One ticker's closes, by date, oldest first."""

    path: str
    dates: tuple[dt.date, ...]
    closes: tuple[Decimal, ...]

    def close_on(self, day: dt.date) -> Decimal | None:
        at = bisect.bisect_left(self.dates, day)
        return self.closes[at] if at < len(self.dates) and self.dates[at] == day else None


@dataclass(frozen=True)
class Move:
    """The move between two closes."""

    start: dt.date
    end: dt.date
    start_close: Decimal
    end_close: Decimal

    @property
    def pct(self) -> Decimal:
        return (self.end_close / self.start_close - 1) * 100


def reaction_day(prices: Prices, reported: dt.date, timing: Timing) -> int | None:
    """The index of the first trading day whose close can react to a report on ``reported`` at ``timing``."""
    if timing is Timing.AFTER_CLOSE:
        at = bisect.bisect_right(prices.dates, reported)
    else:  # before the open, or during the session: that day's close already reacts
        at = bisect.bisect_left(prices.dates, reported)
    return at if at < len(prices.dates) else None


def window(prices: Prices, day0: int, before: int, after: int) -> Move | None:
    """From the close ``before`` trading days before day 0 to the close of day ``after - 1``; None when the file
    does not reach that far."""
    start, end = day0 - before, day0 + after - 1
    if start < 0 or end >= len(prices.dates) or end < start:
        return None
    return Move(prices.dates[start], prices.dates[end], prices.closes[start], prices.closes[end])


def read_prices(path: Path) -> tuple[Prices | None, list[Problem]]:
    """A price file, or the problems found in it (``path:line: column: message``)."""
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return None, [Problem(name, 1, 0, "", f"cannot read the file: {exc.strerror}")]
    except UnicodeDecodeError:
        return None, [Problem(name, 1, 0, "", "not UTF-8 text", "export the file as UTF-8 CSV")]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return None, [Problem(name, 1, 0, "", "the file is empty", "start with a header row: date,close")]
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in ("date", "close") if column not in header]
    if missing:
        return None, [
            Problem(name, 1, 0, column, f"missing required column '{column}'", "the header must name: date, close")
            for column in missing
        ]
    at_date, at_close = header.index("date"), header.index("close")
    problems: list[Problem] = []
    seen: dict[dt.date, int] = {}
    closes: dict[dt.date, Decimal] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * len(header)
        try:
            day = dt.date.fromisoformat(cells[at_date])
        except ValueError:
            problems.append(Problem(name, line, 0, "date", f"'{cells[at_date]}' is not a date in the form YYYY-MM-DD"))
            continue
        try:
            close = Decimal(cells[at_close].replace(",", ""))
        except InvalidOperation:
            close = Decimal(-1)
        if not close.is_finite() or close <= 0:
            problems.append(Problem(name, line, 0, "close", f"'{cells[at_close]}' is not a positive price"))
            continue
        if day in seen:
            problems.append(Problem(name, line, 0, "date", f"{day} appears twice (also line {seen[day]})"))
            continue
        seen[day] = line
        closes[day] = close
    if problems:
        return None, problems
    days = tuple(sorted(closes))
    return Prices(name, days, tuple(closes[d] for d in days)), []


@dataclass
class PriceBook:
    """The price files of a folder, each read once per build, when first asked for."""

    folder: Path
    files: dict[str, tuple[Prices | None, list[Problem]]] = field(default_factory=dict)

    def path(self, ticker: str) -> Path:
        return self.folder / f"{ticker}.csv"

    def series(self, ticker: str) -> tuple[Prices | None, list[Problem]]:
        """The ticker's closes (None when it has no file, or a file with problems, which come with it)."""
        if ticker not in self.files:
            path = self.path(ticker)
            self.files[ticker] = read_prices(path) if path.is_file() else (None, [])
        return self.files[ticker]
