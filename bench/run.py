"""Season-scale build benchmark: `make bench` (N=500) or `python bench/run.py --companies N`.

Measures, on a synthetic season made by bench/synth.py, in a scratch project:
1. a cold full build (`make`), total and per scorecard;
2. the renderer's limit: the same HTML files to PDF by WeasyPrint alone, in a pool of the same size;
3. the naive approach: one `weasyprint` command per file from make, same parallelism;
4. `make` again with nothing changed, after one YAML changed, after a template changed;
5. one scorecard with Chinese text against the same in English only;
6. peak memory of each PDF worker, and whether it stays flat;
7. with --seasons S, the season's history on a set of N companies over S seasons (bench/synth.py's multi-season
   set, a quarter still to report, with consensus and price files): what it adds to reading the files, to the
   season view and to its summary, and `make` after one file changed there.
It writes a report (default docs/benchmarks.md) and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from synth import company_yaml, generate, generate_seasons  # noqa: E402

from scorecards.render.pdf import JOBS_PER_WORKER  # noqa: E402

VENV = Path(os.environ.get("VIRTUAL_ENV") or REPO / ".venv")


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``command`` and time it until it returns, as a shell waits for it; what it said (the build logs to standard
    error) is in the result's ``stdout``. Its output goes to a file, not a pipe: read from a pipe, the time would run
    until every process that holds the output has ended, and the fork server of the build's workers ends after the
    build (~0.06 s later, measured), with nobody waiting for it."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as said:
        started = time.perf_counter()
        ran = subprocess.run(command, cwd=cwd, stdout=said, stderr=subprocess.STDOUT, env=env)
        elapsed = time.perf_counter() - started
        said.seek(0)
        result = subprocess.CompletedProcess(ran.args, ran.returncode, said.read())
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-4000:]}")
    return elapsed, result


def project(root: Path, count: int) -> Path:
    """A scratch copy of the project with N synthetic companies, using this repository's virtual environment."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "scorecards", root / "scorecards", ignore=shutil.ignore_patterns("__pycache__"))
    generate(root / "inputs", count)
    os.utime(root / "pyproject.toml", (0, 0))  # older than the set-up stamp: make does not reinstall
    return root


def make(root: Path, *args: str, jobs: int) -> tuple[float, subprocess.CompletedProcess]:
    """``make`` in the scratch project."""
    return timed(["make", f"VENV={VENV}", f"JOBS={jobs}", *args], root)


_weasy: dict = {}


def _init() -> None:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    _weasy["w"], _weasy["fonts"] = weasyprint, FontConfiguration()


def _render(paths: tuple[str, str]) -> None:
    html, pdf = paths
    _weasy["w"].HTML(filename=html).write_pdf(pdf, font_config=_weasy["fonts"])


def renderer_limit(htmls: list[Path], out: Path, jobs: int) -> float:
    """WeasyPrint alone: the same HTML files to PDF in a process pool, nothing else."""
    out.mkdir(exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs, initializer=_init) as pool:
        list(pool.map(_render, [(str(h), str(out / (h.stem + ".pdf"))) for h in htmls], chunksize=1))
    return time.perf_counter() - started


def naive(htmls: list[Path], out: Path, jobs: int) -> float:
    """One `weasyprint` command per file, run by make with the same parallelism."""
    out.mkdir(exist_ok=True)
    weasyprint = VENV / "bin" / "weasyprint"
    targets = " ".join(f"{out}/{h.stem}.pdf" for h in htmls)
    makefile = out / "Makefile"
    makefile.write_text(f"all: {targets}\n{out}/%.pdf: {htmls[0].parent}/%.html\n\t@{weasyprint} $< $@\n")
    elapsed, _ = timed(["make", "-f", str(makefile), f"-j{jobs}"], out)
    return elapsed


def chinese_cost(root: Path, repeats: int = 5) -> tuple[float, float]:
    """Median render time of one scorecard with Chinese text and of the same scorecard in English only."""
    sys.path.insert(0, str(REPO))
    from scorecards.compute.company import build_scorecard
    from scorecards.load.validate import validate
    from scorecards.load.yaml import parse_yaml
    from scorecards.render.pdf import PdfJob, init_worker, render_pdf
    from scorecards.render.templates import asset_roots, make_env, render_company
    from scorecards.settings import Settings

    settings = Settings(templates=root / "templates")
    env = make_env(settings)
    base_url = (root / "templates" / "assets").resolve().as_uri() + "/"
    init_worker(asset_roots(settings), base_url)
    times = {}
    for label, chinese in (("en", False), ("zh", True)):
        card = build_scorecard("x", validate(parse_yaml(company_yaml(7, chinese=chinese).encode(), "x.yaml")), settings)
        html = render_company(env, card)
        runs = []
        for i in range(repeats + 1):
            started = time.perf_counter()
            render_pdf(PdfJob("x", html, root / f"lang-{label}.pdf"))
            if i:  # the first run warms the fonts
                runs.append(time.perf_counter() - started)
        times[label] = statistics.median(runs)
    return times["en"], times["zh"]


def memory(trace: Path) -> tuple[dict[int, list[int]], list[int], tuple[int, bool] | None]:
    """Resident memory after each company's job: per worker process, and in the order the jobs ended; and the
    season summary's (kB, whether one of those workers rendered it rather than a process of its own)."""
    samples: dict[int, list[int]] = {}
    ordered: list[int] = []
    season = None
    for line in trace.read_text().splitlines():
        pid, slug, rss = line.split()
        if slug == "season":
            season = (int(pid), int(rss))
            continue
        samples.setdefault(int(pid), []).append(int(rss))
        ordered.append(int(rss))
    samples = {pid: v for pid, v in samples.items() if len(v) > 1}
    return samples, ordered, (season[1], season[0] in samples) if season else None


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    import weasyprint

    return (
        f"{os.cpu_count()} cores ({cpu}){mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; WeasyPrint {weasyprint.__version__}"
    )


def flip_revenue(text: str) -> str:
    """The latest quarter's revenue moved from a beat to a miss (10% under consensus) or back (10% over)."""
    found = re.search(r"revenue: \{actual: ([\d.]+)B, consensus: ([\d.]+)B", text)
    assert found, "no revenue figure to edit"
    actual, consensus = Decimal(found[1]), Decimal(found[2])
    moved = consensus * (Decimal("0.9") if actual >= consensus else Decimal("1.1"))
    return text[: found.start(1)] + f"{moved:.2f}" + text[found.end(1) :]


def rename(text: str) -> str:
    """The company's name with another legal form (Inc. -> Corp. -> Ltd. -> Inc.)."""
    found = re.search(r"name: (.+) (Inc\.|Corp\.|Ltd\.)$", text, re.M)
    assert found, "no company name to edit"
    following = {"Inc.": "Corp.", "Corp.": "Ltd.", "Ltd.": "Inc."}[found[2]]
    return text[: found.start(2)] + following + text[found.end(2) :]


def edits(root: Path, victim: Path, edit, jobs: int, times: int = 3):
    """``make`` after ``edit`` of one company file, ``times`` times: the builds' times, when the company's PDF
    was written in each, and the last build's result."""
    elapsed_all, pdf_after = [], []
    for _ in range(times):
        time.sleep(0.1)  # an edit in the same clock tick as the last build's stamp would look older to make
        victim.write_text(edit(victim.read_text()))
        started = time.time()
        elapsed, result = make(root, jobs=jobs)
        elapsed_all.append(elapsed)
        pdf_after.append((root / "build" / f"{victim.stem}.pdf").stat().st_mtime - started)
    return elapsed_all, pdf_after, result


def own_render(html: Path, root: Path, repeats: int = 3) -> float:
    """That company's own render as a build's worker does it: a fresh font configuration, then its PDF (median)."""
    from scorecards.render.pdf import PdfJob, init_worker, render_pdf
    from scorecards.render.templates import asset_roots
    from scorecards.settings import Settings

    settings = Settings(templates=root / "templates")
    base_url = (root / "templates" / "assets").resolve().as_uri() + "/"
    runs = []
    for _ in range(repeats):
        init_worker(asset_roots(settings), base_url)
        started = time.perf_counter()
        render_pdf(PdfJob("own", html.read_text("utf-8"), root / "own.pdf"))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def outputs_made(result: subprocess.CompletedProcess) -> str:
    """What a build said it made: its render, export and book lines."""
    lines = [line.strip() for line in result.stdout.splitlines()]
    return "; ".join(line for line in lines if line.startswith(("render", "export", "book")))


def flip_eps(text: str) -> str:
    """The latest quarter's EPS from a beat to a miss (1.10 to 0.90) or back: every season output changes."""
    found = re.search(r"eps_adjusted: \{actual: (1\.10|0\.90|1\.00)", text)
    assert found, "no reported EPS to edit"
    moved = {"1.10": "0.90", "0.90": "1.10", "1.00": "0.90"}[found[1]]
    return text[: found.start(1)] + moved + text[found.end(1) :]


def _best(function, repeats: int = 3) -> tuple[float, object]:
    """The fastest of ``repeats`` runs of ``function`` (the machine is shared: the fastest is the least disturbed)."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def season_cost(scratch: Path, n: int, seasons: int, jobs: int) -> list[str]:
    """Measure 7: the season's history at ``n`` companies over ``seasons`` seasons; the report's rows."""
    from scorecards.build.corpus import load_all
    from scorecards.compute.season import blended, build_seasons, earlier_seasons
    from scorecards.render.templates import make_env, render_season
    from scorecards.settings import Settings

    root = scratch / "seasons"
    root.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "scorecards", root / "scorecards", ignore=shutil.ignore_patterns("__pycache__"))
    generate_seasons(root / "inputs", n, seasons)
    os.utime(root / "pyproject.toml", (0, 0))
    cold, _ = make(root, jobs=jobs)
    settings = Settings(inputs=root / "inputs", templates=root / "templates", build=root / "scratch-build")
    read, loaded = _best(lambda: load_all(settings), 1)
    cards = [item.card for item in loaded if item.card is not None]
    bare = Path(scratch) / "bare"  # the same files without their consensus and price files
    shutil.copytree(root / "inputs", bare, ignore=shutil.ignore_patterns("consensus", "prices"))
    read_bare, _ = _best(lambda: load_all(Settings(inputs=bare, build=root / "scratch-build")), 1)
    whole, built = _best(lambda: build_seasons(cards))
    past, _ = _best(lambda: earlier_seasons(cards, None))
    rows = list(built[0].rows)
    growth, _ = _best(lambda: (blended(rows, "eps", None), blended(rows, "revenue", None)))
    env = make_env(settings)
    page, _ = _best(lambda: render_season(env, built, cards))
    victim = root / "inputs" / "season-0001.yaml"
    ones, _, one_result = edits(root, victim, flip_eps, jobs)
    quarters = sum(len(c.quarters) for c in cards)
    return [
        f"| 7a. Multi-season set: {n} companies × {seasons} seasons ({quarters} quarters, a quarter of the companies "
        f"still to report; consensus and price files), cold `make` | {cold:.1f} s | — |",
        f"| 7b. … reading and computing the files, with their consensus and price files / without | "
        f"{read:.2f} s / {read_bare:.2f} s | — |",
        f"| 7c. … the season view (`build_seasons`), of which the earlier seasons and the blended growth | "
        f"{whole * 1000:.0f} ms, of which {past * 1000:.0f} ms and {growth * 1000:.0f} ms | — |",
        f"| 7d. … the summary's HTML with its panel, charts and tables | {page * 1000:.0f} ms | — |",
        f"| 7e. … `make` after one file changed (EPS beat to miss; median of three: "
        f"{', '.join(f'{t:.2f}' for t in ones)} s) | {statistics.median(ones):.2f} s "
        f"({outputs_made(one_result)}) | as 4b |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=100,
        help="companies the naive approach is timed on (it is slow); scaled to N in the report",
    )
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--seasons", type=int, default=0, help="also measure the season's history over this many seasons (7.)"
    )
    parser.add_argument(
        "--only-seasons",
        action="store_true",
        help="measure 7. alone and print it (the report file is left as it is)",
    )
    args = parser.parse_args()
    jobs = os.cpu_count() or 1
    n = args.companies
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    if args.only_seasons:
        with tempfile.TemporaryDirectory(prefix="scorecards-bench-") as scratch:
            for row in season_cost(Path(scratch), n, args.seasons or 8, jobs):
                print(row, flush=True)
        return
    with tempfile.TemporaryDirectory(prefix="scorecards-bench-") as scratch:
        season_rows = season_cost(Path(scratch), n, args.seasons, jobs) if args.seasons else []
        root = Path(scratch) / "project"
        root.mkdir()
        project(root, n)
        trace = Path(scratch) / "memory.txt"
        os.environ["SCORECARD_MEMORY_TRACE"] = str(trace)
        cold, result = make(root, jobs=jobs)
        os.environ.pop("SCORECARD_MEMORY_TRACE")
        htmls = sorted((root / "build").glob("co-*.html")) + [root / "build" / "season.html"]
        limit = renderer_limit(htmls, Path(scratch) / "limit", jobs)
        sample = htmls[: min(args.naive_sample, len(htmls))]
        naive_time = naive(sample, Path(scratch) / "naive", jobs) * len(htmls) / len(sample)
        noop, _ = make(root, jobs=jobs)
        victim = root / "inputs" / "co-0001.yaml"
        # three times each: the first, straight after minutes of both cores at full load, runs on a machine that
        # is still slowed down by it. A figure that the summary counts (revenue from a beat to a miss and back:
        # every season output changes), then the company's name (which the summary's PDF does not show).
        ones, own_pdfs, one_result = edits(root, victim, flip_revenue, jobs)
        names, _, name_result = edits(root, victim, rename, jobs)
        time.sleep(0.1)
        css = root / "templates" / "scorecard.css"
        css.write_text(css.read_text() + "\n/* benchmark: a template change */\n")
        templ, _ = make(root, jobs=jobs)
        one, own_pdf = statistics.median(ones), statistics.median(own_pdfs)
        own = own_render(root / "build" / "co-0001.html", root)
        en, zh = chinese_cost(root)
        samples, ordered, season_rss = memory(trace) if trace.exists() else ({}, [], None)

    say("# Build benchmarks")
    say()
    say(f"Measured by `make bench` (`python bench/run.py --companies {n}`) on {time.strftime('%Y-%m-%d')}.")
    say(f"Machine: {machine()}.")
    say(
        f"Synthetic season: {n} companies from bench/synth.py (four quarters, two segments, guidance, KPIs, "
        "quotes and notes each; two PDF pages per company), plus the season summary, exports and book."
    )
    say()
    say("| Measure | Result | Target |")
    say("| --- | --- | --- |")
    say(f"| 1. Cold full build (`make`) | {cold:.1f} s, {cold / n * 1000:.0f} ms per scorecard | — |")
    say(
        f"| 2. Renderer's limit (WeasyPrint alone, {jobs} processes, same {len(htmls)} HTML files) | {limit:.1f} s; "
        f"build / limit = **{cold / limit:.2f}×** | ≤ 1.15× |"
    )
    sampled = "" if len(sample) == len(htmls) else f" (timed on {len(sample)} files, scaled to {len(htmls)})"
    say(
        f"| 3. Naive: one `weasyprint` per file from make -j{jobs}{sampled} | {naive_time:.1f} s; "
        f"naive / build = **{naive_time / cold:.1f}×** | ≥ 5× |"
    )
    say(f"| 4a. `make` with nothing changed | {noop * 1000:.0f} ms | < 300 ms |")
    say(
        f"| 4b. `make` after one YAML changed: a revenue figure, "
        f"beat to miss (median of three: "
        f"{', '.join(f'{t:.2f}' for t in ones)} s) | {one:.2f} s; the company's PDF written after {own_pdf:.2f} s, "
        f"the rest is the season's outputs ({outputs_made(one_result)}) | < 1.5 s + that company's "
        f"render ({own:.2f} s alone, in a fresh font configuration) = {1.5 + own:.2f} s |"
    )
    say(
        f"| 4b′. … the company's name instead (median of three: {', '.join(f'{t:.2f}' for t in names)} s) | "
        f"{statistics.median(names):.2f} s ({outputs_made(name_result)}) | the same |"
    )
    say(f"| 4c. `make` after a template changed | {templ:.1f} s | — |")
    say(
        f"| 5. One scorecard with Chinese text vs English only | {zh * 1000:.0f} ms vs {en * 1000:.0f} ms "
        f"= **{zh / en:.2f}×** | ≤ 1.5× |"
    )
    if samples:
        peaks = {pid: max(v) for pid, v in samples.items()}
        quarter = max(1, len(ordered) // 4)
        flat = max(ordered[-quarter:]) / max(ordered[:quarter])
        season_note = ""
        if season_rss:
            where = "last, by one of these workers" if season_rss[1] else "once, in a process of its own"
            season_note = f"; after the season summary, rendered {where}: {season_rss[0] / 1024:.0f} MB"
        say(
            f"| 6. Peak memory per PDF worker ({len(peaks)} worker processes, renewed every {JOBS_PER_WORKER} "
            f"jobs) | {', '.join(f'{p / 1024:.0f} MB' for p in peaks.values())}; highest in the last quarter of "
            f"the jobs vs the first: **{flat:.2f}×**{season_note} | < 250 MB, flat |"
        )
    else:
        say("| 6. Peak memory per PDF worker | not measured (no trace) | < 250 MB, flat |")
    for row in season_rows:
        say(row)
    say()
    say(f"Per-company cost of the cold build: {cold / n * jobs * 1000:.0f} ms of CPU per scorecard on {jobs} cores.")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report(args.output, "\n".join(lines) + "\n"), "utf-8")
    print(f"\nwrote {args.output}")


START, END = "<!-- measured by bench/run.py: from here -->\n", "<!-- measured by bench/run.py: to here -->\n"


def report(path: Path, measured: str) -> str:
    """The report file with ``measured`` in place of the last measurement; what was written around it (the
    reading of the figures, earlier runs) is kept. A file without the markers is replaced whole.

    >>> report(Path("/nonexistent"), "new\\n") == START + "new\\n" + END
    True
    """
    try:
        old = path.read_text("utf-8")
    except OSError:
        old = ""
    if START in old and END in old.split(START, 1)[1]:
        before, rest = old.split(START, 1)
        return before + START + measured + END + rest.split(END, 1)[1]
    return START + measured + END


if __name__ == "__main__":
    main()
