"""The season book: contents, the season summary and every scorecard in one PDF.

The pages are the very PDFs the build already made, put together with pypdf,
so the book costs one small render (its contents page) and a merge. Each
company keeps its own bookmarks under its name.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .compute import Scorecard

if TYPE_CHECKING:
    from pypdf import PdfReader


@dataclass(frozen=True)
class Entry:
    title: str
    card: Scorecard | None
    first_page: int  # 1-based page in the book
    pages: int


# The parts read while the workers render, kept for the merge: (path, inode, mtime, size) -> reader, so that a
# file written again (a new inode) is read again. Parsing a part (pypdf reads its whole object stream to find
# the pages) is most of what the book costs.
_readers: dict[tuple[Path, int, int, int], PdfReader] = {}


def _reader(path: Path) -> PdfReader:
    from pypdf import PdfReader

    stat = path.stat()
    key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if key not in _readers:
        _readers[key] = reader = PdfReader(path)  # read into memory: no file is held open
        len(reader.pages)  # parsed now
    return _readers[key]


def page_count(path: Path) -> int:
    return len(_reader(path).pages)


def read_ahead(paths: list[Path]) -> None:
    """Read the parts that are not being rendered again, while the workers render the others."""
    for path in paths:
        if path.exists():
            _reader(path)


def page_count_bytes(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def plan(season_pdf: Path, companies: list[tuple[Scorecard, Path]], contents_pages: int) -> list[Entry]:
    """Where each part starts, given how many pages the contents take."""
    entries = []
    page = contents_pages + 1
    count = page_count(season_pdf)
    entries.append(Entry("Season summary", None, page, count))
    page += count
    for card, path in companies:
        count = page_count(path)
        entries.append(Entry(card.company.name, card, page, count))
        page += count
    return entries


def assemble(contents_pdf: bytes, season_pdf: Path, companies: list[tuple[Scorecard, Path]],
             metadata: dict[str, str], contents_title: str = "Contents", language: str | None = None) -> bytes:
    """The book; ``contents_title`` is the bookmark of the contents page, in the book's ``language``."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(contents_pdf)), import_outline=False)
    writer.add_outline_item(title=contents_title, page_number=0)
    used = [season_pdf] + [p for _, p in companies]
    for path in used:
        reader = _reader(path)
        _own_names(reader, f"{path.stem}:")
        writer.append(reader, import_outline=True)
    for key in [key for key in _readers if key[0] in set(used)]:  # done with: not kept past this book
        del _readers[key]
    writer.add_metadata(metadata)
    if language:
        writer.root_object[NameObject("/Lang")] = TextStringObject(language)
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _own_names(reader: PdfReader, prefix: str) -> None:
    """Give a part's named destinations, and its links to them, the part's own prefix: every scorecard names its
    anchors alike ('src-1' is the first source in each), and in one file a link must reach its own part."""
    from pypdf.generic import NameObject, TextStringObject

    def prefixed(name) -> TextStringObject:
        return TextStringObject(prefix + str(name))

    def rename(node) -> None:  # a name tree: /Names [name, dest, ...] and /Kids
        node = node.get_object()
        names = node.get("/Names")
        if names is not None:
            for i in range(0, len(names), 2):
                names[i] = prefixed(names[i])
        for kid in node.get("/Kids", []):
            rename(kid)

    names = reader.trailer["/Root"].get("/Names")
    dests = names.get_object().get("/Dests") if names is not None else None
    if dests is not None:
        rename(dests)
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if isinstance(annotation.get("/Dest"), str):
                annotation[NameObject("/Dest")] = prefixed(annotation["/Dest"])
            action = annotation.get("/A")
            if action is not None and action.get_object().get("/S") == "/GoTo" \
                    and isinstance(action.get_object().get("/D"), str):
                action.get_object()[NameObject("/D")] = prefixed(action.get_object()["/D"])
