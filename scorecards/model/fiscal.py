"""Fiscal periods: which calendar dates a company's 'Q3 FY2025' covers.

>>> nominal_period_end("Q3 FY2025", "03-31", "start")   # Sony: FY2025 ends March 2026
datetime.date(2025, 12, 31)
>>> nominal_period_end("Q2 FY2026", "06-30", "end")     # Coherent: FY2026 ends June 2026
datetime.date(2025, 12, 31)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_PERIOD = re.compile(r"^(?:(Q[1-4]|H[12]) )?FY(\d{4})$")


def fiscal_year_end_date(fy: int, fye: str, named_by: str) -> dt.date:
    """Last day of fiscal year ``fy``; ``named_by`` says whether FY is named by its end or start year."""
    month, day = (int(x) for x in fye.split("-"))
    year = fy
    if named_by == "start" and (month, day) != (12, 31):
        year = fy + 1
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months_back(date: dt.date, months: int, month_end: bool) -> dt.date:
    total = date.year * 12 + (date.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, last if month_end else min(date.day, last))


def nominal_period_end(period: str, fye: str, named_by: str = "end") -> dt.date | None:
    """The nominal last day of a fiscal period, or None if the period is not understood."""
    match = _PERIOD.match(period)
    if not match:
        return None
    part, fy = match[1], int(match[2])
    year_end = fiscal_year_end_date(fy, fye, named_by)
    month_end = year_end.day == calendar.monthrange(year_end.year, year_end.month)[1]
    if part is None:
        return year_end
    quarters_left = {"Q1": 3, "Q2": 2, "Q3": 1, "Q4": 0, "H1": 2, "H2": 0}[part]
    return _months_back(year_end, 3 * quarters_left, month_end)
