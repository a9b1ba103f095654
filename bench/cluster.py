"""The Dask cluster path against the local pool: `make bench-dask` (N=500) or `python bench/cluster.py --companies N`.

On a synthetic season (bench/synth.py) in a scratch project, every output built again (`scorecard build --force`)
three ways, all on 127.0.0.1 with the same number of processes:
1. the local pool (`-j P`);
2. a LocalCluster of P worker processes, one thread each (`--scheduler`);
3. `dask scheduler` and P `dask worker --nthreads 1` processes started from the command line (`--scheduler`).
Both clusters with the Dask settings docs/cluster.md gives (`TUNED`; `--dask-settings before` for the earlier ones).
In rounds (`--repeats`, 2): each round builds once each way, in turn, so that other work on the machine weighs on
the three alike. Each cluster is started for its build and shut down after it, so its workers load WeasyPrint in
every build, as the pool's do. Each build's elapsed time, and the CPU time of all its processes (the build's, the
pool's or the cluster's: scheduler, workers and nannies, each process counted once), which other work hardly moves,
and the cluster's by kind of process. The PDFs of all three compared byte for byte. Then the scheduler's own cost per
task (empty tasks), for the projection in docs/cluster.md.
It writes its figures into docs/cluster.md (between the markers) and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from run import VENV, machine, project, report, timed  # noqa: E402

if TYPE_CHECKING:
    from distributed import Client

DASK = VENV / "bin" / "dask"
PYTHON = VENV / "bin" / "python"
JOBS_15000 = 15_000
# The cluster as docs/cluster.md says to start it (scheduler, nannies and workers alike): Dask's background work cut
# to what a build of uniform jobs needs; see docs/cluster.md for each setting's reason, and bench/cluster_idle.py.
TUNED: dict[str, object] = {
    "distributed.worker.profile.enabled": False,  # the statistical profiler: each worker's loop every 10 ms
    "distributed.admin.tick.interval": "1s",  # the event loops' health check: every 20 ms
    "distributed.worker.memory.monitor-interval": "1s",  # the memory limits' check: every 100 ms
}
# As the clusters were started before: only without the profiler (`--dask-settings before`, to compare).
SETTINGS: dict[str, dict[str, object]] = {"tuned": TUNED, "before": {"distributed.worker.profile.enabled": False}}


def dask_env(settings: dict[str, object]) -> dict[str, str]:
    """Dask settings as the environment variables that give them to `dask scheduler` and `dask worker`.

    >>> dask_env({"distributed.admin.tick.interval": "1s", "distributed.scheduler.work-stealing": False})
    {'DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL': '1s', 'DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING': 'False'}
    """
    return {"DASK_" + key.replace(".", "__").replace("-", "_").upper(): str(value) for key, value in settings.items()}


# Runs a command and says the CPU time of every process it started, the grandchildren too (the local pool's fork
# server and its workers outlive the build's own process: as their subreaper, this waits for them all).
TREE_CPU = """
import ctypes, os, resource, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
started = time.perf_counter()
code = subprocess.run(sys.argv[1:]).returncode
elapsed = time.perf_counter() - started
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"tree {elapsed} {usage.ru_utime + usage.ru_stime}")
sys.exit(code)
"""


def build(root: Path, *flags: str) -> tuple[float, float]:
    """Every output built again: seconds elapsed, and the CPU seconds of the build's processes (on Linux)."""
    command = [str(PYTHON), "-m", "scorecards", "-q", "build", "--force", *flags]
    if sys.platform != "linux":
        return timed(command, root)[0], float("nan")
    _, result = timed([str(PYTHON), "-c", TREE_CPU, *command], root)
    elapsed, cpu = result.stdout.strip().splitlines()[-1].split()[1:]
    return float(elapsed), float(cpu)


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


def _nothing(i: int) -> int:
    return i


def _cpu() -> tuple[int, float]:
    return os.getpid(), time.process_time()


def cluster_cpu(client: Client) -> dict[str, float]:
    """CPU seconds used so far by a cluster's processes, by kind: its scheduler, its nannies and its workers. Each
    process counted once: a LocalCluster's scheduler and nannies live in the process that started it (this one)."""
    seen: dict[int, tuple[str, float]] = {}
    scheduler: tuple[int, float] = client.run_on_scheduler(_cpu)
    seen[scheduler[0]] = ("scheduler", scheduler[1])
    for kind, found in (("nannies", client.run(_cpu, nanny=True)), ("workers", client.run(_cpu))):
        for pid, used in found.values():
            seen.setdefault(pid, (kind, used))
    kinds = dict.fromkeys(("scheduler", "nannies", "workers"), 0.0)
    for kind, used in seen.values():
        kinds[kind] += used
    return kinds


def cpu_by_kind(way: str, used: dict[str, float], build: Path) -> str:
    """A cluster build's CPU seconds by kind of process, said in words, with the workers' per PDF."""
    pdfs = sum(1 for _ in build.rglob("*.pdf"))
    shared = " (its nannies with it, in this process)" if way == "LocalCluster" else ""
    return (
        f"scheduler {used['scheduler']:.1f} s{shared}, nannies {used['nannies']:.1f} s, workers "
        f"{used['workers']:.1f} s ({used['workers'] / pdfs * 1000:.0f} ms for each of {pdfs} PDFs)"
    )


@contextmanager
def local_cluster(processes: int, root: Path, scratch: Path, settings: dict[str, object]) -> Iterator[str]:
    """A LocalCluster of ``processes`` workers with one thread each, with Dask's ``settings``; its address."""
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set(settings),  # the scheduler's and the nannies' (in this process), handed to the workers
        LocalCluster(
            n_workers=processes, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
    ):
        yield cluster.scheduler_address


@contextmanager
def command_line_cluster(processes: int, root: Path, scratch: Path, settings: dict[str, object]) -> Iterator[str]:
    """`dask scheduler` and ``processes`` `dask worker --nthreads 1` processes, with Dask's ``settings`` (in their
    environment); its address.
    Shut down through the scheduler, which closes its workers first: terminated one by one, the workers' heartbeats
    could find the scheduler gone and print tracebacks."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{free_port()}"
    with open(scratch / "dask.log", "a") as log:
        started = [
            subprocess.Popen(
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **dask_env(settings)},
            )
        ]
        try:
            started += [
                subprocess.Popen(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=root,
                    env={**os.environ, **dask_env(settings)},
                )
                for _ in range(processes)
            ]
            with Client(address, timeout=60, set_as_default=False) as client:
                client.wait_for_workers(processes, timeout=120)
            yield address
            with Client(address, timeout=60, set_as_default=False) as client:
                client.shutdown()
        finally:
            for process in reversed(started):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.terminate()
                    process.wait(timeout=30)


Ways = dict[str, tuple[list[float], list[float], str]]  # way -> elapsed seconds, CPU seconds, PDFs' digest


def rounds(
    root: Path, scratch: Path, processes: int, repeats: int, tasks: int, settings: dict[str, object]
) -> tuple[Ways, list[tuple[float, float]]]:
    """Each round builds once each way, one after the other, so that other work on the machine weighs on all three
    alike; each cluster is started for its build and stopped after it (in the last round, its cost per task is timed
    too). The CPU time of a cluster build is its build's processes' and the cluster's."""
    from distributed import Client

    results: Ways = {way: ([], [], "") for way in ("local", "LocalCluster", "command line")}
    clusters = {"LocalCluster": local_cluster, "command line": command_line_cluster}
    task_costs = []
    for round_ in range(repeats):
        for way, (times, cpus, _) in results.items():
            if way == "local":
                elapsed, cpu = build(root, "-j", str(processes))
            else:
                with clusters[way](processes, root, scratch, settings) as address:
                    with Client(address, timeout=60, set_as_default=False) as client:
                        before = cluster_cpu(client)
                        elapsed, cpu = build(root, "--scheduler", address)
                        used = {kind: seconds - before[kind] for kind, seconds in cluster_cpu(client).items()}
                        cpu += sum(used.values())
                    print(f"  the cluster's CPU: {cpu_by_kind(way, used, root / 'build')}", flush=True)
                    if round_ == repeats - 1:
                        task_costs.append(per_task(address, tasks))
            times.append(elapsed)
            cpus.append(cpu)
            results[way] = (times, cpus, pdf_digest(root / "build"))
            print(f"  round {round_ + 1}, {way}: {elapsed:.1f} s, {cpu:.1f} s of CPU", flush=True)
    return results, task_costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2, help="builds each way")
    parser.add_argument("--tasks", type=int, default=2000, help="empty tasks timed for the per-task cost")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "cluster.md")
    parser.add_argument(
        "--dask-settings",
        choices=list(SETTINGS),
        default="tuned",
        help="the clusters' Dask settings: as docs/cluster.md says (tuned), or only without the profiler (before)",
    )
    args = parser.parse_args()

    processes = os.cpu_count() or 1
    n = args.companies
    with tempfile.TemporaryDirectory(prefix="scorecards-bench-dask-") as scratch:
        root = Path(scratch) / "project"
        root.mkdir()
        project(root, n)
        shutil.rmtree(root / "scorecards")  # every process below runs this checkout's code, the workers' too
        build(root, "-j", str(processes))  # the scorecards computed and cached once: every build below lays out
        html_builds = [build(root, "--format", "html") for _ in range(args.repeats)]
        html = statistics.median(elapsed for elapsed, _ in html_builds)
        html_cpu = statistics.median(cpu for _, cpu in html_builds)  # one process, and the data files' one forked
        pdf_cpu = layout_cpu(root, min(n, 20))
        results, (local_task, cli_task) = rounds(
            root, Path(scratch), processes, args.repeats, args.tasks, SETTINGS[args.dask_settings]
        )

    write(args.output, n, processes, results, (html, html_cpu, pdf_cpu), (local_task, cli_task), args.tasks)


def write(
    output: Path,
    n: int,
    processes: int,
    results: Ways,
    costs: tuple[float, float, float],
    per_task: tuple[tuple[float, float], tuple[float, float]],
    tasks: int,
) -> None:
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    base = statistics.median(results["local"][0])
    base_cpu = statistics.median(results["local"][1])
    same = len({digest for _, _, digest in results.values()}) == 1
    say(f"Measured by `make bench-dask` (`python bench/cluster.py --companies {n}`) on {time.strftime('%Y-%m-%d')}.")
    say(f"Machine: {machine()}.")
    say(
        f"Every output of a synthetic season of {n} companies built again (`scorecard build --force`: {n + 1} PDFs "
        f"laid out, the season's data files and book made), {processes} processes each way, all on 127.0.0.1; "
        f"each build {len(results['local'][0])} times, the three ways in turn. Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.1f}; above 0 means other work shared the {processes} cores, which stretches the "
        "elapsed times (each way alike, taken in turn), and hardly the CPU times."
    )
    say()
    say("| Executor | Builds (s) | Median | Against the local pool | CPU, all processes (s) | CPU against the pool |")
    say("| --- | --- | --- | --- | --- | --- |")
    labels = {
        "local": f"local pool (`-j {processes}`)",
        "LocalCluster": f"`LocalCluster`, {processes} processes × 1 thread",
        "command line": f"`dask scheduler` + {processes} × `dask worker --nthreads 1`",
    }
    for key, (times, cpus, _) in results.items():
        median, cpu = statistics.median(times), statistics.median(cpus)
        say(
            f"| {labels[key]} | {', '.join(f'{t:.1f}' for t in times)} | {median:.1f} s | **{median / base:.2f}×** "
            f"{'(target ≤ 1.10×)' if key != 'local' else ''} | {', '.join(f'{c:.1f}' for c in cpus)} | "
            f"{cpu / base_cpu:.2f}× |"
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
