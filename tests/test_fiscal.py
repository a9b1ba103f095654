import datetime as dt

import pytest

from scorecards.model.fiscal import fiscal_year_end_date, nominal_period_end


@pytest.mark.parametrize(
    "period, fye, named_by, expected",
    [
        ("Q4 FY2025", "12-31", "end", dt.date(2025, 12, 31)),
        ("Q1 FY2026", "12-31", "end", dt.date(2026, 3, 31)),
        ("Q3 FY2025", "03-31", "start", dt.date(2025, 12, 31)),  # Sony
        ("Q4 FY2025", "03-31", "start", dt.date(2026, 3, 31)),
        ("Q2 FY2026", "06-30", "end", dt.date(2025, 12, 31)),  # Coherent, Microsoft
        ("Q1 FY2026", "06-30", "end", dt.date(2025, 9, 30)),
        ("FY2026", "06-30", "end", dt.date(2026, 6, 30)),
        ("H1 FY2026", "06-30", "end", dt.date(2025, 12, 31)),
        ("Q1 FY2025", "01-31", "end", dt.date(2024, 4, 30)),  # month ends follow the calendar
        ("Q4 FY2025", "12-31", "start", dt.date(2025, 12, 31)),  # a calendar year is named the same both ways
    ],
)
def test_nominal_period_end(period, fye, named_by, expected):
    assert nominal_period_end(period, fye, named_by) == expected


def test_unknown_period_is_none():
    assert nominal_period_end("Q5 FY2025", "12-31") is None


def test_february_year_end_in_leap_year():
    assert fiscal_year_end_date(2024, "02-29", "end") == dt.date(2024, 2, 29)
    assert fiscal_year_end_date(2025, "02-29", "end") == dt.date(2025, 2, 28)
