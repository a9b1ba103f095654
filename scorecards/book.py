"""The season book: contents, the season summary and every scorecard in one PDF.

The pages are the very PDFs the build already made, put together with pypdf,
so the book costs one small render (its contents page) and a merge. Each
company keeps its own bookmarks under its name.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from .compute import Scorecard


@dataclass(frozen=True)
class Entry:
    title: str
    card: Scorecard | None
    first_page: int  # 1-based page in the book
    pages: int


# (path, inode, mtime, size) -> pages, for one build: a file written again (a new inode) is counted again
_counted: dict[tuple[Path, int, int, int], int] = {}


def page_count(path: Path) -> int:
    from pypdf import PdfReader

    stat = path.stat()
    key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if key not in _counted:
        _counted[key] = len(PdfReader(path).pages)
    return _counted[key]


def count_ahead(paths: list[Path]) -> None:
    """Count the pages of parts that are not being rendered again, while the workers render the others."""
    for path in paths:
        if path.exists():
            page_count(path)


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
    for path in [season_pdf] + [p for _, p in companies]:
        writer.append(PdfReader(path), import_outline=True)
    writer.add_metadata(metadata)
    if language:
        writer.root_object[NameObject("/Lang")] = TextStringObject(language)
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
