"""Data out: the season as tidy CSV, a formatted Excel workbook and JSON, built with pandas.

Every row comes from the same computed objects the scorecards show, and
carries the figure's display text beside its exact value, so the numbers in
the files are the numbers on the pages.
"""
from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from .compute import Figure, Guide, Kpi, Scorecard, Value
from .filters import amount, outcome_word
from .metrics import Kind
from .season import Season, calendar_quarter

COLUMNS = [
    "ticker", "company", "sector", "season", "period", "period_end", "reported", "record", "segment", "metric",
    "label", "basis", "kind", "unit", "currency", "actual", "actual_text", "consensus", "consensus_text",
    "surprise", "surprise_text", "surprise_pct", "outcome", "low", "high", "guidance_period", "source",
]


def _unit(value: Value | None, kind: Kind, currency: str) -> str:
    if value is not None and value.amount.unit.value in ("percent", "pp", "x"):
        return {"percent": "%", "pp": "pp", "x": "x"}[value.amount.unit.value]
    return {Kind.MONEY: currency, Kind.PER_SHARE: f"{currency}/share", Kind.PERCENT: "%", Kind.COUNT: "count",
            Kind.MULTIPLE: "x"}[kind]


def _number(value: Value | None) -> Decimal | None:
    return None if value is None else value.number


def _sources(card: Scorecard, cites: tuple[int, ...]) -> str:
    by_number = {c.number: c for c in card.citations}
    return "; ".join(f"{by_number[n].publisher}, {by_number[n].title}" + (f", {by_number[n].date}" if by_number[n].date else "")
                     for n in cites)


def tidy_rows(cards: list[Scorecard]) -> list[dict[str, Any]]:
    """One row per company, quarter and metric (results, segment results, guidance and KPIs)."""
    rows: list[dict[str, Any]] = []
    for card in cards:
        c = card.company
        for q in card.quarters:
            base = {"ticker": c.ticker, "company": c.name, "sector": c.sector,
                    "season": calendar_quarter(q.period_end).label, "period": q.period,
                    "period_end": q.period_end.isoformat(), "reported": q.reported.isoformat() if q.reported else None}
            items: list[tuple[str, str, Figure | Guide | Kpi]] = [("result", "", f) for f in q.figures]
            for seg in q.segments:
                items += [("result", seg.name, f) for f in seg.figures] + [("kpi", seg.name, k) for k in seg.kpis]
            items += [("guidance", "", g) for g in q.guidance] + [("kpi", "", k) for k in q.kpis]
            for record, segment, item in items:
                rows.append({**base, "record": record, "segment": segment, **_figure_columns(card, item)})
    return rows


def _figure_columns(card: Scorecard, item: Figure | Guide | Kpi) -> dict[str, Any]:
    metric = item.metric
    if isinstance(item, Figure):
        actual, consensus, surprise = item.actual, item.consensus, item.surprise
        pct, outcome, low, high, period = item.surprise_pct, item.outcome, None, None, None
        basis = item.basis_label
    elif isinstance(item, Guide):
        actual, consensus, surprise = item.midpoint, item.consensus, item.versus
        pct, outcome, low, high, period = item.versus_pct, item.stance, item.low, item.high, item.period
        basis = item.basis_label
    else:
        actual, consensus, surprise, pct, outcome, low, high, period = item.value, None, None, None, None, None, None, None
        basis = "Operating" if metric.basis.value == "operating" else ""
    return {
        "metric": metric.key, "label": metric.label, "basis": basis, "kind": metric.kind.value,
        "unit": _unit(actual, metric.kind, card.company.currency), "currency": card.company.currency,
        "actual": _number(actual), "actual_text": amount(actual) if actual else None,
        "consensus": _number(consensus), "consensus_text": amount(consensus) if consensus else None,
        "surprise": _number(surprise), "surprise_text": amount(surprise, signed=True) if surprise else None,
        "surprise_pct": pct, "outcome": outcome_word(outcome) if outcome is not None and outcome.value != "none" else None,
        "low": _number(low), "high": _number(high), "guidance_period": period,
        "source": _sources(card, item.cites),
    }


def summary_rows(seasons: tuple[Season, ...]) -> list[dict[str, Any]]:
    from .filters import verdict

    out = []
    for s in seasons:
        for r in s.rows:
            out.append({
                "season": s.quarter.label, "ticker": r.card.company.ticker, "company": r.card.company.name,
                "sector": r.card.company.sector, "period": r.quarter.period,
                "revenue": _number(r.revenue.actual) if r.revenue else None,
                "revenue_text": amount(r.revenue.actual) if r.revenue and r.revenue.actual else None,
                "revenue_surprise_pct": r.revenue.surprise_pct if r.revenue else None,
                "eps": _number(r.eps.actual) if r.eps else None,
                "eps_text": amount(r.eps.actual) if r.eps and r.eps.actual else None,
                "eps_basis": r.eps.basis_label if r.eps else None,
                "eps_surprise_pct": r.eps.surprise_pct if r.eps else None,
                "reaction_pct": r.quarter.reaction.change.number if r.quarter.reaction else None,
                "reaction_window": r.quarter.reaction.window.value if r.quarter.reaction else None,
                "verdict": verdict(r.quarter),
            })
    return out


def _plain(value: Any) -> Any:
    """Exact text for a Decimal in CSV ('777700000', '0.30')."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def to_csv(cards: list[Scorecard], rows: list[dict[str, Any]] | None = None) -> str:
    import pandas as pd

    frame = pd.DataFrame(tidy_rows(cards) if rows is None else rows, columns=COLUMNS).map(_plain)
    return frame.to_csv(index=False, lineterminator="\n")


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else format(value, "f")
    return value


def to_json(cards: list[Scorecard], seasons: tuple[Season, ...], rows: list[dict[str, Any]] | None = None) -> str:
    data = {
        "seasons": [{k: _json_number(v) for k, v in row.items()} for row in summary_rows(seasons)],
        "figures": [{k: _json_number(v) for k, v in row.items()}
                    for row in (tidy_rows(cards) if rows is None else rows)],
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write_exports(name: str, cards: list[Scorecard], seasons: tuple[Season, ...], targets: list,
                  created) -> tuple[str, str | None]:
    """Write the asked-for data files (run in a worker process, beside the PDFs); returns (name, error or None)."""
    from .errors import BuildError
    from .writer import write_atomic

    rows = tidy_rows(cards)  # once for all the files of this job
    makers = {".csv": lambda: to_csv(cards, rows), ".json": lambda: to_json(cards, seasons, rows),
              ".xlsx": lambda: to_xlsx(cards, seasons, created, rows)}
    try:
        for target in targets:
            write_atomic(target, makers[target.suffix]())
    except BuildError as exc:
        return name, str(exc)
    return name, None


# Number formats of the workbook's columns (Excel's codes); other columns are text or general.
XLSX_FORMATS = {"revenue": "#,##0", "eps": "0.00##", "actual": "#,##0.####", "consensus": "#,##0.####",
                "surprise": "#,##0.####", "low": "#,##0.####", "high": "#,##0.####",
                "revenue_surprise_pct": '0.0"%"', "eps_surprise_pct": '0.0"%"', "surprise_pct": '0.0"%"',
                "reaction_pct": '0.0"%"'}


def to_xlsx(cards: list[Scorecard], seasons: tuple[Season, ...], created,
            rows: list[dict[str, Any]] | None = None) -> bytes:
    """A workbook: a summary sheet and the tidy sheet; numbers as numbers with formats; header rows frozen.

    The tables are pandas frames; XlsxWriter writes them (several times faster than openpyxl at season scale).
    """
    import pandas as pd
    import xlsxwriter

    def numeric(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()} for row in records]

    summary = pd.DataFrame(numeric(summary_rows(seasons)))
    tidy = pd.DataFrame(numeric(tidy_rows(cards) if rows is None else rows), columns=COLUMNS)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    formats = {name: book.add_format({"num_format": code}) for name, code in XLSX_FORMATS.items()}
    bold = book.add_format({"bold": True})
    for sheet, frame in (("Summary", summary), ("Figures", tidy)):
        ws = book.add_worksheet(sheet)
        ws.freeze_panes(1, 0)
        for index, name in enumerate(frame.columns):
            ws.set_column(index, index, max(10, min(40, len(str(name)) + 4)), formats.get(name))
            ws.write_string(0, index, str(name), bold)
        for number, record in enumerate(frame.itertuples(index=False, name=None), start=1):
            ws.write_row(number, 0, [None if v is None or (isinstance(v, float) and v != v) else v for v in record])
    if created is not None:
        book.set_properties({"created": created})
    book.close()
    return _reproducible_zip(buffer.getvalue(), created)


def _reproducible_zip(data: bytes, when) -> bytes:
    """The same workbook bytes for the same data: fixed entry times, and the data date in its properties."""
    import re
    import zipfile

    stamp = (when.year, when.month, when.day, 0, 0, 0) if when is not None else (1980, 1, 1, 0, 0, 0)
    iso = f"{stamp[0]:04d}-{stamp[1]:02d}-{stamp[2]:02d}T00:00:00Z"
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + iso.encode() + rb"\2",
                                 payload)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, payload)
    return out.getvalue()
