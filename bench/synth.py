"""A synthetic earnings season for benchmarks: N realistic company files, deterministic from a seed.

Each company has four quarters, segments, guidance, KPIs, call quotes and
notes, enough to fill about two pages, like a well-covered large company.
"""

from __future__ import annotations

import random
from pathlib import Path

SECTORS = [
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
]
WORDS = [
    "demand",
    "margin",
    "backlog",
    "pricing",
    "capacity",
    "cloud",
    "data",
    "centre",
    "supply",
    "chain",
    "customers",
    "inventory",
    "guidance",
    "orders",
    "shipments",
    "services",
    "platform",
    "software",
    "hardware",
    "energy",
    "storage",
    "subscriptions",
    "advertising",
]
CHINESE = "公司表示人工智能需求強勁資本開支將繼續增加數據中心訂單創新高管理層對全年前景保持樂觀"


def _sentence(rng: random.Random, words: int = 16, chinese: bool = False) -> str:
    if chinese:
        start = rng.randrange(0, len(CHINESE) - 20)
        return CHINESE[start : start + 20] + "。" + " ".join(rng.choice(WORDS) for _ in range(words // 2)) + "."
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _money(rng: random.Random, base: float) -> str:
    return f"{base * rng.uniform(0.9, 1.1):.2f}B"


def company_yaml(index: int, seed: int = 0, chinese: bool = False) -> str:
    rng = random.Random(seed * 100_003 + index)
    ticker = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + f"{index % 100:02d}"
    name = ("示例控股 " if chinese else "") + f"Synthetic Holdings {index} Inc."
    size = rng.uniform(1, 80)
    lines = [
        "# yaml-language-server: $schema=../build/scorecard.schema.json",
        "company:",
        f"  name: {name}",
        f"  ticker: {ticker}",
        "  exchange: NYSE",
        f"  sector: {rng.choice(SECTORS)}",
        "  currency: USD",
        '  fiscal_year_end: "12-31"',
        "sources:",
        "  pr:",
        f"    publisher: Synthetic Holdings {index}",
        "    title: Fourth quarter and full year results",
        "    date: 2026-02-05",
        "  wire:",
        "    publisher: " + ("財經通訊社" if chinese else "Newswire"),
        "    title: " + (_sentence(rng, 6, chinese).rstrip(".")),
        "    date: 2026-02-06",
        "quarters:",
    ]
    periods = [
        ("Q4 FY2025", "2025-12-31", "2026-02-05"),
        ("Q3 FY2025", "2025-09-30", "2025-11-05"),
        ("Q2 FY2025", "2025-06-30", "2025-08-05"),
        ("Q1 FY2025", "2025-03-31", "2025-05-05"),
    ]
    for qi, (period, end, reported) in enumerate(periods):
        scale = size * (1 - 0.03 * qi)
        eps = rng.uniform(0.2, 5)
        lines += [
            f"  - period: {period}",
            f"    period_end: {end}",
            f"    reported: {reported}",
            "    timing: after-close",
            "    source: pr",
            "    results:",
            f"      revenue: {{actual: {_money(rng, scale)}, consensus: {_money(rng, scale)}, growth_yoy: {rng.uniform(-5, 30):.1f}%}}",
            f"      operating_income: {{actual: {_money(rng, scale / 5)}, consensus: {_money(rng, scale / 5)}}}",
            f"      operating_margin: {{actual: {rng.uniform(10, 35):.1f}%, consensus: {rng.uniform(10, 35):.1f}%, change_yoy: {rng.uniform(-3, 3):.1f}pp}}",
            f"      net_income: {{actual: {_money(rng, scale / 7)}, consensus: {_money(rng, scale / 7)}}}",
            f"      eps_gaap: {{actual: {eps * rng.uniform(0.8, 1.1):.2f}, consensus: {eps:.2f}}}",
            f"      eps_adjusted: {{actual: {eps * rng.uniform(0.9, 1.2):.2f}, consensus: {eps * 1.05:.2f}}}",
        ]
        if qi:
            continue
        lines += [
            "    segments:",
            "      - name: Cloud",
            "        results:",
            f"          revenue: {{actual: {_money(rng, scale / 3)}, consensus: {_money(rng, scale / 3)}, growth_yoy: {rng.uniform(5, 40):.1f}%}}",
            f"          operating_margin: {{actual: {rng.uniform(20, 40):.1f}%, consensus: {rng.uniform(20, 40):.1f}%}}",
            "        kpis:",
            f"          backlog: {{value: {_money(rng, scale * 2)}, growth_yoy: {rng.uniform(5, 50):.0f}%}}",
            "      - name: Devices",
            "        results:",
            f"          revenue: {{actual: {_money(rng, scale / 4)}, consensus: {_money(rng, scale / 4)}, growth_yoy: {rng.uniform(-10, 10):.1f}%}}",
            "    guidance:",
            f"      - {{metric: revenue, period: Q1 FY2026, low: {scale * 0.96:.2f}B, high: {scale * 1.04:.2f}B, consensus: {_money(rng, scale)}}}",
            f"      - {{metric: eps_adjusted, period: FY2026, low: {eps * 3.8:.2f}, high: {eps * 4.4:.2f}, consensus: {eps * 4.1:.2f}}}",
            f"      - {{metric: capex, period: FY2026, value: {_money(rng, scale / 2)}, consensus: {_money(rng, scale / 2)}, prior_year: {_money(rng, scale / 2.5)}}}",
            f"      - {{metric: operating_margin, period: FY2026, low: {rng.uniform(15, 20):.1f}%, high: {rng.uniform(21, 25):.1f}%, prior_low: 14.0%, prior_high: 20.0%}}",
            "    kpis:",
            f"      customers: {{value: {rng.uniform(1, 9):.1f}M, kind: count, label: Paying customers, growth_yoy: {rng.uniform(1, 20):.0f}%}}",
            f"      free_cash_flow: {{value: {_money(rng, scale / 6)}, note: {_sentence(rng, 8)}}}",
            f"      book_to_bill: {{value: {rng.uniform(0.9, 1.6):.2f}x}}",
            f"    reaction: {{window: after-hours, change: {rng.uniform(-12, 12):+.1f}%, source: wire}}",
            "    call:",
            "      highlights:",
        ]
        lines += [f"        - {_sentence(rng, 14, chinese)}" for _ in range(3)]
        lines += ["      quotes:"]
        lines += [
            f'        - {{speaker: Jane Doe, role: CEO, text: "{_sentence(rng, 24, chinese)}"}}' for _ in range(1)
        ]
        lines += ["    notes:"]
        lines += [f'      - {{text: "{_sentence(rng, 16, chinese)}", source: wire}}' for _ in range(2)]
    return "\n".join(lines) + "\n"


def generate(folder: Path, count: int, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"co-{index:04d}.yaml"
        path.write_text(company_yaml(index, seed), "utf-8")
        paths.append(path)
    return paths


# --- several seasons, some companies still to report -----------------------------------------------------------
#
# Simple, patterned figures so that every aggregate of the season summary can be worked out by hand (see
# tests/test_season_history.py). Company i is in sector SEASON_SECTORS[(i // 10) % 4], at place j = i % 10 in it.
# Quarter q = 0 is the latest (Q4 FY2025), q = 7 the oldest (Q1 FY2024); in quarter q, with b = BEATS[q]:
# - EPS (adjusted): consensus 1.00; actual 1.10 (beat) for j < b, 1.00 (in line) for j = 9, 0.90 (miss) otherwise;
# - revenue: in q = 0 consensus 1.1 × the sector's base and actual 2% above it; earlier, actual = the base and
#   consensus 0.10B below it (beat) for j <= b, 0.10B above it (miss) otherwise;
# - guidance: next quarter's revenue at the base, consensus 0.10B below (positive) for j < b - 2, above otherwise;
# - reaction: one day, +(q + 1)% after an EPS beat, -(q + 1)% after a miss, 0.0% in line;
# - consensus files (consensus/season.csv), EPS: on the quarter's first day a mean of 1.25 (q % 3 == 0), 1.00
#   (q % 3 == 1) or 0.80 (q % 3 == 2) for even j, 1.00 for odd j; the day before the report (2026-02-02 for those
#   still to report) 1.00, the consensus judged against; 2 + j estimates, high and low 0.05 either side of the mean;
# - closing prices (prices/<ticker>.csv): 100.00 on every weekday from 2023-12-01 to 2026-02-13, except on the first
#   two trading days after each report (after the close): 100 × (1 + m), then 100 × (1 + 2m), m being the typed
#   one-day reaction; so the one-day move is m and the standard window's (two closes before to the second reacting
#   day) 2m. The index (prices/SPX.csv) stays at 5000.00, except 5050.00 on 2026-02-02;
# - in q = 0, companies with i % 4 == 3 are still to report: consensus only, on a scheduled date 2026-02-05 plus
#   i // 4 days (modulo 20; company 39's, 2026-02-03, is before the data date, 2026-02-04, with nothing recorded).
SEASON_SECTORS = ["Information Technology", "Health Care", "Financials", "Energy"]
SEASON_BASE = [4, 2, 1, 3]  # revenue, billions, by sector
BEATS = [6, 8, 7, 6, 5, 7, 8, 9]
SEASON_DATA_DATE = "2026-02-04"  # the press releases' date; the latest quarter was reported on 29 January
SEASON_REPORTED = "2026-01-29"


def _quarter_of(q: int) -> tuple[str, str, int, int]:
    """Quarter q before Q4 FY2025 (calendar fiscal year): its period, its end, its number and fiscal year."""
    number, year = 4 - q % 4, 2025 - q // 4
    end = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}[number]
    return f"Q{number} FY{year}", f"{year}-{end}", number, year


def season_company_yaml(index: int, seasons: int = 8) -> str:
    """Company ``index`` of the multi-season set: ``seasons`` quarters, the latest perhaps still to report."""
    sector, j = (index // 10) % 4, index % 10
    base = SEASON_BASE[sector]
    lines = [
        "company:",
        f"  name: Season Company {index:03d}",
        f"  ticker: S{index:03d}",
        f"  sector: {SEASON_SECTORS[sector]}",
        "  currency: USD",
        '  fiscal_year_end: "12-31"',
        "sources:",
        "  pr:",
        f"    publisher: Season Company {index:03d}",
        "    title: Quarterly results",
        f"    date: {SEASON_DATA_DATE}",
        "quarters:",
    ]
    for q in range(seasons):
        period, end, number, year = _quarter_of(q)
        b = BEATS[q % len(BEATS)]
        if q == 0 and index % 4 == 3:
            lines += [
                f"  - period: {period}",
                f"    period_end: {end}",
                f"    reported: {_scheduled(index)}",
                "    timing: after-close",
                "    source: pr",
                "    results:",
                "      eps_adjusted: {consensus: 1.00}",
                f"      revenue: {{consensus: {base * 1.1:.2f}B}}",
            ]
            continue
        eps = "1.10" if j < b else "1.00" if j == 9 else "0.90"
        if q == 0:
            revenue = f"{{actual: {base * 1.1 * 1.02:.3f}B, consensus: {base * 1.1:.2f}B}}"
            reported = SEASON_REPORTED
        else:
            revenue = f"{{actual: {base:.2f}B, consensus: {base - 0.1 if j <= b else base + 0.1:.2f}B}}"
            reported = _reported(end)
        outcome = "beat" if j < b else "inline" if j == 9 else "miss"
        change = {"beat": f"+{q + 1}.0%", "inline": "0.0%", "miss": f"-{q + 1}.0%"}[outcome]
        following = f"Q{number % 4 + 1} FY{year + (number == 4)}"
        guide = base - 0.1 if j < b - 2 else base + 0.1
        lines += [
            f"  - period: {period}",
            f"    period_end: {end}",
            f"    reported: {reported}",
            "    timing: after-close",
            "    source: pr",
            "    results:",
            f"      eps_adjusted: {{actual: {eps}, consensus: 1.00}}",
            f"      revenue: {revenue}",
            "    guidance:",
            f"      - {{metric: revenue, period: {following}, value: {base:.2f}B, consensus: {guide:.2f}B}}",
            f"    reaction: {{window: 1-day, change: {change}}}",
        ]
    return "\n".join(lines) + "\n"


def _scheduled(index: int) -> str:
    """A company still to report: 2026-02-05 plus i // 4 days (modulo 20, past 80 companies); 2026-02-03 for 39."""
    import datetime as dt

    if index == 39:
        return "2026-02-03"
    return (dt.date(2026, 2, 5) + dt.timedelta(days=(index // 4) % 20)).isoformat()


def _reported(end: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(end) + dt.timedelta(days=35)).isoformat()


def season_consensus_rows(index: int, seasons: int = 8) -> list[str]:
    """Company ``index``'s rows of consensus/season.csv: its EPS estimate at each quarter's start and before it
    reported."""
    import datetime as dt

    j = index % 10
    rows = []
    for q in range(seasons):
        period, end, number, year = _quarter_of(q)
        start = dt.date(year, number * 3 - 2, 1)
        if q == 0 and index % 4 == 3:
            before = dt.date(2026, 2, 2)
        else:
            reported = SEASON_REPORTED if q == 0 else _reported(end)
            before = dt.date.fromisoformat(reported) - dt.timedelta(days=1)
        first = ("1.25", "1.00", "0.80")[q % 3] if j % 2 == 0 else "1.00"
        for day, mean in ((start, first), (before, "1.00")):
            value = float(mean)
            rows.append(
                f"S{index:03d},{period},eps,adjusted,{mean},{value + 0.05:.2f},{value - 0.05:.2f},{2 + j},{day},Synthetic"
            )
    return rows


def generate_seasons(folder: Path, count: int = 40, seasons: int = 8) -> list[Path]:
    """``count`` companies over ``seasons`` seasons, a quarter of them still to report in the latest, with a
    consensus file of their EPS estimates' history."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rows = ["ticker,period,metric,basis,mean,high,low,estimates,as_of,provider"]
    for index in range(count):
        path = folder / f"season-{index:04d}.yaml"
        path.write_text(season_company_yaml(index, seasons), "utf-8")
        paths.append(path)
        rows += season_consensus_rows(index, seasons)
        (folder / "prices").mkdir(exist_ok=True)
        (folder / "prices" / f"S{index:03d}.csv").write_text(season_prices(index, seasons), "utf-8")
    (folder / "consensus").mkdir(exist_ok=True)
    (folder / "consensus" / "season.csv").write_text("\n".join(rows) + "\n", "utf-8")
    index_closes = {day: "5050.00" if day == "2026-02-02" else "5000.00" for day in _weekdays()}
    (folder / "prices" / "SPX.csv").write_text(
        "date,close\n" + "".join(f"{day},{close}\n" for day, close in index_closes.items()), "utf-8"
    )
    return paths


def _weekdays() -> list[str]:
    import datetime as dt

    day, last, out = dt.date(2023, 12, 1), dt.date(2026, 2, 13), []
    while day <= last:
        if day.weekday() < 5:
            out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def season_prices(index: int, seasons: int = 8) -> str:
    """Company ``index``'s closing prices: flat, but for the two trading days after each report."""
    days = _weekdays()
    closes = dict.fromkeys(days, "100.00")
    j = index % 10
    for q in range(seasons):
        if q == 0 and index % 4 == 3:
            continue
        b = BEATS[q % len(BEATS)]
        m = (q + 1) * (1 if j < b else 0 if j == 9 else -1)
        _, end, _, _ = _quarter_of(q)
        reported = SEASON_REPORTED if q == 0 else _reported(end)
        day0 = next(i for i, day in enumerate(days) if day > reported)  # reported after the close
        closes[days[day0]] = f"{100 + m:.2f}"
        closes[days[day0 + 1]] = f"{100 + 2 * m:.2f}"
    return "date,close\n" + "".join(f"{day},{close}\n" for day, close in closes.items())
