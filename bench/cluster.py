"""The Dask cluster path against the local pool: `make bench-dask` (N=500) or `python bench/cluster.py --companies N`.

On a synthetic season (bench/synth.py) in a scratch project, every output built again (`scorecard build --force`)
three ways, all on 127.0.0.1 with the same number of processes:
1. the local pool (`-j P`);
2. a LocalCluster of P worker processes, one thread each (`--scheduler`);
3. `dask scheduler` and P `dask worker --nthreads 1` processes started from the command line (`--scheduler`).
Each build twice (the first cluster build also starts WeasyPrint in each worker); the PDFs of all three compared
byte for byte. Then the scheduler's own cost per task (empty tasks), for the projection in docs/cluster.md.
It writes its figures into docs/cluster.md (between the markers) and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from run import VENV, machine, project, report, timed  # noqa: E402

DASK = VENV / "bin" / "dask"
PYTHON = VENV / "bin" / "python"
JOBS_15000 = 15_000


def build(root: Path, *flags: str) -> float:
    """Every output built again; seconds."""
    elapsed, _ = timed([str(PYTHON), "-m", "scorecards", "-q", "build", "--force", *flags], root)
    return elapsed


def pdf_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.pdf")):
        digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def per_task(address: str, tasks: int) -> tuple[float, float]:
    """The scheduler's cost per task, in seconds: ``tasks`` empty tasks submitted one by one and gathered as they
    finish, as the build does; the elapsed time, and the scheduler process's CPU time, divided by their number."""
    from distributed import Client, as_completed

    with Client(address, set_as_default=False) as client:
        warm = [client.submit(_nothing, i, pure=False) for i in range(50)]
        list(as_completed(warm, loop=client.loop))
        cpu = client.run_on_scheduler(time.process_time)
        started = time.perf_counter()
        list(as_completed([client.submit(_nothing, i, pure=False) for i in range(tasks)], loop=client.loop))
        elapsed = time.perf_counter() - started
        return elapsed / tasks, (client.run_on_scheduler(time.process_time) - cpu) / tasks


def layout_cpu(root: Path, count: int) -> float:
    """CPU seconds to lay out one PDF (median over ``count`` of the season's pages, in this process, as a worker
    does): unlike elapsed times, hardly moved by other work on the machine."""
    from scorecards.render.pdf import PdfJob, init_worker, render_pdf
    from scorecards.render.templates import asset_roots
    from scorecards.settings import Settings

    settings = Settings(templates=root / "templates")
    init_worker(asset_roots(settings), (root / "templates" / "assets").resolve().as_uri() + "/")
    pages = sorted((root / "build").glob("co-*.html"))[: count + 1]
    times = []
    for i, page in enumerate(pages):
        started = time.process_time()
        render_pdf(PdfJob(page.stem, page.read_text("utf-8"), root / "cpu.pdf"))
        if i:  # the first warms the fonts
            times.append(time.process_time() - started)
    return statistics.median(times)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _nothing(i: int) -> int:
    return i


def runs(root: Path, repeats: int, *flags: str) -> tuple[list[float], str]:
    times = [build(root, *flags) for _ in range(repeats)]
    print(f"  {', '.join(f'{t:.1f} s' for t in times)}", flush=True)
    return times, pdf_digest(root / "build")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2, help="builds each way")
    parser.add_argument("--tasks", type=int, default=2000, help="empty tasks timed for the per-task cost")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "cluster.md")
    args = parser.parse_args()
    from distributed import LocalCluster

    processes = os.cpu_count() or 1
    n = args.companies
    results: dict[str, tuple[list[float], str]] = {}
    with tempfile.TemporaryDirectory(prefix="scorecards-bench-dask-") as scratch:
        root = Path(scratch) / "project"
        root.mkdir()
        project(root, n)
        shutil.rmtree(root / "scorecards")  # every process below runs this checkout's code, the workers' too
        build(root, "-j", str(processes))  # the scorecards computed and cached once: every build below lays out
        cpu = children_cpu()
        html = statistics.median([build(root, "--format", "html") for _ in range(args.repeats)])
        html_cpu = (children_cpu() - cpu) / args.repeats  # one process (the data files in one forked, waited for)
        pdf_cpu = layout_cpu(root, min(n, 20))
        print("local pool", flush=True)
        results["local"] = runs(root, args.repeats, "-j", str(processes))
        print("LocalCluster", flush=True)
        with LocalCluster(
            n_workers=processes, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster:
            results["LocalCluster"] = runs(root, args.repeats, "--scheduler", cluster.scheduler_address)
            local_task = per_task(cluster.scheduler_address, args.tasks)
        print("dask scheduler + dask worker", flush=True)
        address = f"tcp://127.0.0.1:{free_port()}"
        log = open(Path(scratch) / "dask.log", "w")  # noqa: SIM115 - closed below
        started = [
            subprocess.Popen(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ]
        try:
            started += [
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=root,
                )
                for _ in range(processes)
            ]
            from distributed import Client

            with Client(address, timeout=60, set_as_default=False) as client:
                client.wait_for_workers(processes, timeout=120)
            results["command line"] = runs(root, args.repeats, "--scheduler", address)
            cli_task = per_task(address, args.tasks)
        finally:
            for process in reversed(started):
                process.terminate()
                process.wait(timeout=30)
            log.close()

    write(args.output, n, processes, results, (html, html_cpu, pdf_cpu), (local_task, cli_task), args.tasks)


def write(
    output: Path,
    n: int,
    processes: int,
    results: dict[str, tuple[list[float], str]],
    costs: tuple[float, float, float],
    per_task: tuple[tuple[float, float], tuple[float, float]],
    tasks: int,
) -> None:
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    base = statistics.median(results["local"][0])
    same = len({digest for _, digest in results.values()}) == 1
    say(f"Measured by `make bench-dask` (`python bench/cluster.py --companies {n}`) on {time.strftime('%Y-%m-%d')}.")
    say(f"Machine: {machine()}.")
    say(
        f"Every output of a synthetic season of {n} companies built again (`scorecard build --force`: {n + 1} PDFs "
        f"laid out, the season's data files and book made), {processes} processes each way, all on 127.0.0.1; "
        f"each build {len(results['local'][0])} times."
    )
    say()
    say("| Executor | Builds (s) | Median | Against the local pool |")
    say("| --- | --- | --- | --- |")
    labels = {
        "local": f"local pool (`-j {processes}`)",
        "LocalCluster": f"`LocalCluster`, {processes} processes × 1 thread",
        "command line": f"`dask scheduler` + {processes} × `dask worker --nthreads 1`",
    }
    for key, (times, _) in results.items():
        median = statistics.median(times)
        say(
            f"| {labels[key]} | {', '.join(f'{t:.1f}' for t in times)} | {median:.1f} s | **{median / base:.2f}×** "
            f"{'(target ≤ 1.10×)' if key != 'local' else ''} |"
        )
    say()
    say(f"Every PDF byte for byte the same all three ways: {'yes' if same else '**no**'}.")
    html, html_cpu, pdf_cpu = costs
    per_page = html_cpu / (n + 1)
    say(
        f"CPU time, which other work on the machine hardly moves: laying out one PDF, {pdf_cpu * 1000:.0f} ms (median "
        f"of {min(n, 20)} of the season's pages, in one process); the build's own process without PDFs (`--format "
        f"html`: load, compute, HTML, data files), {html_cpu:.1f} s for {n} companies, {per_page * 1000:.0f} ms a "
        f"page ({html:.1f} s elapsed)."
    )
    (local_wall, local_cpu), (cli_wall, cli_cpu) = per_task
    say(
        f"The scheduler's cost per task ({tasks} empty tasks, sent one by one and gathered as they finish, as the "
        f"build does): {cli_wall * 1000:.2f} ms elapsed per task, {cli_cpu * 1000:.2f} ms of the scheduler "
        f"process's CPU (`dask scheduler`); {local_wall * 1000:.2f} ms elapsed on the LocalCluster."
    )
    say()
    task = cli_cpu
    say(
        f"Projected, {JOBS_15000:,} PDFs (5,000 companies × 3 languages) on W worker processes. The three stages "
        "overlap (pages go out as they are made, come back as they are laid out), so the slowest sets the time: "
        f"T ≈ max({JOBS_15000:,} × {per_page * 1000:.0f} ms in the build's process, {JOBS_15000:,} × "
        f"{pdf_cpu * 1000:.0f} ms / W on the workers, {JOBS_15000:,} × {task * 1000:.2f} ms in the scheduler), "
        "plus the start (seconds)."
    )
    say()
    say("| Workers W | Build's own process | Laying out / W | Scheduler | Projected |")
    say("| --- | --- | --- | --- | --- |")
    own, scheduler = JOBS_15000 * per_page, JOBS_15000 * task
    for workers in (2, 8, 16, 32, 64, 128):
        layout = JOBS_15000 * pdf_cpu / workers
        say(
            f"| {workers} | {own:.0f} s | {layout:.0f} s | {scheduler:.0f} s | "
            f"{max(own, layout, scheduler) / 60:.1f} min |"
        )
    output.write_text(report(output, "\n".join(lines) + "\n"), "utf-8")
    print(f"\nwrote {output}")


if __name__ == "__main__":
    main()
