"""The shipped example scorecards, as PDFs: the seeds' figures, with their sources, on one or two pages."""
import shutil
import subprocess
import sys

import pytest
from pypdf import PdfReader

from conftest import REPO

pytestmark = pytest.mark.slow

# Figures from ../shared/DOMAIN.md (and the seed articles), as the scorecards must show them.
KEY_FIGURES = {
    "amazon": ["$213.39B", "$24.97B", "$1.95", "$1.97", "$35.58B", "35.03%", "33.98%", "$244B", "$200B",
               "$128B", "$125B", "$173.5B", "$178.5B", "$22.18B", "Miss"],
    "alphabet": ["$113.8B", "$97.23B", "$95.2B", "$63.1B", "$17.7B", "30.1%", "22.7%", "$35.9B", "31.6%",
                 "$175B", "$185B", "$91.5B", "$27.9B"],
    "meta": ["$115B", "$135B", "16%"],
    "microsoft": ["$72B", "27%"],
    "bloom-energy": ["$0.45", "$0.30", "$777.7M", "$640.07M", "$3.1B", "$3.3B", "$2.577B", "$1.33", "$1.48",
                     "$1.12", "31.9%", "10.5%"],
    "sitime": ["$1.53", "$1.21", "$113.3M", "$101.91M", "61.2%", "$326.7M", "$64.6M", "$101M", "$104M",
               "$1.10", "$1.17"],
    "sony": ["¥515.0B", "¥377.32B", "¥348.2B", "¥3.714T", "13.9%", "¥12.300T", "¥12.000T", "¥140.8B", "8.0M"],
    "coherent": ["$1.69B", "$1.29", "$1.22", "39%", "$1.7B", "$1.84B", "$1.28", "$1.48"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "inputs", root / "inputs")
    result = subprocess.run([sys.executable, "-m", "scorecards", "build"], cwd=root, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return root / "build"


@pytest.mark.parametrize("slug", sorted(KEY_FIGURES))
def test_example_pdf(slug, built):
    reader = PdfReader(built / f"{slug}.pdf")
    assert 1 <= len(reader.pages) <= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    missing = [figure for figure in KEY_FIGURES[slug] if figure not in text]
    assert missing == []
    assert "SOURCES AND NOTES" in text  # headings are set in capitals
    # every cited source is listed with its publisher
    for publisher in ("美股IPO", "CMoney", "Longbridge", "Ginlix AI"):
        if f"{publisher}" in (REPO / "inputs" / f"{slug}.yaml").read_text():
            assert publisher in text, publisher


def test_index_links_every_company(built):
    index = (built / "index.html").read_text()
    for slug in KEY_FIGURES:
        assert f'href="{slug}.html"' in index and f'href="{slug}.pdf"' in index
