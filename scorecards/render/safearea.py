"""The safe-area check: which pages of a PDF have ink outside the area a printer is sure to print.

Read from the PDF's own word boxes (``pdftotext -bbox``, poppler-utils: about 20–30 ms of CPU for a two-page
scorecard), so that it sees what a reader gets, whatever the templates did. A word is outside when its box runs past
the side margins of the pages (the ``@page`` margins of templates/scorecard.css: the running heads and page numbers
sit in the top and bottom margins), or within ``EDGE`` of the paper's top or bottom edge.

The build runs it on every PDF it leaves current (scorecards.build.layout); the tests use the same functions.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

MM = 72 / 25.4  # points per millimetre
SIDE, TOP, BOTTOM = 14 * MM, 16 * MM, 14 * MM  # the @page margins of templates/scorecard.css
EDGE = 5 * MM  # the running heads and page numbers sit in the margins, at least this far from the paper's edge
SLACK = 1  # point: a glyph's box may reach this far past the margin (side bearings)

Box = tuple[float, float, float, float, str]  # x0, y0, x1, y1 in points from the top left, and the word
Page = tuple[float, float, list[Box]]  # width, height, words

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


class CheckUnavailable(Exception):
    """pdftotext is not installed (Debian: poppler-utils), or could not read the PDF."""


def available() -> bool:
    return shutil.which("pdftotext") is not None


def words(pdf: Path | bytes) -> list[Page]:
    """(width, height, [(x0, y0, x1, y1, word)]) for each page of a PDF file or of its bytes, in points."""
    path, data = ("-", pdf) if isinstance(pdf, bytes) else (str(pdf), None)
    try:
        out = subprocess.run(
            ["pdftotext", "-bbox", path, "-"], input=data, capture_output=True, check=True, timeout=120
        ).stdout.decode("utf-8", "replace")
    except FileNotFoundError:
        raise CheckUnavailable("pdftotext is missing (Debian: apt-get install poppler-utils)") from None
    except subprocess.CalledProcessError as exc:
        error = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CheckUnavailable(f"pdftotext could not read it: {error[-1] if error else exc.returncode}") from None
    except subprocess.TimeoutExpired:
        raise CheckUnavailable("pdftotext took over two minutes") from None
    pages = []
    for page in _PAGE.finditer(out):
        boxes = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in _WORD.findall(page[3])]
        pages.append((float(page[1]), float(page[2]), boxes))
    return pages


def outside_words(pages: list[Page]) -> list[tuple[int, Box]]:
    """Every word whose box leaves its page's safe area, with its page number (from 1)."""
    found = []
    for number, (width, height, boxes) in enumerate(pages, 1):
        for box in boxes:
            x0, y0, x1, y1, _ = box
            if x0 < SIDE - SLACK or x1 > width - SIDE + SLACK or y0 < EDGE or y1 > height - EDGE:
                found.append((number, box))
    return found


def overflowing_pages(pdf: Path | bytes) -> tuple[int, ...]:
    """The numbers of the pages with a word outside the safe area, in order (none: every page is inside)."""
    return tuple(sorted({number for number, _ in outside_words(words(pdf))}))
