"""Scorecards in every language of the setting, as a reader gets them: PDF text (pdftotext: pypdf mis-reads some
CJK text), fonts, the HTML's lang, the season summary and book per language, and the index's links."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("languages")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "locale", root / "locale")
    (root / "inputs").mkdir()
    for slug in ("amazon", "sony"):
        shutil.copy(REPO / "inputs" / f"{slug}.yaml", root / "inputs")
    (root / "scorecard.toml").write_text('languages = ["en", "zh-Hant", "zh-Hans"]\n')
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build"], cwd=root, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return root / "build"


def text(path):
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def joined(path):
    """The text without white space: a Chinese sentence may wrap anywhere."""
    return "".join(text(path).split())


def fonts(path):
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+")[-1] for line in out.splitlines()[2:] if line.strip()}


EXPECTED = {
    ("zh-Hant", "amazon"): [
        "亞馬遜",
        "AMZN",
        "2025財年第四季業績計分卡",
        "業績對比市場預期",
        "實際",
        "市場預期",
        "2,133.9億美元",
        "1.95美元",
        "1.97美元",
        "−0.02美元",
        "遜於預期",
        "每股盈利（公認會計準則）",
        "2026財年資本開支指引高於市場預期",
        "約1,466億美元",
        "2,000億美元",
        "資本開支",
        "股價盤後下跌逾10%",
        "−1.9個百分點",
        "資料來源及附註",
        "數據截至2026年2月15日",
        "第1頁，共2頁",
        "截至2025年12月31日止季度",
        "據來源，營收及營業利潤超出預期",  # results the source states in words, as the reader's language says them
        "優於市場預期。",  # the analyst's notes, given in Chinese in the file
        "AWS年化營收規模",
        "13個季度以來最快增速。",
    ],
    ("zh-Hans", "amazon"): [
        "亚马逊",
        "2025财年第四财季业绩计分卡",
        "业绩对比市场预期",
        "2,133.9亿美元",
        "不及预期",
        "每股收益（公认会计准则）",
        "资本开支",
        "约1,466亿美元",
        "股价盘后下跌超过10%",
        "−1.9个百分点",
        "资料来源及说明",
        "数据截至2026年2月15日",
        "第1页，共2页",
        "优于市场预期。",
        "AWS年化营收规模",
    ],
    ("zh-Hant", "sony"): [
        "索尼",
        "SONY",
        "5,150億日圓",
        "3.714兆日圓",
        "3,773.2億日圓",
        "3,482億日圓",
        "12.300兆日圓",
        "國際財務報告準則",
        "上調",
        "淨利潤超出預期",
        "+2.4個百分點",
        "800萬",
        "遊戲與網絡服務",
        "索尼重申關稅將對全年營業利潤造成500億日圓的衝擊。",
    ],
    ("zh-Hans", "sony"): [
        "索尼",
        "5,150亿日元",
        "3.714万亿日元",
        "3,773.2亿日元",
        "国际财务报告准则",
        "上调",
        "净利润超出预期",
        "+2.4个百分点",
        "800万",
        "游戏与网络服务",
        "超出市场预期约9%。",
    ],
}
# Words of the English pages that must not be left in a Chinese one (the analyst's notes and quotes may be English).
ENGLISH = [
    "Results against consensus",
    "Guidance",
    "Consensus",
    "Page 1 of",
    "Data as of",
    "Beat",
    "Miss",
    "Sources and notes",
    "earnings scorecard",
    "Quarter ended",
    "Stock down",
    "Key indicators",
    "From the call",
    "Where sources differ",
    "Reported",
]


@pytest.mark.parametrize("tag, slug", sorted(EXPECTED))
def test_pdf_text_is_in_the_language(built, tag, slug):
    shown = joined(built / tag / f"{slug}.pdf")
    assert [t for t in EXPECTED[tag, slug] if "".join(t.split()) not in shown] == []
    words = text(built / tag / f"{slug}.pdf")
    assert [t for t in ENGLISH if t in words or t.upper() in words] == []


def test_english_stays_in_build_itself(built):
    shown = text(built / "amazon.pdf")
    for expected in ["Amazon.com, Inc.", "$213.39B", "RESULTS AGAINST CONSENSUS", "Page 1 of 2"]:
        assert expected in shown
    assert '<html lang="en">' in (built / "amazon.html").read_text()


@pytest.mark.parametrize("tag, face", [("zh-Hant", "Noto-Sans-CJK-TC"), ("zh-Hans", "Noto-Sans-CJK-SC")])
def test_chinese_pdfs_embed_the_right_cjk_faces(built, tag, face):
    for slug in ("amazon", "sony"):
        found = fonts(built / tag / f"{slug}.pdf")
        assert face in found, found
        assert not any("JP" in name for name in found), found  # no Japanese glyph forms for Chinese text
    assert f'<html lang="{tag}">' in (built / tag / "amazon.html").read_text()


def test_an_english_pages_running_head_draws_chinese_in_the_bodys_face(tmp_path):
    """A Chinese company name in an English page's running head is drawn in the face the body's Chinese takes (Noto
    Sans CJK SC): with "sans-serif" alone, the head took the Japanese forms of Noto Sans CJK, a face more to embed."""
    from scorecards.build.corpus import load_all
    from scorecards.render.pdf import PdfJob, init_worker, render_pdf
    from scorecards.render.templates import asset_roots, make_env, render_company
    from scorecards.settings import Settings

    source = (REPO / "tests/inputs/companies/sony.yaml").read_text()
    assert source.count("  name: Sony Group Corporation\n") == 1
    (tmp_path / "sony.yaml").write_text(source.replace("  name: Sony Group Corporation", "  name: 索尼集團 Sony Group"))
    settings = Settings(inputs=tmp_path, templates=REPO / "templates")
    (card,) = [item.card for item in load_all(settings)]
    init_worker(asset_roots(settings), (REPO / "templates" / "assets").resolve().as_uri() + "/")
    done = render_pdf(PdfJob("sony", render_company(make_env(settings), card), tmp_path / "sony.pdf"))
    assert done.error is None, done.error
    (tmp_path / "sony.pdf").write_bytes(done.files[tmp_path / "sony.pdf"])
    assert "索尼集團 Sony Group" in text(tmp_path / "sony.pdf")
    found = fonts(tmp_path / "sony.pdf")
    assert "Noto-Sans-CJK-SC-Bold" in found and not any("JP" in name for name in found), found


def test_season_summary_and_book_in_each_language(built):
    assert "業績期總覽" in text(built / "zh-Hant" / "season.pdf")
    season = text(built / "zh-Hans" / "season.pdf")
    assert "财报季总览" in season and "2025年第四季度财报季" in season and "资本开支计划（美元）" in season
    book = PdfReader(built / "zh-Hant" / "season-book.pdf")
    top = [item.title for item in book.outline if not isinstance(item, list)]
    assert top == ["目錄", "業績期總覽", "亞馬遜", "索尼"]
    assert book.metadata.title == "業績計分卡：2025年第四季業績期"
    assert "目錄" in text(built / "zh-Hant" / "season-book.pdf")
    assert PdfReader(built / "zh-Hans" / "amazon.pdf").metadata.title == "亚马逊（AMZN）2025财年第四财季业绩计分卡"


def test_index_links_every_language_of_each_company(built):
    index = (built / "index.html").read_text()
    for slug in ("amazon", "sony"):
        for href in (f"{slug}.pdf", f"zh-Hant/{slug}.pdf", f"zh-Hans/{slug}.html"):
            assert f'href="{href}"' in index, href
    assert "繁體中文" in index and "简体中文" in index


def test_chinese_tables_fit_a_phone(tmp_path):
    """At 390 px a Chinese company page's tables fit without sideways scrolling, and a metric keeps a few characters a
    line: Chinese breaks between any two characters, and Amazon's table once stood one character wide (營 / 收)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    from scorecards.build.corpus import load_all
    from scorecards.i18n import load_language
    from scorecards.render.templates import make_env, render_company
    from scorecards.settings import Settings

    for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"]:
        if not Path(program).exists():
            pytest.skip(f"{program} is not installed")
    settings = Settings(inputs=REPO / "inputs", templates=REPO / "templates")
    cards = {item.slug: item.card for item in load_all(settings)}
    pages = []
    for tag in ("zh-Hant", "zh-Hans"):
        env = make_env(settings, load_language(REPO / "locale", tag))
        for slug, card in cards.items():
            page = tmp_path / f"{tag}-{slug}.html"
            page.write_text(render_company(env, card), "utf-8")
            pages.append(page)
    options = webdriver.ChromeOptions()
    flags = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run")
    for argument in (*flags, "--disable-background-networking", "--window-size=390,900"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(390, 900)  # headless Chromium starts no narrower than 500 px
    try:
        found = []
        for page in pages:
            driver.get(page.as_uri())
            found += driver.execute_script(
                """const found = [];
                for (const wrap of document.querySelectorAll('.table-wrap')) {
                  const table = wrap.querySelector('table');
                  if (table.classList.contains('checks')) continue;  // the SEC check, as wide in English
                  if (wrap.scrollWidth > wrap.clientWidth + 1) found.push(table.className + ' scrolls sideways');
                  for (const th of table.querySelectorAll('th.metric')) {
                    const em = parseFloat(getComputedStyle(th).fontSize);
                    if (th.getBoundingClientRect().width < 2.5 * em) found.push(th.textContent + ' is too narrow');
                  }
                }
                return found.map(line => arguments[0] + ': ' + line);""",
                page.name,
            )
        assert window_width(driver) == 390 and found == []
    finally:
        driver.quit()


def window_width(driver):
    return driver.execute_script("return window.innerWidth")
