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
        font = TTFont(io.BytesIO(data), recalcBBoxes=False)  # the face's own FontBBox, as WeasyPrint embeds it
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


def share_fonts(pdf: Any) -> None:
    """In a PDF put together from others (the season book), one font program per face: the compact CID-keyed
    programs of each part (``compact_fonts``) merged into one, which every part's fonts of that face then use.
    Each part's glyphs keep their CIDs (the face's glyph numbers), so the parts' text and widths stay as they are."""
    import pikepdf

    faces: dict[str, list[Any]] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/FontDescriptor":
            continue
        program = obj.get("/FontFile3")
        if program is not None and program.get("/Subtype") == "/CIDFontType0C":
            faces.setdefault(str(obj.get("/FontName")).split("+")[-1], []).append(obj)
    for descriptors in faces.values():
        programs = list({d.FontFile3.objgen: d.FontFile3 for d in descriptors}.values())
        if len(programs) < 2:
            continue
        merged = merge_cff([program.read_bytes() for program in programs])
        if merged is None:
            continue
        shared = programs[0]
        shared.write(zlib.compress(merged, 9), filter=pikepdf.Name.FlateDecode)
        for descriptor in descriptors:
            descriptor.FontFile3 = shared


def merge_cff(programs: list[bytes]) -> bytes | None:
    """One CID-keyed CFF program holding every glyph of ``programs``, subsets of one face made by
    ``compact_cff`` (each glyph under its CID); None when they do not share their font dicts."""
    from fontTools.cffLib import CFFFontSet

    fonts = []
    for data in programs:
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        fonts.append(cff)
    base = fonts[0].topDictIndex[0]
    names = [_fd_name(fd, i) for i, fd in enumerate(base.FDArray)]
    glyphs: dict[int, tuple[Any, int]] = {}  # CID -> (charstring, index in the base's font dicts)
    for font in fonts:
        top = font.topDictIndex[0]
        if not hasattr(top, "ROS"):
            return None
        local = [_fd_name(fd, i) for i, fd in enumerate(top.FDArray)]
        for gid, name in enumerate(top.charset):
            cid = 0 if name == ".notdef" else int(name[3:])
            if cid in glyphs:
                continue
            fd_name = local[top.FDSelect[gid]]
            if fd_name not in names:
                base.FDArray.append(top.FDArray[top.FDSelect[gid]])
                names.append(fd_name)
            charstring = top.CharStrings[name]
            charstring.decompile()
            glyphs[cid] = (charstring, names.index(fd_name))
    cids = sorted(glyphs)
    charset = [".notdef" if cid == 0 else f"cid{cid:05d}" for cid in cids]
    fd_select = FDSelect(format=3)
    fd_select.gidArray = [glyphs[cid][1] for cid in cids]
    charstrings = CharStrings(None, charset, base.CharStrings.globalSubrs, None, fd_select, base.FDArray)
    for cid, name in zip(cids, charset, strict=True):
        charstrings[name] = glyphs[cid][0]
    base.charset = charset
    base.CharStrings = charstrings
    base.FDSelect = fd_select
    base.CIDCount = max(base.CIDCount, cids[-1] + 1)
    out = io.BytesIO()
    fonts[0].compile(out, TTFont(recalcBBoxes=False))
    return out.getvalue()


def _fd_name(fd: Any, index: int) -> str:
    """A font dict's name (Noto Sans CJK names each: '…-Ideographs', '…-Proportional'); its place otherwise."""
    return str(getattr(fd, "FontName", f"#{index}"))
