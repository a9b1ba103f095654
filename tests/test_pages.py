"""The pages as printed: every word inside the page's safe area, pages that end well, and light files.

Checked from the PDFs' own word boxes (``pdftotext -bbox``), for the examples in every language and for a stress
catalogue (tests/inputs/stress/: long names, 13-digit amounts, six guidance rows with prior guidance, CJK text, many
sources, three pages). Sizes are deterministic for given fonts and inputs, so they are checked here too.
"""

import html
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.render.fonts import compact_fonts
from scorecards.render.safearea import BOTTOM, MM, TOP, outside_words, words

pytestmark = pytest.mark.slow

LANGUAGES = ("en", "zh-Hant", "zh-Hans")
STRESS_SEASON = "stress-season.pdf"  # the stress catalogue's season summary, beside the examples'
KB = 1024


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "locale", root / "locale")
    shutil.copytree(REPO / "inputs", root / "inputs")
    # the stress catalogue alone (its season summary is not the examples')
    stress = root / "stress"
    shutil.copytree(REPO / "templates", stress / "templates")
    shutil.copytree(REPO / "locale", stress / "locale")
    (stress / "inputs").mkdir()
    shutil.copy(REPO / "tests/inputs/stress/stress.yaml", stress / "inputs")
    command = [sys.executable, "-m", "scorecards", "-q", "build", "--format", "pdf"]
    for project in (root, stress):
        for language in LANGUAGES:
            result = subprocess.run(
                command + ([] if language == "en" else ["--locale", language]),
                cwd=project,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert result.returncode == 0, result.stderr
    for language in LANGUAGES:
        shutil.copy(folder(stress / "build", language) / "stress.pdf", folder(root / "build", language))
        shutil.copy(folder(stress / "build", language) / "season.pdf", folder(root / "build", language) / STRESS_SEASON)
    return root / "build"


def folder(built, language):
    return built if language == "en" else built / language


def outside(pdf: Path) -> list[str]:
    """Every word whose box leaves the page's safe area (the build's own check), as a line to read."""
    return [
        f"{pdf.name} page {number}: {text!r} at x {x0 / MM:.1f}–{x1 / MM:.1f} mm"
        for number, (x0, y0, x1, y1, text) in outside_words(words(pdf))
    ]


def body_lines(page) -> int:
    width, height, boxes = page
    return len({round(y0) for x0, y0, x1, y1, _ in boxes if y0 > TOP - 2 and y1 < height - BOTTOM + 2})


def pdfs(built):
    return [pdf for language in LANGUAGES for pdf in sorted(folder(built, language).glob("*.pdf"))]


def test_every_word_of_every_page_is_inside_the_safe_area(built):
    checked = [pdf for pdf in pdfs(built) if pdf.name != "season-book.pdf"]
    # 8 companies, the stress catalogue, the season summary and the stress catalogue's, in each language
    assert len(checked) == 3 * 11
    assert [line for pdf in checked for line in outside(pdf)] == []


def test_a_13_digit_amount_never_breaks(built):
    """Tables fit by design: an amount written in full keeps its digits on one line (a range breaks at its dash;
    in Chinese, the unit may go to the next line, never the digits)."""
    english = {text for pdf in ("stress.pdf", STRESS_SEASON) for *_, boxes in words(built / pdf) for *_, text in boxes}
    for whole in ("$1,234,567,890,123", "$1,200,000,000,000", "+$34,567,890,123", "−$15,432,109,877", "−$432,109,877"):
        assert whole in english
    for language in ("zh-Hant", "zh-Hans"):
        found = [text for *_, boxes in words(built / language / "stress.pdf") for *_, text in boxes]
        for digits in ("1.234567890123", "1.300000000000", "154.32109877", "1.111111111111"):
            assert any(digits in text for text in found), (language, digits)


def test_the_stress_catalogue_runs_to_three_pages(built):
    for language in LANGUAGES:
        assert len(words(folder(built, language) / "stress.pdf")) >= 3


def test_the_safe_area_check_sees_a_table_past_the_margin(tmp_path):
    page = tmp_path / "wide.html"
    page.write_text(
        "<style>@page { size: A4; margin: 16mm 14mm 14mm } table { width: 108% }</style>"
        "<table><tr><td>left</td><td style='text-align:right'>Raised</td></tr></table>"
    )
    from weasyprint import HTML

    HTML(filename=str(page)).write_pdf(tmp_path / "wide.pdf")
    assert any("'Raised'" in line for line in outside(tmp_path / "wide.pdf"))


def test_no_last_page_holds_only_a_few_lines(built):
    """The last page of a longer scorecard carries whole sections (the call, the notes) with the sources, never only
    the sources, the method note or a list's last lines (Bloom, Sony and SiTime had 2 to 6 lines)."""
    short = []
    for pdf in pdfs(built):
        pages = words(pdf)
        if len(pages) > 1 and body_lines(pages[-1]) < 10:
            short.append(f"{pdf.relative_to(built)}: {body_lines(pages[-1])} lines on page {len(pages)}")
    assert short == []


def test_text_copied_from_a_table_has_no_hidden_words(built):
    text = subprocess.run(
        ["pdftotext", str(built / "amazon.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Revenue" in text
    for hidden in ("Reported results against consensus", "Guidance against consensus and prior guidance", "Source"):
        assert hidden not in text


def test_an_english_page_citing_chinese_titles_is_light(built):
    sizes = {pdf.name: pdf.stat().st_size for pdf in built.glob("*.pdf") if pdf.name != "season-book.pdf"}
    assert max(sizes.values()) <= 150 * KB, sizes


def test_a_chinese_scorecard_is_light(built):
    for language in ("zh-Hant", "zh-Hans"):
        sizes = {pdf.name: pdf.stat().st_size for pdf in folder(built, language).glob("*.pdf")}
        sizes.pop("season-book.pdf")
        assert max(sizes.values()) <= 300 * KB, (language, sizes)


def test_the_season_book_is_light(built):
    for language in LANGUAGES:
        assert (folder(built, language) / "season-book.pdf").stat().st_size <= 1536 * KB


def test_a_latin_only_english_scorecard_is_light(tmp_path):
    root = tmp_path
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "inputs").mkdir()
    text = (REPO / "tests/inputs/companies/bloom-energy.yaml").read_text()
    latin = re.sub(r"[^\x00-\x7f]", "x", text).replace("language: zh-Hans", "language: en")
    (root / "inputs" / "bloom-energy.yaml").write_text(latin)
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "-q", "build", "--format", "pdf"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    pdf = root / "build" / "bloom-energy.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" not in fonts
    assert pdf.stat().st_size <= 64 * KB


def test_compact_fonts_keeps_the_text_and_drops_the_empty_glyphs(built, tmp_path):
    from weasyprint.document import Document

    from scorecards.render.weasy import load_weasyprint

    load_weasyprint()
    page = tmp_path / "page.html"
    page.write_text(
        '<meta charset="utf-8"><p style="font-family: Inter">Revenue $213.39B</p><p lang="zh-Hant">營收創新高</p>'
    )
    from weasyprint import HTML

    whole = Document.write_pdf.uncompacted(HTML(filename=str(page)).render())  # as WeasyPrint writes it
    light = compact_fonts(whole)
    assert len(light) < len(whole) / 2
    for data, name in ((whole, "whole.pdf"), (light, "light.pdf")):
        (tmp_path / name).write_bytes(data)
    text = [
        subprocess.run(["pdftotext", str(tmp_path / n), "-"], capture_output=True, text=True, check=True).stdout
        for n in ("whole.pdf", "light.pdf")
    ]
    assert text[0] == text[1] and "營收創新高" in text[1]
    pixels = [
        subprocess.run(["pdftoppm", "-r", "50", "-gray", str(tmp_path / n)], capture_output=True, check=True).stdout
        for n in ("whole.pdf", "light.pdf")
    ]
    assert pixels[0] == pixels[1]  # the same glyphs drawn


def test_the_book_is_numbered_as_one_document(built):
    book = built / "season-book.pdf"
    pages = words(book)
    count = len(pages)
    for number, page in enumerate(pages, 1):
        footer = " ".join(text for x0, y0, x1, y1, text in page[2] if y0 > page[1] - BOTTOM)
        assert f"Page {number} of {count}" in footer, (number, footer)
        assert "Page 1 of 2" not in footer or number == 1
    contents = " ".join(text for *_, text in pages[0][2])
    first = int(re.search(r"AMZN .*? (\d+)–\d+", contents)[1])  # the row's page range (its verdict may wrap)
    heading = " ".join(text for x0, y0, x1, y1, text in pages[first - 1][2] if TOP < y0 < TOP + 30 * MM)
    assert "Amazon.com, Inc." in heading  # the contents page's number is the page's own


def test_no_e_mail_is_over_2_mb(built):
    root = built.parent
    shutil.copy(REPO / "distribution.yaml", root)
    result = subprocess.run(
        # --include-held: the examples are held (no reported date), and every message is to be measured
        [sys.executable, "-m", "scorecards", "-q", "email", "--include-held"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    sizes = {path.name: path.stat().st_size for path in (built / "outbox").glob("*.eml")}
    assert any("hong-kong" in name for name in sizes)  # the list with every PDF in Chinese
    assert max(sizes.values()) <= 2 * 1024 * KB, sizes


def test_the_book_shares_one_font_program_per_face(built):
    import pikepdf

    for language in LANGUAGES:
        faces: dict[str, set] = {}
        with pikepdf.open(folder(built, language) / "season-book.pdf") as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                    name = str(obj.FontName).split("+")[-1]
                    faces.setdefault(name, set()).add(obj.FontFile3.objgen)
        assert "Inter" in faces and any("CJK" in name for name in faces)
        assert {name: len(programs) for name, programs in faces.items() if len(programs) > 1} == {}


UNIT = "億萬兆亿万美元日圓歐欧個个百分點点倍"


def split_amounts(pdf: Path) -> list[str]:
    """Chinese amounts broken across two lines of their cell: a line that is only the end of an amount's unit (元)
    under one that ends in its digits or the rest of the unit (約1,466億美)."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    found = []
    for block in re.findall(r"<block .*?</block>", out.stdout, re.S):
        lines = [
            "".join(html.unescape(w) for w in re.findall(r"<word [^>]*>(.*?)</word>", line))
            for line in re.findall(r"<line .*?</line>", block, re.S)
        ]
        for above, below in itertools.pairwise(lines):
            if re.fullmatch(f"[{UNIT}]{{1,4}}", below) and re.search(f"[\\d{UNIT}]$", above):
                found.append(f"{pdf.parent.name}/{pdf.name}: {above} / {below}")
    return found


def test_no_chinese_amount_is_split_across_lines(built):
    """約1,466億美元 once lost its last character to a second line (約1,466億美 / 元), as did +1.3763億美元 and
    +12.60個百分點: the Chinese amount columns hold a difference with its unit."""
    chinese = [pdf for language in ("zh-Hant", "zh-Hans") for pdf in sorted(folder(built, language).glob("*.pdf"))]
    # not the stress catalogue's: its 13-digit amounts in 萬億 may put their unit on the next line (never a digit)
    examples = [pdf for pdf in chinese if pdf.name not in ("stress.pdf", STRESS_SEASON, "season-book.pdf")]
    assert len(examples) == 2 * 9
    assert [line for pdf in examples for line in split_amounts(pdf)] == []


def overlaps(pdf: Path) -> list[str]:
    """Words drawn over one another: a period running into the range beside it (2026财年第三财季 over 1.28美元), two
    labels of a chart (1,750億美元 over 1,850億美元). The hidden running head at the top of the first page is left
    out: it is never drawn."""
    found = []
    for number, (_, _, boxes) in enumerate(words(pdf), 1):
        shown = [box for box in boxes if number > 1 or box[1] > TOP + 30]
        for i, (ax0, ay0, ax1, ay1, a) in enumerate(shown):
            for bx0, by0, bx1, by1, b in shown[i + 1 :]:
                if min(ax1, bx1) - max(ax0, bx0) > 0.8 and min(ay1, by1) - max(ay0, by0) > 2:
                    found.append(f"{pdf.parent.name}/{pdf.name} page {number}: {a!r} over {b!r}")
    return found


def test_no_word_is_drawn_over_another(built):
    """In the stress catalogue too (its 13-digit amounts once ran over the next column in Chinese)."""
    checked = [pdf for pdf in pdfs(built) if pdf.name != "season-book.pdf"]
    assert len(checked) == 3 * 11
    assert [line for pdf in checked for line in overlaps(pdf)] == []
