"""make as the user interface: set-up once, incremental builds, broken files, -j2."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("make") is None, reason="needs make")]
VENV = Path(os.environ.get("VIRTUAL_ENV") or REPO / ".venv")


@pytest.fixture
def tree(tmp_path):
    if not (VENV / ".setup-done").exists():
        pytest.skip("needs the set-up virtual environment (run `make` once)")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(REPO / "scorecards", tmp_path / "scorecards", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "tests" / "inputs" / "companies", tmp_path / "inputs")
    os.utime(tmp_path / "pyproject.toml", (0, 0))  # older than the venv's set-up stamp: no re-install
    return tmp_path


def make(tree, *args):
    """make in ``tree``: what it says (its commands, the build's log and last line) in ``stdout``."""
    return subprocess.run(
        ["make", f"VENV={VENV}", *args],
        cwd=tree,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )


def rendered(result):
    """The companies a build rendered (the season summary is reported as 'season')."""
    return sorted(
        line.split()[1]
        for line in result.stdout.splitlines()
        if line.strip().startswith("render ") and line.split()[1] != "season"
    )


def season_rendered(result):
    return any(line.split()[:2] == ["render", "season"] for line in result.stdout.splitlines() if line.strip())


def mtimes(tree):
    return {p.name: p.stat().st_mtime_ns for p in (tree / "build").glob("*.*")}


def test_second_make_does_nothing(tree):
    first = make(tree)
    assert first.returncode == 0, first.stdout
    assert rendered(first) == ["bloom-energy", "sony"]
    before = mtimes(tree)
    started = time.perf_counter()
    second = make(tree)
    elapsed = time.perf_counter() - started
    assert second.returncode == 0
    assert "scorecards" not in second.stdout and rendered(second) == []
    assert "Nothing to be done" in second.stdout or "is up to date" in second.stdout
    assert mtimes(tree) == before
    print(f"no-op make took {elapsed:.3f}s")


def test_editing_one_file_rebuilds_that_company_only(tree):
    assert make(tree).returncode == 0
    before = mtimes(tree)
    sony = tree / "inputs" / "sony.yaml"
    time.sleep(0.01)
    sony.write_text(sony.read_text().replace("348.2B", "350.0B"))
    result = make(tree)
    assert result.returncode == 0, result.stdout
    assert rendered(result) == ["sony"]
    assert season_rendered(result), "the season summary rests on every company"
    after = mtimes(tree)
    assert after["bloom-energy.pdf"] == before["bloom-energy.pdf"]
    assert after["sony.pdf"] != before["sony.pdf"]


def test_touching_without_changing_rebuilds_nothing(tree):
    assert make(tree).returncode == 0
    (tree / "inputs" / "sony.yaml").touch()
    result = make(tree)
    assert result.returncode == 0
    assert rendered(result) == []  # content hashes decide, not time stamps
    assert not season_rendered(result)


def test_editing_a_template_rebuilds_every_company(tree):
    assert make(tree).returncode == 0
    css = tree / "templates" / "scorecard.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    result = make(tree)
    assert rendered(result) == ["bloom-energy", "sony"]


def test_deleted_output_is_rebuilt(tree):
    assert make(tree).returncode == 0
    (tree / "build" / "sony.pdf").unlink()
    result = make(tree)
    assert result.returncode == 0
    assert rendered(result) == ["sony"]
    assert (tree / "build" / "sony.pdf").exists()


def test_broken_file_is_reported_and_the_rest_is_built(tree):
    bad = tree / "inputs" / "sony.yaml"
    bad.write_text(bad.read_text().replace("currency: JPY", "currency: yen"))
    result = make(tree)
    assert result.returncode != 0
    assert (
        "inputs/sony.yaml:6:13: company.currency: 'yen' is not in the expected form "
        "(a three-letter ISO code such as USD or JPY)" in result.stdout
    )
    assert (tree / "build" / "bloom-energy.pdf").exists()
    assert not (tree / "build" / "sony.pdf").exists()
    again = make(tree)
    assert again.returncode != 0, "a broken file must keep failing until it is fixed"


def test_parallel_make_is_safe(tree):
    result = make(tree, "-j2")
    assert result.returncode == 0, result.stdout
    assert rendered(result) == ["bloom-energy", "sony"]
    assert make(tree, "-j2").returncode == 0


# --- languages -----------------------------------------------------------------------------------


def test_locale_builds_that_language_alone_and_stays_incremental(tree):
    shutil.copytree(REPO / "locale", tree / "locale")
    first = make(tree, "LOCALE=zh-Hant")
    assert first.returncode == 0, first.stdout
    assert rendered(first) == ["zh-Hant/bloom-energy", "zh-Hant/sony"]
    assert (tree / "build" / "zh-Hant" / "season-book.pdf").exists()
    assert not (tree / "build" / "sony.pdf").exists(), "LOCALE builds that language only"
    started = time.perf_counter()
    again = make(tree, "LOCALE=zh-Hant")
    assert "scorecards" not in again.stdout and rendered(again) == []
    print(f"no-op make LOCALE=zh-Hant took {time.perf_counter() - started:.3f}s")
    (tree / "build" / "zh-Hant" / "sony.pdf").unlink()
    assert rendered(make(tree, "LOCALE=zh-Hant")) == ["zh-Hant/sony"]
    (tree / "build" / "zh-Hant" / "season.pdf").unlink()
    result = make(tree, "LOCALE=zh-Hant")
    assert season_rendered(result) and rendered(result) == []
    # the default language is built by plain make, which the Chinese build did not mark as done
    plain = make(tree)
    assert rendered(plain) == ["bloom-energy", "sony"]
    assert make(tree).stdout.count("render") == 0
    index = (tree / "build" / "index.html").read_text()
    assert 'href="zh-Hant/sony.pdf"' in index and 'href="sony.pdf"' in index


def test_languages_setting_and_catalogue_changes(tree):
    shutil.copytree(REPO / "locale", tree / "locale")
    (tree / "scorecard.toml").write_text('languages = ["en", "zh-Hans"]\n')
    first = make(tree)
    assert first.returncode == 0, first.stdout
    assert rendered(first) == ["bloom-energy", "sony", "zh-Hans/bloom-energy", "zh-Hans/sony"]
    assert make(tree).stdout.count("render") == 0
    catalogue = tree / "locale" / "zh-Hans" / "LC_MESSAGES" / "messages.po"
    catalogue.write_text(catalogue.read_text("utf-8").replace('msgstr "营收"', 'msgstr "营业收入"'), "utf-8")
    result = make(tree)
    assert result.returncode == 0, result.stdout
    assert rendered(result) == ["zh-Hans/bloom-energy", "zh-Hans/sony"], "only the language whose catalogue changed"
    assert "营业收入" in (tree / "build" / "zh-Hans" / "sony.html").read_text()
    (tree / "build" / "zh-Hans" / "bloom-energy.html").unlink()
    assert rendered(make(tree)) == ["zh-Hans/bloom-energy"]


def test_unknown_locale_is_one_line_error(tree):
    result = make(tree, "LOCALE=fr")
    assert result.returncode != 0
    assert "no catalogue for language 'fr'" in result.stdout and "Traceback" not in result.stdout


def _book_starts(tree):
    """Each top-level bookmark of the book and the page (1-based) it opens, and what the contents page says."""
    from pypdf import PdfReader

    reader = PdfReader(tree / "build" / "season-book.pdf")
    starts = {
        item.title: reader.get_destination_page_number(item) + 1
        for item in reader.outline
        if not isinstance(item, list)
    }
    return starts, reader.pages[0].extract_text(), len(reader.pages)


def test_book_follows_a_company_that_grows_a_page(tree):
    """After an edit that makes Bloom Energy's scorecard a page longer, the book's bookmarks and its contents page
    point at the right pages (the unchanged parts' page counts are read while the workers render; the changed
    one's after its new PDF is written)."""
    from pypdf import PdfReader

    assert make(tree).returncode == 0
    before, _, _ = _book_starts(tree)
    pages = {p.stem: len(PdfReader(p).pages) for p in (tree / "build").glob("*.pdf") if p.stem != "season-book"}
    bloom = tree / "inputs" / "bloom-energy.yaml"
    notes = "".join(
        f"      - Note {n}, a long line of commentary that the analyst kept, to fill the page with text.\n"
        for n in range(60)
    )
    text = bloom.read_text()
    assert "    call:\n" in text and "    notes:" not in text
    time.sleep(0.01)
    bloom.write_text(text.replace("    call:\n", "    notes:\n" + notes + "    call:\n", 1))
    result = make(tree)
    assert result.returncode == 0, result.stdout
    grown = len(PdfReader(tree / "build" / "bloom-energy.pdf").pages)
    assert grown > pages["bloom-energy"]
    after, contents, total = _book_starts(tree)
    # the book: contents (1 page), the season summary, then the companies by name: Bloom Energy, then Sony
    season_pages = len(PdfReader(tree / "build" / "season.pdf").pages)
    assert after["Bloom Energy Corporation"] == 2 + season_pages
    assert after["Sony Group Corporation"] == 2 + season_pages + grown
    assert after["Sony Group Corporation"] == before["Sony Group Corporation"] + grown - pages["bloom-energy"]
    assert total == 1 + season_pages + grown + pages["sony"]
    for name, start, count in (
        ("Bloom Energy", after["Bloom Energy Corporation"], grown),
        ("Sony Group Corporation", after["Sony Group Corporation"], pages["sony"]),
    ):
        line = contents[contents.index(name) :].split("\n")
        said = f"{start}–{start + count - 1}" if count > 1 else str(start)
        assert any(part.endswith(" " + said) or part == said for part in line[:3]), (name, said, line[:3])
    # an edit that keeps every page count: the contents laid out while the workers rendered is the one used
    time.sleep(0.01)
    bloom.write_text(bloom.read_text().replace("Note 59,", "Note fifty-nine,"))
    result = make(tree)
    assert result.returncode == 0, result.stdout
    assert rendered(result) == ["bloom-energy"] and "book    season-book.pdf" in result.stdout
    again, contents_again, total_again = _book_starts(tree)
    assert again == after and total_again == total
    bloom_pages = PdfReader(tree / "build" / "season-book.pdf").pages[
        after["Bloom Energy Corporation"] - 1 : after["Bloom Energy Corporation"] - 1 + grown
    ]
    assert "Note fifty-nine" in "".join(page.extract_text() for page in bloom_pages)  # the new PDF, in its place


# --- hostile file names and files (issue 23) -------------------------------------------------------


def test_a_file_make_cannot_name_or_read_is_reported_and_every_good_company_is_built(tree):
    """'my co.yaml' (make would split it in two: "No rule to make target 'inputs/my'"), 'a:b.yaml', a FIFO and a
    link to /dev/zero: each refused in one located line, the good companies built, make failing every time."""
    assert make(tree).returncode == 0
    shutil.copy(tree / "inputs" / "sony.yaml", tree / "inputs" / "my co.yaml")  # added after a good build
    (tree / "inputs" / "a:b.yaml").write_text("company: {}\n")
    os.mkfifo(tree / "inputs" / "fifo.yaml")
    (tree / "inputs" / "z.yaml").symlink_to("/dev/zero")
    (tree / "build" / "bloom-energy.pdf").unlink()
    for _ in range(2):
        result = make(tree)
        assert result.returncode != 0, result.stdout
        problems = sorted(line for line in result.stdout.splitlines() if line.startswith("inputs/"))
        assert problems == [
            "inputs/a:b.yaml:1:1: file name 'a:b.yaml' cannot name a page "
            "(use lower-case letters, digits and hyphens, e.g. bloom-energy.yaml)",
            "inputs/fifo.yaml:1:1: cannot read the file: it is a FIFO (named pipe), not a regular file "
            "(replace it with the file itself)",
            "inputs/my co.yaml:1:1: file name 'my co.yaml' cannot name a page "
            "(use lower-case letters, digits and hyphens, e.g. bloom-energy.yaml)",
            "inputs/z.yaml:1:1: cannot read the file: it links to /dev/zero, a character device, not a regular file "
            "(replace it with the file itself)",
        ]
        assert "No rule to make target" not in result.stdout
        assert (tree / "build" / "bloom-energy.pdf").exists() and (tree / "build" / "sony.pdf").exists()
    assert rendered(result) == []  # the second time, nothing to render: only the refusals, and the failure
