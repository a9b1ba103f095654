"""The data files' writers, on values chosen to break them (the examples' files are checked in test_examples.py)."""

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import load_workbook

from scorecards.render.exports import (
    COLUMNS,
    EXCEL_TEXT_MAX,
    XLSX_FORMATS,
    Lines,
    _write_rows,
    sheet_row,
    to_xlsx,
)

# Cell values as _cell gives them, and a few no company file is likely to hold: XML's own characters, control
# characters, text that looks like Excel's escape for one, edge spaces, CJK, a character outside the BMP cut in
# half at Excel's limit, numbers big, small and negative.
AWKWARD = [
    'A&B <c> "d"',
    "line\nbreak",
    "bell\x07",
    "_x0007_ literal",
    " lead",
    "trail ",
    "雲端收入",
    "",
    None,
    0.1 + 0.2,
    1e20,
    -0.5,
    7,
    0,
    123456789012345678,
    1.5e-9,
    "+$2.03B",
    "=1+1",
    "x" * (EXCEL_TEXT_MAX - 1) + "😀",
    "y" * (EXCEL_TEXT_MAX + 5),
]


def _rows(count: int) -> list[tuple]:
    """``count`` rows as wide as the Figures sheet, every awkward value in every column somewhere."""
    return [tuple(AWKWARD[(row * 7 + column) % len(AWKWARD)] for column in range(len(COLUMNS))) for row in range(count)]


def _xlsxwriter_alone(rows: list[tuple], path=None) -> bytes:
    """The same rows written the plain way, through XlsxWriter's cells, with the same column formats (to ``path`` in
    XlsxWriter's constant-memory mode, which writes text as inline strings)."""
    buffer = io.BytesIO()
    options = {"constant_memory": True} if path else {"in_memory": True}
    book = xlsxwriter.Workbook(
        path or buffer, {**options, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = {name: book.add_format({"num_format": code}) for name, code in XLSX_FORMATS.items()}
    for cell_format in formats.values():
        cell_format._get_xf_index()  # numbered in this order, as to_xlsx does (the styles' numbers appear in the XML)
    bold = book.add_format({"bold": True})
    ws = book.add_worksheet("Figures")
    for index, name in enumerate(COLUMNS):
        ws.set_column(index, index, 10, formats.get(name))
        ws.write_string(0, index, name, bold)
    _write_rows(ws, rows)
    book.close()
    return path.read_bytes() if path else buffer.getvalue()


def _rows_xml(workbook: bytes, sheet: str) -> str:
    """The sheet's rows after the header row, as written."""
    xml = zipfile.ZipFile(io.BytesIO(workbook)).read(f"xl/worksheets/{sheet}.xml").decode()
    return xml[xml.index('<row r="2"') : xml.index("</sheetData>")]


def test_figures_sheet_from_kept_rows_is_xlsxwriters_own():
    """The Figures sheet's rows are kept as sheet XML (sheet_row) and put in as XlsxWriter writes the workbook.
    They are byte for byte what XlsxWriter writes itself for those cells in its constant-memory mode (inline
    strings: Excel's escapes for control characters, XML's own characters, edge spaces, text cut at Excel's limit),
    and read back every cell has the value, type and number format of XlsxWriter's ordinary cells."""
    rows = _rows(60)
    parts = [
        Lines("", (), tuple(sheet_row(r) for r in rows[:25])),
        Lines("", (), ()),
        Lines("", (), tuple(sheet_row(r) for r in rows[25:])),
    ]
    workbook = to_xlsx([], parts, None)
    with tempfile.TemporaryDirectory() as folder:
        assert _rows_xml(workbook, "sheet2") == _rows_xml(_xlsxwriter_alone(rows, Path(folder) / "t.xlsx"), "sheet1")
    ours = load_workbook(io.BytesIO(workbook))["Figures"]
    theirs = load_workbook(io.BytesIO(_xlsxwriter_alone(rows)))["Figures"]
    assert ours.dimensions == theirs.dimensions == f"A1:{ours.cell(1, len(COLUMNS)).column_letter}61"
    assert ours.freeze_panes == "A2"
    compared = 0
    for mine, plain in zip(ours.iter_rows(), theirs.iter_rows(), strict=True):
        for a, b in zip(mine, plain, strict=True):
            assert (a.data_type, a.number_format, a.font.b) == (b.data_type, b.number_format, b.font.b), a.coordinate
            # openpyxl undoes Excel's _xHHHH_ escapes in shared strings but not in inline ones (Excel does both)
            if not (isinstance(a.value, str) and "_x" in a.value):
                assert a.value == b.value, a.coordinate
                compared += a.value is not None
    assert compared > 60 * 20
    texts = {cell.value for row in ours.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)}
    assert {'A&B <c> "d"', "line\nbreak", " lead", "trail ", "雲端收入", "=1+1", "bell_x0007_"} <= texts
    assert max(len(t.encode("utf-16-le")) // 2 for t in texts) == EXCEL_TEXT_MAX  # cut at Excel's limit
    assert "x" * (EXCEL_TEXT_MAX - 1) in texts  # ... and never half a character
    numbers = {cell.value for row in ours.iter_rows(min_row=2) for cell in row if cell.data_type == "n"}
    assert {1e20, -0.5, 7, 0, 1.5e-9} <= numbers


def test_figures_sheet_refuses_what_a_cell_cannot_hold():
    with pytest.raises(ValueError, match="cannot hold"):
        sheet_row((float("nan"),))
    with pytest.raises(TypeError, match="no workbook cell for"):
        sheet_row((object(),))


def test_workbook_cells_keep_their_types():
    """Each kind of value lands in the workbook as what it is (the rows are written cell by cell, by type)."""

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    ws = book.add_worksheet("T")
    _write_rows(ws, [("text", "", None, 1.25, 7, True, "=1+1"), ("+$2.03B", None, "", -0.5, 0, False, "x")])
    book.close()
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["T"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2, max_col=7)] == [
        ["text", None, None, 1.25, 7, True, "=1+1"],
        ["+$2.03B", None, None, -0.5, 0, False, "x"],
    ]
    assert sheet.cell(row=2, column=7).data_type == "s"  # text that looks like a formula stays text
    assert sheet.cell(row=2, column=4).data_type == "n" and sheet.cell(row=2, column=6).data_type == "b"


def test_money_columns_show_a_trillion_to_the_unit():
    """Exact amounts are written to the unit with thousands separators: a column narrower than the number shows
    ### in a spreadsheet."""
    from openpyxl.utils import get_column_letter

    cells = tuple(3.714e12 if name in ("actual", "consensus", "surprise", "low", "high") else None for name in COLUMNS)
    ws = load_workbook(io.BytesIO(to_xlsx([], [Lines("", (), (sheet_row(cells),))], None)))["Figures"]
    widest = len(f"{-3.714e12:,.0f}")
    for name in ("actual", "consensus", "surprise", "low", "high"):
        assert ws.column_dimensions[get_column_letter(COLUMNS.index(name) + 1)].width >= widest, name


def test_workbook_parts_are_deflated_fast_and_xlsxwriter_is_left_as_it_was():
    """XlsxWriter offers no compression level; to_xlsx has its parts deflated at level 1 (a third of the data files'
    time at 500 companies went to level 6), then hands XlsxWriter back zipfile's own ZipInfo."""
    import zlib

    import xlsxwriter.workbook

    workbook = to_xlsx([], [Lines("", (), tuple(sheet_row(r) for r in _rows(60)))], None)
    assert xlsxwriter.workbook.ZipInfo is zipfile.ZipInfo
    archive = zipfile.ZipFile(io.BytesIO(workbook))
    part = archive.getinfo("xl/worksheets/sheet2.xml")
    fast = zlib.compressobj(1, zlib.DEFLATED, -15)
    raw = archive.read(part)
    assert part.compress_type == zipfile.ZIP_DEFLATED
    assert part.compress_size == len(fast.compress(raw) + fast.flush()) < part.file_size
