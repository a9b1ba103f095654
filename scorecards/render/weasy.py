"""WeasyPrint, as the PDF workers use it: ``load_weasyprint`` has it draw each SVG text chunk whole (the charts'
labels; see ``draw_svg_text_whole``) and embed each font cut down to the glyphs drawn (``compact_written_fonts``).

Only the PDF workers import this module (and with it WeasyPrint, ~0.3 s): commands that render nothing never pay.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import weasyprint


def load_weasyprint() -> ModuleType:
    """WeasyPrint, its SVG text drawn whole and its fonts compact (once per process)."""
    draw_svg_text_whole()
    compact_written_fonts()
    return weasyprint  # type: ignore[no-any-return]  # no stubs: mypy sees the module as Any


class _Chunk(str):
    """Text that iterates as one piece: WeasyPrint's SVG ``text`` lays out and draws every item of ``node.text``
    on its own."""

    def __iter__(self) -> Iterator[str]:
        yield str(self)


# The WeasyPrint versions whose SVG ``text`` (weasyprint/svg/text.py) ``draw_svg_text_whole`` was read against: it
# loops ``for char in node.text``, lays out each character with Pango, and draws it at the pen's position.
WHOLE_TEXT_VERSIONS = ("70.",)


def draw_svg_text_whole() -> bool:
    """Have WeasyPrint draw an SVG text chunk in one piece where nothing places its characters one by one (no
    lists of x, y, dx or dy, no rotate, letter-spacing or textLength) and it neither starts nor ends with a space
    (which Pango leaves out of a line's width; a tspan may follow it): every chart label.

    WeasyPrint draws SVG text one code point at a time, each laid out by Pango on its own (WeasyPrint issue
    2249): about 0.2 ms a letter, a fifth of the layout of a season summary whose charts have ~200 labels, and
    no kerning between the letters. Its maintainer's suggested workaround, done here, is to draw the whole text
    where no glyph is positioned on its own: WeasyPrint's own code runs, given the text as one item. Returns
    whether it applies (only to the versions in WHOLE_TEXT_VERSIONS; any other draws as it comes)."""
    from weasyprint import __version__, svg
    from weasyprint.svg.utils import normalize

    if hasattr(svg.text, "per_letter"):
        return True  # done already
    if not __version__.startswith(WHOLE_TEXT_VERSIONS):
        return False
    per_letter = svg.text

    def one_value(node: Any, name: str) -> bool:  # node: a WeasyPrint SVG Node
        value = node.attrib.get(name)
        return value is None or len(normalize(value).split()) <= 1

    def text(drawing: Any, node: Any, font_size: float) -> None:  # as weasyprint.svg.text.text
        chunk = node._etree_node.text
        if (
            not chunk
            or len(chunk) < 2
            or chunk != chunk.strip()
            or not all(one_value(node, n) for n in ("x", "y", "dx", "dy"))
            or any(node.attrib.get(n) for n in ("rotate", "letter-spacing", "textLength"))
        ):
            per_letter(drawing, node, font_size)
            return
        node._etree_node.text = _Chunk(chunk)
        try:
            per_letter(drawing, node, font_size)
        finally:
            node._etree_node.text = chunk

    text.per_letter = per_letter  # type: ignore[attr-defined]
    svg.text = text  # draw_node tells text nodes by this name
    for tag, draw in list(svg.TAGS.items()):
        if draw is per_letter:
            svg.TAGS[tag] = text
    return True


def compact_written_fonts() -> None:
    """Have ``Document.write_pdf`` hand back its PDF with compact fonts (scorecards.render.fonts): WeasyPrint keeps
    every glyph number of a font it subsets (Noto Sans CJK: 65,000), which made an English scorecard citing two
    Chinese titles 460 KB, 90% of it font data. None of WeasyPrint's options changes that (``full_fonts`` embeds
    whole fonts, ``hinting`` keeps hints, ``optimize_images`` and ``uncompressed_pdf`` touch no font). Only PDFs
    returned as bytes are changed, as the workers ask for them."""
    from weasyprint.document import Document

    from scorecards.render.fonts import compact_fonts

    if hasattr(Document.write_pdf, "uncompacted"):
        return
    write_pdf = Document.write_pdf

    def write(self: Any, target: Any = None, *args: Any, **options: Any) -> Any:
        data = write_pdf(self, target, *args, **options)
        if target is None and not options.get("full_fonts"):
            return compact_fonts(data)
        return data

    write.uncompacted = write_pdf  # type: ignore[attr-defined]
    Document.write_pdf = write
