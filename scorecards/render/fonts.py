"""Light PDFs: each embedded font made as small as the glyphs it draws.

WeasyPrint subsets a font but keeps every glyph's number (the page's text refers to glyphs by number), so a subset of
Noto Sans CJK still holds 65,000 empty glyphs and their metrics: 150 KB compressed for a page citing two Chinese
titles, and about 15 KB for each Inter face. ``compact_fonts`` rewrites each such font as a CID-keyed CFF holding
only the glyphs drawn, each under its old number as its CID, so that the page's text is left as it is (PDF 2.0,
9.7.4.2: a CIDFontType0C program maps CIDs to its glyphs through its charset). The result draws the same pixels.

>>> compact_fonts(b"not a pdf") == b"not a pdf"
True
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from typing import Any

from fontTools.cffLib import CharStrings, FDArrayIndex, FDSelect, FontDict
from fontTools.ttLib import TTFont, TTLibError


def compact_fonts(data: bytes) -> bytes:
    """``data``, a PDF, with every OpenType CFF font program it embeds cut down to the glyphs its fonts use; the
    PDF as it was when it cannot be read."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError:
        return data
    with pdf:
        programs: dict[tuple[int, int], tuple[Any, set[int]]] = {}  # font file -> (its stream, the glyphs used)
        for font in _cid_fonts(pdf):
            descriptor = font.get("/FontDescriptor")
            program = descriptor.get("/FontFile3") if descriptor is not None else None
            if program is None or program.get("/Subtype") != "/OpenType":
                continue
            programs.setdefault(program.objgen, (program, set()))[1].update(_widths(font.get("/W")))
        if not programs:
            return data
        for program, glyphs in programs.values():
            cff = compact_cff(program.read_bytes(), glyphs)
            if cff is not None:
                program.write(zlib.compress(cff, 9), filter=pikepdf.Name.FlateDecode)
                program.Subtype = pikepdf.Name.CIDFontType0C
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
        return out.getvalue()


def _cid_fonts(pdf: Any) -> Iterable[Any]:
    for obj in pdf.objects:
        if isinstance(obj, dict) or getattr(obj, "get", None) is None:
            continue
        try:
            is_cid = obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/CIDFontType0"
        except (TypeError, ValueError):
            continue
        if is_cid:
            yield obj


def _widths(array: Any) -> set[int]:
    """The glyphs a CIDFont's /W array gives widths for: ``c [w1 w2 …]`` or ``c_first c_last w``."""
    glyphs: set[int] = set()
    items = list(array) if array is not None else []
    i = 0
    while i < len(items):
        first = int(items[i])
        if i + 1 < len(items) and hasattr(items[i + 1], "__len__") and not isinstance(items[i + 1], (int, float)):
            glyphs.update(range(first, first + len(items[i + 1])))
            i += 2
        else:
            glyphs.update(range(first, int(items[i + 1]) + 1))
            i += 3
    return glyphs


def compact_cff(data: bytes, glyphs: Iterable[int]) -> bytes | None:
    """The CFF program (a CIDFontType0C) of ``data``, an OpenType CFF font, holding only ``glyphs`` (and .notdef),
    each with its old glyph number as its CID; None for a font this does not apply to (TrueType, variable).

    A name-keyed font (Inter) becomes CID-keyed with one font dict; a CID-keyed one (Noto Sans CJK, whose CIDs are
    its glyph numbers) keeps its font dicts."""
    try:
        font = TTFont(io.BytesIO(data))
    except (TTLibError, OSError, AssertionError):
        return None
    if "CFF " not in font or "fvar" in font:
        return None
    top = font["CFF "].cff.topDictIndex[0]
    order = font.getGlyphOrder()
    keep = sorted({0, *(g for g in glyphs if 0 <= g < len(order))})
    names = [".notdef", *(f"cid{g:05d}" for g in keep[1:])]
    old = top.CharStrings
    if hasattr(top, "ROS"):
        if any(name != f"cid{g:05d}" for g, name in zip(keep[1:], (order[g] for g in keep[1:]), strict=True)):
            return None  # a CID-keyed font whose CIDs are not its glyph numbers: the page's codes would change
        fd_array = top.FDArray
        selected = [top.FDSelect[g] for g in keep]
    else:
        fd = FontDict()
        fd.setCFF2(False)
        fd.Private = top.Private
        fd_array = FDArrayIndex()
        fd_array.append(fd)
        selected = [0] * len(keep)
        top.ROS = ("Adobe", "Identity", 0)
        del top.Private
        for name in ("Encoding", "UniqueID", "XUID"):
            if hasattr(top, name):
                delattr(top, name)
    top.CIDCount = max(65535, keep[-1] + 1)
    fd_select = FDSelect(format=3)
    fd_select.gidArray = selected
    charstrings = CharStrings(None, names, old.globalSubrs, None, fd_select, fd_array)
    for gid, name in zip(keep, names, strict=True):
        charstring = old[order[gid]]
        charstring.decompile()
        charstrings[name] = charstring
    top.charset = names
    top.CharStrings = charstrings
    top.FDArray = fd_array
    top.FDSelect = fd_select
    out = io.BytesIO()
    font["CFF "].cff.compile(out, font)
    return out.getvalue()
