"""The build's layout check (build/layout.py): a scorecard whose PDF has ink outside the page's safe area is held,
in the build's output, the index and `scorecard email`, with the page named; the result is kept for an unchanged
PDF. The check itself (render/safearea.py) is tested on the examples' pages in test_pages.py."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

from scorecards.render.safearea import overflowing_pages

pytestmark = pytest.mark.slow

HELD = "ink outside the page's safe area on page 1"
WIDE = "\n/* a table wider than the page, past the right margin */\ntable { width: calc(100% + 25mm) !important; }\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("wide")
    shutil.copytree(REPO / "templates", root / "templates")
    with (root / "templates" / "scorecard.css").open("a") as css:
        css.write(WIDE)
    (root / "inputs").mkdir()
    shutil.copy(REPO / "tests/inputs/companies/bloom-energy.yaml", root / "inputs")  # ready to send as it is
    (root / "distribution.yaml").write_text(
        "lists:\n  desk:\n    recipients: [desk@example.com]\n    scorecards: all\n", encoding="utf-8"
    )
    return root


def run(project, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "scorecards", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_a_page_past_the_margin_holds_its_scorecard_with_the_page_named(project):
    result = run(project, "build")
    assert result.returncode == 0, result.stderr
    assert f"held: bloom-energy ({HELD}" in result.stderr
    index = (project / "build" / "index.html").read_text()
    assert "0 ready to send · 1 held" in index
    assert f'<td class="held">Held: {HELD}' in index.replace("&#39;", "'")
    pdf = project / "build" / "bloom-energy.pdf"
    kept = json.loads((project / "build" / ".cache" / "overflow.json").read_text())
    assert kept[str(pdf.relative_to(project))][1] == list(overflowing_pages(pdf))  # what the check finds


def test_an_unchanged_pdf_is_not_checked_again(project):
    run(project, "build")
    empty = project / "no-tools"
    empty.mkdir(exist_ok=True)
    # without pdftotext on the PATH, a check would say so: the kept result holds the scorecard as before
    result = run(project, "build", env=os.environ | {"PATH": str(empty)})
    assert result.returncode == 0, result.stderr
    assert "not checked" not in result.stderr
    assert f"held: bloom-energy ({HELD}" in result.stderr


def test_a_pdf_changed_on_disk_is_checked_again(project, tmp_path):
    run(project, "build")
    pdf = project / "build" / "bloom-energy.pdf"
    saved = tmp_path / "saved.pdf"
    shutil.copy(pdf, saved)
    try:
        pdf.write_bytes(pdf.read_bytes() + b"\n")  # another file than the one checked
        empty = project / "no-tools"
        empty.mkdir(exist_ok=True)
        result = run(project, "build", env=os.environ | {"PATH": str(empty)})
        assert "the pages' safe area is not checked" in result.stderr and "poppler-utils" in result.stderr
    finally:
        shutil.copy(saved, pdf)


def test_email_leaves_the_overflowing_scorecard_out_with_the_page_named(project):
    result = run(project, "email")
    assert result.returncode == 0, result.stderr
    assert f"list 'desk': left out 1 held scorecard (BE: {HELD}" in result.stderr
    assert not list((project / "build" / "outbox").glob("*.eml"))


def test_the_same_scorecard_with_the_stylesheet_as_shipped_is_ready(tmp_path):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    (tmp_path / "inputs").mkdir()
    shutil.copy(REPO / "tests/inputs/companies/bloom-energy.yaml", tmp_path / "inputs")
    result = run(tmp_path, "build", "--format", "pdf")
    assert result.returncode == 0, result.stderr
    assert "held: bloom-energy" not in result.stderr
    assert overflowing_pages(tmp_path / "build" / "bloom-energy.pdf") == ()
