"""PDFs checked as a reader would: text, pages, metadata, bookmarks and fonts (never raw bytes)."""

import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future

import pytest
from conftest import REPO
from pypdf import PdfReader

from scorecards.render import pdf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "tests" / "inputs" / "companies", root / "inputs")
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return root / "build"


def text_of(path):
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_pdf_shows_the_figures_as_written(built):
    text = text_of(built / "bloom-energy.pdf")
    for expected in [
        "Bloom Energy Corporation",
        "Q4 FY2025",
        "$777.7M",
        "$640.07M",
        "+$137.63M",
        "+21.5%",
        "$0.45",
        "$0.30",
        "31.9%",
        "−7.4 pp",
        "$3.1B",
        "$3.3B",
        "$3.2B",
        "$1.405",
        "$2.577B",
        "Beat on revenue and EPS (non-GAAP); FY2026 guidance above consensus",
        "Stock up 10.5% after hours",
        "美股IPO",
        "Page 1 of 1",
        "Data as of 6 Feb 2026",
    ]:
        assert expected in text, expected


def test_yen_amounts_and_ifrs_basis(built):
    text = text_of(built / "sony.pdf")
    for expected in [
        "¥3.714T",
        "¥515.0B",
        "¥377.32B",
        "¥348.2B",
        "+¥29.12B",
        "IFRS",
        "¥12.3T",
        "¥12.0T",
        "Raised",
        "8.0M",
    ]:
        assert expected in text, expected
    assert "$" not in text


def test_metadata(built):
    meta = PdfReader(built / "bloom-energy.pdf").metadata
    assert meta.title == "Bloom Energy Corporation (BE) Q4 FY2025 earnings scorecard"
    assert meta.author == "Equity research"
    assert meta.subject == "Beat on revenue and EPS (non-GAAP); FY2026 guidance above consensus"
    assert "BE" in meta["/Keywords"] and "Q4 FY2025" in meta["/Keywords"]
    assert meta["/CreationDate"].startswith("D:20260206")  # from the data, not the clock


def test_bookmarks(built):
    outline = PdfReader(built / "bloom-energy.pdf").outline
    titles = [outline[0].title] + [item.title for item in outline[1]]
    assert titles == [
        "Bloom Energy Corporation",
        "Results against consensus",
        "Actual against consensus",
        "Guidance",
        "Key indicators",
        "From the call",
        "Sources and notes",
    ]


def test_fonts_are_embedded(built):
    reader = PdfReader(built / "bloom-energy.pdf")
    names = set()
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            names.add(str(font["/BaseFont"]).split("+")[-1])
    assert any(name.startswith("Inter") for name in names)
    assert any("CJK" in name for name in names)  # the Chinese source title


def test_fits_on_one_page_and_has_no_attachments(built):
    reader = PdfReader(built / "bloom-energy.pdf")
    assert len(reader.pages) == 1
    assert reader.attachments == {}


def test_html_is_self_contained(built):
    html = (built / "bloom-energy.html").read_text()
    assert "<style>" in html and "<link" not in html and "<script" not in html
    assert 'src="http' not in html and "@import" not in html
    assert '<html lang="en">' in html


def test_letter_page_size_setting(tmp_path):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    (tmp_path / "inputs").mkdir()
    shutil.copy(REPO / "tests/inputs/companies/bloom-energy.yaml", tmp_path / "inputs")
    (tmp_path / "scorecard.toml").write_text('page_size = "Letter"\n')
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build", "--format", "pdf"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    box = PdfReader(tmp_path / "build" / "bloom-energy.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_renderer_reads_only_bundled_assets(tmp_path):
    from scorecards.render.pdf import _fetcher_class

    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    fetcher = _fetcher_class()([assets])
    assert fetcher.fetch((assets / "logo.svg").as_uri()).read().startswith(b"<svg")
    for url in [
        "file:///etc/passwd",
        (assets / ".." / "secret").resolve().as_uri(),
        "http://127.0.0.1:9/x.css",
        "https://example.com/x.png",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_page_is_laid_out_without_sweeping_the_whole_process(tmp_path):
    """The cycle collector is held off while a page is laid out, then collects only what the layout made (left on,
    it swept the whole process several times a page: ~60 ms a page in a pool worker, up to 160 ms in a Dask
    worker), and is on again for what the process does next."""
    import gc

    pdf.init_worker([tmp_path], tmp_path.as_uri() + "/")
    page = "<table>" + "<tr><td>1.25</td><td>beat</td><td>in line</td></tr>" * 300 + "</table>"
    collections = []

    def seen(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        done = pdf.render_pdf(pdf.PdfJob("big", page, tmp_path / "big.pdf"))
    finally:
        gc.callbacks.remove(seen)
    assert done.error is None and done.files[tmp_path / "big.pdf"].startswith(b"%PDF-")
    assert collections == [0]  # none while laying out; one of the youngest generation after
    assert gc.isenabled()


def _job_ok(name, payload):
    from scorecards.render.pdf import Done

    return Done(name, {}, None if payload == [1, 2, 3] else "payload did not arrive")


def _job_raises(name):
    raise ValueError("disk on fire")


def _job_dies(name):
    import os

    os._exit(3)


def test_forked_jobs_report_results_errors_and_deaths(tmp_path):
    """Jobs forked from the build (the season's exports) inherit their arguments and report like pool jobs."""
    from scorecards.render.pdf import Workers

    workers = Workers([tmp_path], tmp_path.as_uri() + "/", 2)
    try:
        workers.submit_forked("exports a", _job_ok, "exports a", [1, 2, 3])
        workers.submit_forked("exports b", _job_raises, "exports b")
        workers.submit_forked("exports c", _job_dies, "exports c")
        results = {done.name: done.error for done in workers.finished()}
    finally:
        workers.close()
    assert results["exports a"] is None
    assert results["exports b"] == "ValueError: disk on fire"
    assert results["exports c"].startswith("exports c: the process making them stopped (exit code 3)")


def _job_niceness(name):
    import os

    from scorecards.render.pdf import Done

    return Done(name, {}, str(os.nice(0)))


def test_forked_jobs_yield_the_cores_to_the_pdfs(tmp_path):
    """The data files, forked, run at a lower priority than the build and its PDF workers: after one file changed,
    the season summary's PDF is what the build waits for."""
    import os

    from scorecards.render.pdf import FORKED_NICENESS, Workers

    workers = Workers([tmp_path], tmp_path.as_uri() + "/", 2)
    try:
        workers.submit_forked("exports", _job_niceness, "exports")
        workers.submit(_job_niceness, "pdf")
        results = {done.name: int(done.error) for done in workers.finished()}
    finally:
        workers.close()
    here = os.nice(0)
    assert results == {"exports": min(19, here + FORKED_NICENESS), "pdf": here}


def _job_sleep(name):
    import time

    from scorecards.render.pdf import Done

    time.sleep(3)
    return Done(name, {}, None)


def _job_big(name):
    from pathlib import Path

    from scorecards.render.pdf import Done

    return Done(name, {Path("big"): bytes(8 << 20)}, None)  # past any pipe's buffer, as the data files are


def test_a_forked_jobs_result_is_handed_back_as_soon_as_it_is_done(tmp_path):
    """The data files (a forked job, ~20 MB) come back while a PDF is still laid out, not after every PDF: the build
    writes them meanwhile, and their process does not wait on a full pipe."""
    from scorecards.render.pdf import Workers

    workers = Workers([tmp_path], tmp_path.as_uri() + "/", 2)
    try:
        workers.submit(_job_sleep, "slow pdf")
        workers.submit_forked("exports", _job_big, "exports")
        results = [(done.name, sum(map(len, done.files.values()))) for done in workers.finished()]
    finally:
        workers.close()
    assert results == [("exports", 8 << 20), ("slow pdf", 0)]


def _job_modules(name):
    import sys

    from scorecards.render.pdf import PRELOAD, Done

    return Done(name, {}, ",".join(module for module in PRELOAD if module not in sys.modules))


def test_the_workers_have_what_a_pdf_needs_imported_before_their_first_job(tmp_path):
    """The fork server imports WeasyPrint, pikepdf and the font compaction once for every worker: a worker's
    first PDF (after one file changed: the season summary's, what the build waits for) imports none of them."""
    from scorecards.render.pdf import Workers

    workers = Workers([tmp_path], tmp_path.as_uri() + "/", 2)
    try:
        workers.submit(_job_modules, "first")
        (done,) = list(workers.finished())
    finally:
        workers.close()
    assert done.error == ""  # none missing


def test_the_fork_server_runs_no_compiler_to_find_weasyprints_libraries(tmp_path):
    """The fork server imports WeasyPrint with no PATH, so that ctypes.util.find_library runs no gcc and no ld for
    the Windows and macOS library names WeasyPrint tries first (~0.3 s of CPU a build); the workers, this process
    and the programs it runs have the PATH they had."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("gcc", "cc", "ld"):  # stand-ins that say they ran
        (tools / name).write_text(f'#!/bin/sh\necho {name} >> "{tmp_path}/ran"\nexit 1\n')
        (tools / name).chmod(0o755)
    path = f"{tools}:/usr/bin:/bin"
    (tmp_path / "job.py").write_text(
        "import os\nfrom scorecards.render.pdf import Done\n\n"
        "def path(name):\n    return Done(name, {}, os.environ['PATH'])\n"
    )
    (tmp_path / "check.py").write_text(
        "import os\nfrom job import path\nfrom scorecards.render.pdf import Workers, start_fork_server\n\n"
        "if __name__ == '__main__':\n"
        "    start_fork_server()\n"
        "    workers = Workers([], 'file:///', 2)\n"
        "    workers.submit(path, 'path')\n"
        "    (done,) = list(workers.finished())\n"
        "    workers.close()\n"
        "    print(done.error, os.environ['PATH'], sorted(os.environ).count('SCORECARD_BUILD_PATH'), sep='\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "check.py"],
        cwd=tmp_path,
        env={"PATH": path, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [path, path, "0"]  # the worker's PATH, this process's, no variable left
    assert not (tmp_path / "ran").exists(), (tmp_path / "ran").read_text()
    assert subprocess.run(["ld"], env={"PATH": path}).returncode == 1 and (tmp_path / "ran").exists()  # they work


def _job_pid(name):
    import os

    from scorecards.render.pdf import Done

    return Done(name, {}, str(os.getpid()))


def test_workers_are_renewed_after_their_share_of_jobs(tmp_path):
    """WeasyPrint's workers grow a little with every document: after jobs_per_worker jobs each, fresh ones take
    over, and every job's result still comes back."""
    from scorecards.render.pdf import Workers

    workers = Workers([tmp_path], tmp_path.as_uri() + "/", 2, jobs_per_worker=2)
    try:
        for n in range(9):
            workers.submit(_job_pid, f"job {n}")
        results = sorted(workers.finished(), key=lambda done: int(done.name.split()[1]))
    finally:
        workers.close()
    assert [done.name for done in results] == [f"job {n}" for n in range(9)]
    pids = [done.error for done in results]
    generations = [set(pids[0:4]), set(pids[4:8]), set(pids[8:])]
    assert not generations[0] & generations[1] and not generations[1] & generations[2]  # new processes each time
    assert all(pids.count(pid) <= 4 for pid in pids)


def test_an_interrupt_while_the_pool_is_renewed_leaves_no_worker_behind(tmp_path):
    """Ctrl-C while the old pool of a renewal is being ended: close() still ends it (its workers, left running,
    kept the build from ending)."""
    from scorecards.render.pdf import Workers

    workers = Workers([tmp_path], tmp_path.as_uri() + "/", 2, jobs_per_worker=1)
    old = workers.pool
    end_old = old.shutdown
    try:
        workers.submit(_job_pid, "job 0")
        workers.submit(_job_pid, "job 1")
        assert workers.futures[1].result(60)
        processes = list(old._processes.values())

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        old.shutdown = interrupted
        with pytest.raises(KeyboardInterrupt):
            workers.submit(_job_pid, "job 2")  # renews the pool: the interrupt lands while the old one ends
        old.shutdown = end_old
        assert processes and all(process.is_alive() for process in processes)
        processes += list(workers.pool._processes.values())
        workers.close()
        for process in processes:
            process.join(10)
        assert not any(process.is_alive() for process in processes)
    finally:
        old.shutdown = end_old
        workers.close()
        end_old(cancel_futures=True)


def test_the_build_process_never_imports_weasyprint(tmp_path):
    """With a pool, every PDF (the book's contents page too) is laid out by the workers, which the fork server
    forks with WeasyPrint loaded: the build's own process does not pay the import (~0.5 s)."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(REPO / "tests" / "inputs" / "companies", tmp_path / "inputs")
    script = (
        "import sys\nfrom scorecards.build.pipeline import build\nfrom scorecards.settings import Settings\n"
        "report = build(Settings(), jobs=2)\n"
        "print(sorted(report.built), 'weasyprint' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "['bloom-energy', 'sony'] False"
    assert (tmp_path / "build" / "season-book.pdf").exists()
    assert PdfReader(tmp_path / "build" / "season-book.pdf").pages[0].extract_text().startswith("Earnings scorecards")


def test_a_pdf_is_laid_out_again_only_when_what_it_shows_changed(tmp_path):
    """A company file edited where its pages do not show it (a comment) gets its HTML again, but its PDF, the
    summary's PDF and the book stay as they were (their HTML is the same); a figure edited makes all three again."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(REPO / "tests" / "inputs" / "companies", tmp_path / "inputs")

    def build(*flags):
        result = subprocess.run(
            [sys.executable, "-m", "scorecards", "build", "--jobs", "2", *flags],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stderr  # the build's log

    def stamps():
        return {
            name: (tmp_path / "build" / name).stat().st_mtime_ns
            for name in ("sony.pdf", "season.pdf", "season-book.pdf")
        }

    build()
    before = stamps()
    sony = tmp_path / "inputs" / "sony.yaml"
    sony.write_text(sony.read_text() + "\n# checked against the filing\n")
    out = build()
    assert "render  sony (html; its PDF shows nothing that changed)" in out
    assert "render  season summary (html; its PDF shows nothing that changed)" in out
    assert "book    season-book.pdf (kept: every part is as it was)" in out
    assert stamps() == before
    assert "render" not in build()  # recorded as current: nothing to do
    text = sony.read_text()
    sony.write_text(text.replace("actual: 3.714T", "actual: 3.814T", 1))  # revenue: in the summary too
    assert sony.read_text() != text
    out = build()
    assert "render  sony (html, pdf)" in out and "render  season summary (html, pdf)" in out
    after = stamps()
    assert all(after[name] != before[name] for name in before)
    assert "book    season-book.pdf (2 companies)" in out
    assert "¥3.814T" in PdfReader(tmp_path / "build" / "sony.pdf").pages[0].extract_text()
    sony.write_text(sony.read_text() + "# again\n")
    assert "render  sony (html, pdf)" in build("--force")  # --force lays out every PDF again


class _StartingPool:
    """A pool whose workers start only once ``go`` is set, as they wait for the fork server; ``broken``: it takes
    no job."""

    def __init__(self, broken=False):
        self.go, self.broken = threading.Event(), broken

    def submit(self, function, *args):
        if function is pdf._ready:
            assert self.go.wait(10)
        elif self.broken:
            raise RuntimeError("the pool is broken")
        future = Future()
        future.set_result(function(*args))
        return future


def test_a_job_handed_in_while_the_workers_start_does_not_wait_for_them():
    pool = _StartingPool()
    starting = pdf._Starting(pool, 2)
    job = starting.submit(pow, 2, 10)  # returns at once: the build goes on
    assert not job.done()
    pool.go.set()
    starting.join()
    assert job.result(timeout=10) == 1024
    assert starting.submit(pow, 3, 2).result(timeout=10) == 9  # once started, straight to the pool


def test_a_job_the_starting_pool_cannot_take_fails_with_its_error():
    pool = _StartingPool(broken=True)
    starting = pdf._Starting(pool, 1)
    job = starting.submit(pow, 2, 10)
    pool.go.set()
    starting.join()
    with pytest.raises(RuntimeError, match="broken"):
        job.result(timeout=10)
