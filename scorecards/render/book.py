"""The season book: contents, the season summary and every scorecard in one PDF.

The pages are the very PDFs the build already made, put together with pikepdf
(qpdf), so the book costs two small renders (its contents page and its page numbers) and a merge: about
0.1 s for the 8 examples and 1.2 s for 100 companies (pypdf took 7 s). Each company
keeps its own bookmarks under its name, and its links still reach its own pages.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorecards.model.scorecard import Scorecard


@dataclass(frozen=True)
class Entry:
    title: str
    card: Scorecard | None
    first_page: int  # 1-based page in the book
    pages: int


_counted: dict[tuple[Path, int, int, int], int] = {}  # (path, inode, mtime, size) -> pages: a new file is counted again


def page_count(path: Path) -> int:
    import pikepdf

    stat = path.stat()
    key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if key not in _counted:
        with pikepdf.open(path) as pdf:
            _counted[key] = len(pdf.pages)
    return _counted[key]


def page_count_bytes(data: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


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


def assemble(
    contents_pdf: bytes,
    season_pdf: Path,
    companies: list[tuple[Scorecard, Path]],
    metadata: dict[str, str],
    contents_title: str = "Contents",
    language: str | None = None,
    footers_pdf: bytes | None = None,
) -> bytes:
    """The book; ``contents_title`` is the bookmark of the contents page, in the book's ``language``.

    Every part's bookmarks come along under its own title, and its named destinations (the targets of its
    footnote links) get the part's own prefix: every scorecard calls its first source 'src-1', and in one file
    a link must still reach its own part. With ``footers_pdf`` (one page per book page, holding only its page
    number), each page's own number ("Page 1 of 2") gives way to the book's ("Page 7 of 19").
    """
    import pikepdf
    from pikepdf import Array, Dictionary, Name, NameTree, Object, OutlineItem, String

    from scorecards.render.fonts import share_fonts  # here: fontTools costs a build that makes no book ~60 ms

    book = pikepdf.new()
    parts = []  # kept open until the book is written: its pages refer to their objects
    try:
        contents = pikepdf.open(io.BytesIO(contents_pdf))
        parts.append(contents)
        book.pages.extend(contents.pages)
        bookmarks = [OutlineItem(contents_title, 0)]
        destinations: dict[str, Array] = {}
        for path in [season_pdf] + [p for _, p in companies]:
            part = pikepdf.open(path)
            parts.append(part)
            first = len(book.pages)
            with warnings.catch_warnings():  # the named destinations are carried over below, prefixed
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                book.pages.extend(part.pages)
            number = {page.obj.objgen: n for n, page in enumerate(part.pages)}
            prefix = f"{path.stem}:"

            def moved(target: Object, first: int = first, number: dict[tuple[int, int], int] = number) -> Array:
                """A destination [page, /XYZ, left, top, zoom] in the part, pointing at the book's page."""
                return Array([book.pages[first + number[target[0].objgen]].obj, *list(target)[1:]])

            def bookmark(item: OutlineItem, moved: Callable[[Object], Array] = moved) -> OutlineItem:
                assert isinstance(item.destination, Array)  # WeasyPrint's bookmarks: [page, /XYZ, left, top, zoom]
                copy = OutlineItem(item.title, moved(item.destination))
                copy.children.extend(bookmark(child) for child in item.children)
                return copy

            with part.open_outline() as outline:
                bookmarks.extend(bookmark(item) for item in outline.root)
            if Name.Names in part.Root and Name.Dests in part.Root.Names:
                for name, target in NameTree(part.Root.Names.Dests).items():
                    destinations[prefix + name] = moved(target)
            for page in book.pages[first:]:
                for annotation in page.obj.get(Name.Annots, []):
                    if isinstance(annotation.get(Name.Dest), String):
                        annotation.Dest = String(prefix + str(annotation.Dest))
                    action = annotation.get(Name.A)
                    if (
                        action is not None
                        and action.get(Name.S) == Name.GoTo
                        and isinstance(action.get(Name.D), String)
                    ):
                        action.D = String(prefix + str(action.D))
        if footers_pdf is not None:
            footers = pikepdf.open(io.BytesIO(footers_pdf))
            parts.append(footers)
            if len(footers.pages) == len(book.pages):
                for at, (page, footer) in enumerate(zip(book.pages, footers.pages, strict=True), 1):
                    drop_page_number(book, page)
                    # laid over the page under a name of its own (a part's pages may share their resources;
                    # pikepdf's add_overlay names it at random, and the same inputs must give the same bytes);
                    # the page's own drawing state kept to itself
                    form = book.copy_foreign(footer.as_form_xobject())
                    name = f"/BookPage{at}"
                    page.add_resource(form, Name.XObject, name=Name(name))
                    page.contents_add(book.make_stream(b"q\n"), prepend=True)
                    page.contents_add(book.make_stream(f"\nQ q {name} Do Q\n".encode()))
        with book.open_outline() as outline:
            outline.root.extend(bookmarks)
        tree = NameTree.new(book)
        for name in sorted(destinations):
            tree[name] = destinations[name]
        book.Root.Names = Dictionary(Dests=tree.obj)
        book.Root.PageMode = Name.UseOutlines
        if language:
            book.Root.Lang = String(language)
        book.docinfo = book.make_indirect(Dictionary({key: String(value) for key, value in metadata.items()}))
        share_fonts(book)  # one font program per face for the whole book, not one per part
        out = io.BytesIO()
        book.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
    finally:
        for part in parts:
            part.close()
        book.close()


FOOTER_ZONE_MM = 10  # a page's number sits in its bottom margin (14 mm), at least 5 mm above the paper's edge


def drop_page_number(pdf: Any, page: Any) -> bool:
    """Take out the page's own page number: the last text drawn in the right half of the page within
    FOOTER_ZONE_MM of its bottom edge (WeasyPrint's @bottom-right box, drawn last). WeasyPrint draws in CSS px
    from the top left (``1 0 0 -1 0 H cm``, then ``0.75 0 0 0.75 0 0 cm``). Returns whether it found one."""
    import pikepdf

    box = page.mediabox
    width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
    below = (height - FOOTER_ZONE_MM * 72 / 25.4) / 0.75  # in px from the top
    ops = pikepdf.parse_content_stream(page)
    found: tuple[int, int] | None = None
    start = None
    for i, instruction in enumerate(ops):
        operands, name = instruction.operands, str(instruction.operator)
        if name == "BT":
            start = i
        elif name == "Tm" and start is not None:
            x, y = float(operands[4]), float(operands[5])
            if x > width / 0.75 / 2 and y > below:
                found = (start, -1)
        elif name == "ET" and start is not None:
            if found is not None and found[0] == start:
                found = (start, i)
            start = None
    if found is None or found[1] < 0:
        return False
    kept = ops[: found[0]] + ops[found[1] + 1 :]
    page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
    return True
