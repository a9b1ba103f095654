"""The HTML pages on a phone (390 px wide, in Chromium): every table readable without sideways scrolling (its rows
stack, or its key columns stay), the page no wider than the screen, and the charts' text at least 10 px. For the
examples in English and Chinese, and the stress catalogue (13-digit amounts, long names)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 2400, "deviceScaleFactor": 1, "mobile": True}

# what a reader cannot see without scrolling sideways, and chart text under 10 px
MEASURE = """
const out = [];
const width = document.documentElement.clientWidth;
for (const table of document.querySelectorAll('table')) {
  if (table.offsetParent === null) continue;
  const wrap = table.closest('.table-wrap') || table.parentElement;
  if (wrap.scrollWidth > wrap.clientWidth + 1 || table.getBoundingClientRect().right > width + 1)
    out.push(`table.${table.className}: ${table.scrollWidth} px in ${wrap.clientWidth} px`);
}
for (const text of document.querySelectorAll('svg text')) {
  if (!text.textContent.trim() || text.getClientRects().length === 0) continue;
  const size = parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a;
  if (size < 10) out.push(`chart text ${JSON.stringify(text.textContent.trim())}: ${size.toFixed(1)} px`);
}
if (document.documentElement.scrollWidth > width) out.push(`the page: ${document.documentElement.scrollWidth} px`);
return [width, out];
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"]:
        if not Path(program).exists():
            pytest.skip(f"{program} is not installed")
    root = tmp_path_factory.mktemp("phone")
    found = []
    for name in ("examples", "stress"):
        project = root / name
        shutil.copytree(REPO / "templates", project / "templates")
        shutil.copytree(REPO / "locale", project / "locale")
        if name == "examples":
            shutil.copytree(REPO / "inputs", project / "inputs")
        else:
            (project / "inputs").mkdir()
            shutil.copy(REPO / "tests/inputs/stress/stress.yaml", project / "inputs")
        result = subprocess.run(
            [sys.executable, "-m", "scorecards", "-q", "build", "--format", "html", "--locale", "en"]
            + ["--locale", "zh-Hant"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        found += sorted((project / "build").glob("*.html")) + sorted((project / "build" / "zh-Hant").glob("*.html"))
    return found


def test_every_table_fits_a_phone_and_the_charts_text_stays_readable(pages):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        problems = []
        for page in pages:
            driver.get(page.as_uri())
            width, found = driver.execute_script(MEASURE)
            assert width == 390
            problems += [f"{page.parent.name}/{page.name}: {line}" for line in found]
    finally:
        driver.quit()
    names = {page.name for page in pages}
    assert {"season.html", "amazon.html", "sony.html", "stress.html", "index.html"} <= names
    assert problems == []
