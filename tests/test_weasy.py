"""WeasyPrint as the PDF workers use it (scorecards/render/weasy.py): SVG text chunks drawn whole where no letter is
placed on its own, read back from the PDF as a reader gets it (pdftotext's word boxes)."""

import re
import shutil
import subprocess

import pytest

from scorecards.render import weasy
from scorecards.render.weasy import weasyprint

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")

# 400 x 200 CSS px on a page of the same size: a point in the SVG is at 0.75 x its coordinates in the PDF (pt)
LABELS = """<!doctype html><meta charset="utf-8">
<style>@page { size: 400px 200px; margin: 0 } body { margin: 0 } svg { display: block }</style>
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">
<style>text { font-family: Inter, "Noto Sans CJK SC", sans-serif; font-size: 16px; }</style>
<text x="20" y="30">AVATAR</text>
<text x="380" y="60" text-anchor="end">WAVE−13.6%</text>
<text x="200" y="90" text-anchor="middle">营收增长</text>
<text x="20" y="120" letter-spacing="6">spaced</text>
<text x="20 32 44" y="150">xyz</text>
<text x="20" y="180">k<tspan font-weight="700">m</tspan></text>
<text x="200" y="180">Q4 <tspan font-weight="700">2025</tspan></text>
</svg>"""


def words(pdf: bytes, tmp_path) -> dict[str, tuple[float, float]]:
    """Each word of the PDF with its left and right edge, in points (pdftotext -bbox)."""
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return {
        m["word"]: (float(m["x0"]), float(m["x1"]))
        for m in re.finditer(
            r'<word xMin="(?P<x0>[\d.]+)" yMin="[\d.]+" xMax="(?P<x1>[\d.]+)" yMax="[\d.]+">'
            r"(?P<word>[^<]+)</word>",
            html,
        )
    }


def render(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf()


@pytest.fixture
def per_letter(monkeypatch):
    """WeasyPrint's SVG text as it comes: one letter at a time."""
    from weasyprint import svg

    drawn_whole = svg.text
    monkeypatch.setattr(svg, "text", drawn_whole.per_letter)
    for tag, draw in svg.TAGS.items():
        if draw is drawn_whole:
            monkeypatch.setitem(svg.TAGS, tag, drawn_whole.per_letter)


@pytest.fixture
def layouts(monkeypatch):
    """Counts the texts Pango lays out."""
    from weasyprint.text import line_break

    laid_out = []
    split = line_break.split_first_line

    def counting(text, *args, **kwargs):
        laid_out.append(str(text))
        return split(text, *args, **kwargs)

    monkeypatch.setattr(line_break, "split_first_line", counting)
    return laid_out


def test_the_installed_weasyprint_draws_svg_text_whole():
    """The version this was read against: a new WeasyPrint draws as it comes until its SVG text is read again."""
    assert weasyprint.__version__.startswith(weasy.WHOLE_TEXT_VERSIONS)
    assert weasy.draw_svg_text_whole()


def test_a_chart_label_is_laid_out_once_not_letter_by_letter(layouts):
    render(LABELS)
    for label in ("AVATAR", "WAVE−13.6%", "营收增长"):
        assert layouts.count(label) == 2  # WeasyPrint's measure of the whole text, then the chunk drawn
    assert not set(layouts) & set("AVATARWAVE−13.6%营收增长")  # none of their letters on its own
    # placed letter by letter where the SVG says so (letter-spacing, a list of x), where a space ends the chunk,
    # and a one-letter chunk is one letter anyway
    assert set("spacedxyzkmQ4") <= set(layouts)


def test_labels_drawn_whole_are_where_they_were_letter_by_letter(tmp_path, request):
    whole = words(render(LABELS), tmp_path)
    request.getfixturevalue("per_letter")
    letters = words(render(LABELS), tmp_path)
    assert set(whole) == set(letters) >= {"AVATAR", "WAVE−13.6%", "营收增长", "spaced", "xyz", "km", "Q4", "2025"}
    assert whole["AVATAR"][0] == pytest.approx(20 * 0.75, abs=1)  # starts at its x
    assert whole["WAVE−13.6%"][1] == pytest.approx(380 * 0.75, abs=1.5)  # ends at its x
    middle = sum(whole["营收增长"]) / 2
    assert middle == pytest.approx(200 * 0.75, abs=1.5)  # centred on its x
    for word, (x0, x1) in letters.items():
        # as wide as letter by letter, but for the kerning between letters that the whole text gets ("AVATAR",
        # chosen for it, is 7% narrower)
        assert 0.9 * (x1 - x0) <= whole[word][1] - whole[word][0] <= x1 - x0 + 0.01, word
    for word in ("spaced", "xyz", "km", "Q4", "2025"):  # drawn letter by letter either way
        assert whole[word] == pytest.approx(letters[word], abs=0.01)


def test_another_weasyprint_draws_svg_text_as_it_comes(monkeypatch, request):
    request.getfixturevalue("per_letter")
    from weasyprint import svg

    monkeypatch.setattr(weasyprint, "__version__", "99.0")
    assert not weasy.draw_svg_text_whole()
    assert not hasattr(svg.text, "per_letter")
