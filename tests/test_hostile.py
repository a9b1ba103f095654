"""Hostile input, interrupted builds and reproducible files (issue 7)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

from scorecards.build.corpus import load_all, read_company
from scorecards.errors import InputError
from scorecards.load.yaml import MAX_BYTES, parse_yaml
from scorecards.settings import Settings

HOSTILE = REPO / "tests" / "inputs" / "hostile"
COMPANIES = REPO / "tests" / "inputs" / "companies"


def project(tmp_path, *files):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    (tmp_path / "inputs").mkdir()
    for f in files:
        shutil.copy(f, tmp_path / "inputs" / Path(f).name)
    return tmp_path


def build(root, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build", *args], cwd=root, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


# --- text from YAML is text ------------------------------------------------------------------


@pytest.mark.slow
def test_markup_in_yaml_is_shown_as_text_and_nothing_is_fetched(tmp_path):
    root = project(tmp_path, HOSTILE / "injection.yaml")
    build(root)
    html = (root / "build" / "injection.html").read_text()
    body = html.split("</style>", 1)[1]
    for live in ("<script>alert", "<img src", '<link rel="attachment"', "<object", "<b>Bold", "<i>CEO"):
        assert live not in body, live
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Evil Corp" in body
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in body
    reader = PdfReader(root / "build" / "injection.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "<script>alert('x')</script> Evil Corp" in text
    assert '<img src="file:///etc/passwd">' in text
    assert "url(http://127.0.0.1:9/x.png)" in text
    assert reader.attachments == {}
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get_object())
    assert "root:" not in text  # nothing of /etc/passwd made it in


@pytest.mark.slow
def test_long_names_other_scripts_and_emoji_keep_the_layout(tmp_path):
    root = project(tmp_path, HOSTILE / "scripts-and-sizes.yaml")
    build(root)
    reader = PdfReader(root / "build" / "scripts-and-sizes.pdf")
    assert len(reader.pages) <= 2
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils), which reads this font encoding correctly")
    text = subprocess.run(
        ["pdftotext", str(root / "build" / "scripts-and-sizes.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in [
        "Κόσμος Ολλανδικός",
        "山田太郎",
        "我々はAIに全力で投資する",
        "日本経済新聞",
        "NM",
    ]:
        assert expected in text, expected
    # an amount too long for its column wraps inside it (tests/test_pages.py keeps every word inside the margins):
    # shown whole, at the precision written
    assert "$123,456,789,012.345" in "".join(text.split())
    for page in reader.pages:  # nothing drawn outside the page
        box = page.mediabox
        assert float(box.width) < 600 and float(box.height) < 850


# --- limits ------------------------------------------------------------------------------------


def test_alias_bomb_is_refused_quickly():
    bomb = "\n".join(
        ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        + [
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
            for i in range(8)
        ]
    )
    with pytest.raises(InputError) as caught:  # refused by counting values, not after expanding 10^9 of them
        parse_yaml(bomb.encode(), "bomb.yaml")
    assert "more than 200,000 values after expanding aliases" in str(caught.value)


def test_very_large_file_is_refused():
    with pytest.raises(InputError) as caught:
        parse_yaml(b"# " + b"x" * MAX_BYTES, "big.yaml")
    assert str(caught.value).startswith("big.yaml:1:1: the file is 1,000,002 bytes, over the limit of 1,000,000")


def test_two_files_for_one_company_name_each_other(tmp_path):
    shutil.copy(COMPANIES / "sony.yaml", tmp_path / "sony.yaml")
    shutil.copy(COMPANIES / "sony.yaml", tmp_path / "sony-group.yaml")
    loaded = load_all(Settings(inputs=tmp_path))
    messages = [str(p) for item in loaded for p in item.problems]
    assert messages == [
        f"{tmp_path}/sony-group.yaml:3:11: company.ticker: SONY is also the company in {tmp_path}/sony.yaml "
        "(keep one file per company)",
        f"{tmp_path}/sony.yaml:3:11: company.ticker: SONY is also the company in {tmp_path}/sony-group.yaml "
        "(keep one file per company)",
    ]
    assert all(item.card is None for item in loaded)


def test_a_company_with_no_quarters_renders(tmp_path, in_repo):
    text = (COMPANIES / "sony.yaml").read_text().split("quarters:")[0] + "quarters: []\n"
    (tmp_path / "empty.yaml").write_text(text)
    card = read_company(tmp_path / "empty.yaml", Settings()).card
    from scorecards.render.templates import make_env, render_company

    html = render_company(make_env(Settings()), card)
    assert "No quarters recorded yet for Sony Group Corporation." in html


# --- interruptions, concurrency, unwritable folders --------------------------------------------


@pytest.mark.slow
def test_killed_builds_leave_nothing_half_written_and_the_next_build_repairs(tmp_path):
    root = project(tmp_path, *sorted(COMPANIES.glob("*.yaml")), REPO / "tests/inputs/history/acme.yaml")
    for delay in (0.3, 1.0, 1.8, 2.6):
        process = subprocess.Popen(
            [sys.executable, "-m", "scorecards", "build", "--force"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for pdf in (root / "build").glob("*.pdf"):
            assert len(PdfReader(pdf).pages) >= 1  # every PDF present is whole
        for html in (root / "build").glob("*.html"):
            assert html.read_text().rstrip().endswith("</html>")
    result = build(root)
    assert "failed" not in result.stderr
    for slug in ("bloom-energy", "sony", "acme"):
        assert len(PdfReader(root / "build" / f"{slug}.pdf").pages) >= 1
    assert list((root / "build").glob(".*.tmp")) == []  # leftovers of killed builds are swept
    again = build(root)
    assert "0 built, 3 up to date" in again.stderr + again.stdout


@pytest.mark.slow
def test_two_builds_at_once_do_not_corrupt_each_other(tmp_path):
    root = project(tmp_path, *sorted(COMPANIES.glob("*.yaml")))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "scorecards", "build", "--force"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    for pdf in (root / "build").glob("*.pdf"):
        assert len(PdfReader(pdf).pages) >= 1


def test_a_build_folder_that_cannot_be_written_is_one_line(tmp_path):
    root = project(tmp_path, COMPANIES / "sony.yaml")
    (root / "build").write_text("a file where the build folder should be")
    result = build(root, "--format", "html", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: cannot write build/.lock: build is not a folder"]


# --- the same inputs give the same files ---------------------------------------------------------


@pytest.mark.slow
def test_two_builds_in_separate_processes_give_identical_bytes(tmp_path):
    outputs = []
    for name in ("one", "two"):
        root = project(tmp_path / name, *sorted(COMPANIES.glob("*.yaml")))
        build(root)
        outputs.append({p.name: p.read_bytes() for p in sorted((root / "build").glob("*.*")) if p.is_file()})
    assert outputs[0].keys() == outputs[1].keys()
    assert {"season-book.pdf", "season.xlsx", "sony.pdf", "season.csv"} <= set(outputs[0])
    different = [name for name in outputs[0] if outputs[0][name] != outputs[1][name]]
    assert different == []


@pytest.mark.slow
def test_archival_and_accessible_pdf_settings(tmp_path):
    root = project(tmp_path, COMPANIES / "bloom-energy.yaml")
    build(root, "--format", "pdf")
    reader = PdfReader(root / "build" / "bloom-energy.pdf")
    catalog = reader.trailer["/Root"].get_object()
    assert catalog["/MarkInfo"]["/Marked"] is True or str(catalog["/MarkInfo"]["/Marked"]) == "True"
    assert "/StructTreeRoot" in catalog
    (root / "scorecard.toml").write_text('pdf_variant = "pdf/a-3u"\n')
    build(root, "--format", "pdf")
    catalog = PdfReader(root / "build" / "bloom-energy.pdf").trailer["/Root"].get_object()
    assert "/OutputIntents" in catalog
    metadata = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="U"' in metadata


@pytest.mark.slow
def test_a_full_disk_is_a_one_line_error(tmp_path):
    root = project(tmp_path, COMPANIES / "bloom-energy.yaml", COMPANIES / "sony.yaml")
    (root / "build").mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a tiny file system")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(root / "build")], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        result = build(root, check=False)
    finally:
        subprocess.run(["umount", str(root / "build")], check=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    full = [line for line in result.stderr.splitlines() if "the disk is full" in line]
    assert full and all(line.startswith(("error: cannot write build/", "build/")) for line in full), result.stderr


def test_csv_cells_from_the_inputs_cannot_become_formulas(tmp_path):
    """A company, segment, label or source written like a formula is text in season.csv (a leading apostrophe,
    as OWASP advises); the pages' own figures such as '+$2.03B' are left as they are."""
    import csv
    import io

    from scorecards.render.exports import card_lines

    text = (REPO / "tests/inputs/companies/sony.yaml").read_text()
    text = (
        text.replace("name: Sony Group Corporation", 'name: \'=HYPERLINK("http://127.0.0.1:9/", "x")\'')
        .replace("publisher: 美股IPO", "publisher: '@SUM(1+1)*cmd|'' /C calc''!A0'")
        .replace("label: PS5 units", "label: '-2+3'")
        .replace(
            "net_income: {actual: 377.32B, consensus: 348.2B}",
            "net_income: {actual: 377.32B, consensus: 348.2B}\n      eps_gaap: {actual: 62.10, consensus: 60.00}",
        )
    )
    (tmp_path / "sony.yaml").write_text(text)
    loaded = read_company(tmp_path / "sony.yaml", Settings(inputs=tmp_path))
    assert loaded.card is not None, loaded.problems
    rows = list(
        csv.DictReader(
            io.StringIO(
                "ticker,company,sector,season,period,period_end,reported,record,segment,"
                "metric,label,basis,kind,unit,currency,actual,actual_text,consensus,"
                "consensus_text,surprise,surprise_text,surprise_pct,outcome,low,high,"
                "guidance_period,source\n" + card_lines(loaded.card).csv
            )
        )
    )
    assert {r["company"] for r in rows} == {'\'=HYPERLINK("http://127.0.0.1:9/", "x")'}
    assert {r["source"] for r in rows} == {"'@SUM(1+1)*cmd|' /C calc'!A0, 索尼第三财季业绩超预期, 2026-02-05"}
    assert [r["label"] for r in rows if r["metric"] == "ps5_units"] == ["'-2+3"]
    eps = next(r for r in rows if r["metric"] == "eps_gaap")
    assert eps["surprise_text"].startswith("+") and eps["surprise"] == "2.10"  # our figure, our number, untouched
    assert all(
        not value.startswith(("=", "+", "-", "@"))
        for r in rows
        for key, value in r.items()
        if key not in ("actual_text", "consensus_text", "surprise_text") and value
    )


def test_a_book_is_never_put_together_from_a_pdf_that_failed_to_render(tmp_path, caplog):
    """A company whose PDF failed to render in this build keeps its older PDF on disk; the book must not take it
    (it would send last week's figures as this week's): no book, the last one moved to build/stale/, said why."""
    from types import SimpleNamespace

    from scorecards.build.context import Context
    from scorecards.build.pack import season_book
    from scorecards.build.pages import Summary
    from scorecards.build.writer import Writer
    from scorecards.i18n import load_language

    settings = Settings(inputs=tmp_path / "inputs", build=tmp_path / "build")
    settings.build.mkdir()
    for name in ("season.pdf", "a.pdf", "b.pdf", "season-book.pdf"):
        (settings.build / name).write_bytes(b"%PDF-1.7 older")
    records = {str(settings.build / name): "fingerprint" for name in ("season.pdf", "a.pdf")}  # b.pdf failed
    records[str(settings.build / "season-book.pdf")] = "last build's"
    (settings.build / ".records.json").write_text(json.dumps(records))
    language = load_language(settings.locale, settings.default_language)
    cards = [SimpleNamespace(slug="a"), SimpleNamespace(slug="b")]
    with Writer(settings.build) as writer:
        ctx = Context(settings, ("pdf",), writer, workers=None)
        season_book(ctx, None, cards, language, Summary((), "this build's"))
    assert not (settings.build / "season-book.pdf").exists()
    assert (settings.build / "stale" / "season-book.pdf").read_bytes() == b"%PDF-1.7 older"
    saved = json.loads((settings.build / ".records.json").read_text())
    assert str(settings.build / "season-book.pdf") not in saved  # not linked from the index either
    assert [r.getMessage() for r in caplog.records] == [
        f"season-book.pdf not built: no current b.pdf (see the errors above); moved the "
        f"last book to {settings.build / 'stale' / 'season-book.pdf'}"
    ]


def test_an_output_that_cannot_be_written_fails_alone(tmp_path):
    """A data file that cannot be written (a folder in its place) fails that job: every other output is still
    written and recorded, and the build says which."""
    root = project(tmp_path, *sorted(COMPANIES.glob("*.yaml")))
    (root / "build" / "season.xlsx").mkdir(parents=True)
    result = build(root, check=False)
    assert result.returncode == 1
    assert "cannot write build/season.xlsx" in result.stderr and "Traceback" not in result.stderr
    assert "failed (exports season.csv, season.xlsx, season.json)" in result.stdout + result.stderr
    for name in ("sony.pdf", "season.pdf", "season-book.pdf", "index.html", ".records.json"):
        assert (root / "build" / name).is_file(), name
    records = json.loads((root / "build" / ".records.json").read_text())
    assert str(Path("build") / "sony.pdf") in records and str(Path("build") / "season.xlsx") not in records


def test_a_template_that_cannot_be_read_is_a_located_error(tmp_path):
    root = project(tmp_path, COMPANIES / "sony.yaml")
    season = root / "templates" / "season.html"
    season.write_text(season.read_text() + "\n{% if %}\n")
    result = build(root, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "season.html:" in result.stderr and "TemplateSyntaxError" in result.stderr


# --- hostile files cost only themselves (issue 23) -----------------------------------------------


def special_files(folder):
    """A FIFO and a link to /dev/zero named like company files: read, the first would hang and the second never end."""
    os.mkfifo(folder / "fifo.yaml")
    (folder / "z.yaml").symlink_to("/dev/zero")
    (folder / "dir.yaml").mkdir()
    shutil.copy(COMPANIES / "bloom-energy.yaml", folder / "my co.yaml")  # make cannot name it (test_make.py)


def test_special_files_are_refused_unread_and_the_good_company_still_loads(tmp_path):
    shutil.copy(COMPANIES / "sony.yaml", tmp_path / "sony.yaml")
    special_files(tmp_path)
    loaded = {item.slug: item for item in load_all(Settings(inputs=tmp_path))}
    assert {slug: [str(p) for p in item.problems] for slug, item in loaded.items() if slug != "sony"} == {
        "dir": [
            f"{tmp_path}/dir.yaml:1:1: cannot read the file: it is a folder, not a regular file "
            "(replace it with the file itself)"
        ],
        "fifo": [
            f"{tmp_path}/fifo.yaml:1:1: cannot read the file: it is a FIFO (named pipe), not a regular file "
            "(replace it with the file itself)"
        ],
        "my co": [
            f"{tmp_path}/my co.yaml:1:1: file name 'my co.yaml' cannot name a page "
            "(use lower-case letters, digits and hyphens, e.g. bloom-energy.yaml)"
        ],
        "z": [
            f"{tmp_path}/z.yaml:1:1: cannot read the file: it links to /dev/zero, a character device, not a "
            "regular file (replace it with the file itself)"
        ],
    }
    assert loaded["sony"].card is not None and loaded["sony"].problems == []


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:  # sparse: 3 GB on paper, nothing on disk; read, it would take 3 GB of memory
        handle.truncate(3_000_000_000)
    item = read_company(big, Settings(inputs=tmp_path))
    assert [str(p) for p in item.problems] == [
        f"{big}:1:1: cannot read the file: it is 3,000,000,000 bytes, over the limit of 1,000,000 "
        "(a scorecard file is a few kilobytes; split or trim it)"
    ]


def test_read_input_reads_a_link_to_a_regular_file_and_keeps_a_path_inside_its_folder(tmp_path):
    from scorecards.files import RefusedInput, read_input

    (tmp_path / "inputs").mkdir()
    (tmp_path / "facts.json").write_bytes(b"{}")
    (tmp_path / "inputs" / "link.json").symlink_to(tmp_path / "facts.json")
    assert read_input(tmp_path / "inputs" / "link.json", 2) == b"{}"
    with pytest.raises(RefusedInput) as caught:
        read_input(tmp_path / "inputs" / "link.json", 2, inside=tmp_path / "inputs")
    assert caught.value.strerror == f"it is outside {tmp_path / 'inputs'}/"
    with pytest.raises(RefusedInput) as caught:
        read_input(tmp_path / "inputs" / ".." / "facts.json", 2, inside=tmp_path / "inputs")
    assert caught.value.strerror == f"it is outside {tmp_path / 'inputs'}/"
    assert read_input(tmp_path / "inputs" / ".." / "inputs" / "link.json", 2, inside=tmp_path) == b"{}"


def test_the_other_inputs_refuse_special_files_unread(tmp_path):
    """The consensus files, transcripts, fx.yaml and distribution.yaml are read by the same safe reader."""
    from scorecards.deliver.lists import languages_wanted, load_distribution
    from scorecards.errors import MailError
    from scorecards.sources.consensus import read_folder
    from scorecards.sources.fx import load_rates
    from scorecards.sources.transcripts import read_transcript

    (tmp_path / "consensus").mkdir()
    os.mkfifo(tmp_path / "consensus" / "estimates.csv")
    book = read_folder(tmp_path / "consensus")
    assert [str(p) for _, p in book.file_problems] == [
        f"{tmp_path}/consensus/estimates.csv:1: cannot read the file: it is a FIFO (named pipe), not a regular file "
        "(replace it with the file itself)"
    ]
    (tmp_path / "sony-q3-fy2025.txt").symlink_to("/dev/zero")
    transcript, problems = read_transcript(tmp_path / "sony-q3-fy2025.txt", "t.txt")
    assert transcript is None
    assert [str(p) for p in problems] == [
        "t.txt:1: cannot read the transcript: it links to /dev/zero, a character device, not a regular file "
        "(replace it with the file itself)"
    ]
    os.mkfifo(tmp_path / "fx.yaml")
    with pytest.raises(InputError) as caught:
        load_rates(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/fx.yaml:1:1: cannot read the file: it is a FIFO (named pipe), not a regular file "
        "(replace it with the file itself)"
    )
    distribution = tmp_path / "distribution.yaml"
    distribution.symlink_to("/dev/zero")
    assert languages_wanted(distribution) == []
    with pytest.raises(MailError) as caught:
        load_distribution(distribution, [])
    assert str(caught.value) == (
        f"cannot read {distribution}: it links to /dev/zero, a character device, not a regular file "
        "(replace it with the file itself)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["new", "X", "--slug", "../../x"],
            "error: --slug: '../../x' cannot name a file in inputs/ "
            "(use lower-case letters, digits and hyphens, e.g. bloom-energy)",
        ),
        (
            ["new", "../X"],
            "error: the ticker ../X (give --slug): '--/x' cannot name a file in inputs/ "
            "(use lower-case letters, digits and hyphens, e.g. bloom-energy)",
        ),
        (
            ["new", "X", "--slug", "index"],
            "error: --slug: 'index' would overwrite the index page (choose another name)",
        ),
        (
            ["build", "--locale", "../../x"],
            "error: --locale: '../../x' is not a language tag (write e.g. en, zh-Hant or zh-Hans)",
        ),
    ],
    ids=["slug-path", "ticker-path", "slug-reserved", "locale-path"],
)
def test_a_name_on_the_command_line_never_walks_out_of_its_folder(tmp_path, args, message):
    root = project(tmp_path / "project", COMPANIES / "sony.yaml")
    (root / "locale").mkdir()
    (tmp_path / "x" / "LC_MESSAGES").mkdir(parents=True)  # what '--locale ../../x' would have read
    (tmp_path / "x" / "LC_MESSAGES" / "messages.po").write_text('msgid ""\nmsgstr ""\n')
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", *args], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stderr.splitlines()) == (1, [message])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "x"]  # nothing written beside the project
    assert sorted(p.name for p in (root / "inputs").iterdir()) == ["sony.yaml"]
    assert sorted(p.name for p in root.iterdir()) == ["inputs", "locale", "templates"]


def test_a_transcript_that_is_a_link_to_a_device_or_to_nothing_costs_only_its_company(tmp_path):
    for name in ("sony", "bloom-energy"):
        shutil.copy(COMPANIES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    shutil.copy(REPO / "tests/inputs/history/acme.yaml", tmp_path / "acme.yaml")
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "sony-q3-fy2025.txt").symlink_to("/dev/zero")
    (tmp_path / "transcripts" / "bloom-energy-q4-fy2025.txt").symlink_to(tmp_path / "nowhere.txt")
    loaded = {item.slug: item for item in load_all(Settings(inputs=tmp_path))}
    assert {slug: [str(p) for p in item.problems] for slug, item in loaded.items()} == {
        "acme": [],
        "bloom-energy": [
            f"{tmp_path}/transcripts/bloom-energy-q4-fy2025.txt:1: cannot read the transcript: it links to "
            f"{tmp_path}/nowhere.txt, which does not exist (replace it with the file itself)"
        ],
        "sony": [
            f"{tmp_path}/transcripts/sony-q3-fy2025.txt:1: cannot read the transcript: it links to /dev/zero, a "
            "character device, not a regular file (replace it with the file itself)"
        ],
    }
    assert [slug for slug, item in loaded.items() if item.card is not None] == ["acme"]
    from scorecards.build.cache import CardCache

    key = CardCache(tmp_path / "cache", "base").key(b"x", tmp_path)  # the build's cache: a dangling link was a crash
    (tmp_path / "transcripts" / "bloom-energy-q4-fy2025.txt").unlink()
    assert CardCache(tmp_path / "cache", "base").key(b"x", tmp_path) != key
