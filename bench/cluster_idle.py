"""What an idle Dask cluster costs: `python bench/cluster_idle.py` (about a minute and a half per variant).

The cluster's own processes (scheduler, nannies, workers, and the build's connected client) work for every second a
build lasts, whatever it lays out. This measures that work alone, cheaply and on a busy machine too: for each variant
of Dask's settings it starts, on 127.0.0.1, a `LocalCluster` of P worker processes and a `dask scheduler` with P
`dask worker --nthreads 1` processes (as bench/cluster.py does), connects a client to each from a process of its own
(as the build does), waits for them to settle, then reads the CPU time of every process of theirs (from /proc, via
psutil) over a window with no task at all. CPU time hardly depends on other work on the machine, so the figures hold
on a shared one; it prints CPU milliseconds per second for each kind of process. Linux only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from cluster import DASK, PYTHON, SETTINGS, TUNED, dask_env, free_port  # noqa: E402

PROFILER_ON = dask_env({"distributed.worker.profile.enabled": True})
PROFILER_OFF = dask_env(SETTINGS["before"])  # as bench/cluster.py started its clusters before
# Each variant: the environment of every process (scheduler, nannies, workers, client); whether workers have nannies.
VARIANTS: dict[str, tuple[dict[str, str], bool]] = {
    "Dask's defaults": (PROFILER_ON, True),
    "no profiler (before)": (PROFILER_OFF, True),
    "no profiler, tick 1 s": ({**PROFILER_OFF, "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s"}, True),
    "no profiler, system monitor 5 s": (
        {**PROFILER_OFF, "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s"},
        True,
    ),
    "no profiler, memory monitor 1 s": (
        {**PROFILER_OFF, "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s"},
        True,
    ),
    "no profiler, no work stealing": ({**PROFILER_OFF, "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING": "False"}, True),
    "no profiler, no nanny": (PROFILER_OFF, False),
    "bench/cluster.py's settings (after)": (dask_env(TUNED), True),
    "bench/cluster.py's, no nanny": (dask_env(TUNED), False),
    "bench/cluster.py's, system monitor 5 s, no work stealing": (
        {
            **dask_env(TUNED),
            "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "5s",
            "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING": "False",
        },
        True,
    ),
}

# A client connected as the build connects (scorecards/build/cluster.py), and holding on until it is killed.
CLIENT = """
import sys, time
from distributed import Client
client = Client(sys.argv[1], timeout=10, set_as_default=False)
print("connected", flush=True)
time.sleep(3600)
"""

# A LocalCluster as bench/cluster.py starts one (its scheduler, and the nannies, in this process), until killed.
LOCAL_CLUSTER = """
import sys, time
from distributed import LocalCluster
nanny = sys.argv[2] == "nanny"
cluster = LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, processes=True, host="127.0.0.1",
                       dashboard_address=None, worker_class=None if nanny else "distributed.Worker")
print(cluster.scheduler_address, flush=True)
time.sleep(3600)
"""


@contextmanager
def started(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A process, killed with every process it started when done."""
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        yield process
    finally:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        for each in reversed(tree):
            with suppress(psutil.NoSuchProcess):
                each.kill()
        process.wait()


def local_cluster(stack: ExitStack, processes: int, env: dict[str, str], nanny: bool) -> tuple[str, list[int]]:
    """A LocalCluster's address, and its process (the scheduler and the nannies live in it)."""
    way = "nanny" if nanny else "plain"
    process = stack.enter_context(started([str(PYTHON), "-c", LOCAL_CLUSTER, str(processes), way], env))
    assert process.stdout is not None
    return process.stdout.readline().strip(), [process.pid]


def command_line(stack: ExitStack, processes: int, env: dict[str, str], nanny: bool) -> tuple[str, list[int]]:
    """A `dask scheduler` and `dask worker` processes: the address, and the processes started."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    worker = [str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
    pids = [stack.enter_context(started(scheduler, env)).pid]
    pids += [
        stack.enter_context(started([*worker, *([] if nanny else ["--no-nanny"])], env)).pid for _ in range(processes)
    ]
    return address, pids


def kinds(way: str, pids: list[int], client: int) -> dict[int, str]:
    """Each process of a cluster (and its client) by what it is."""
    found = {client: "client"}
    for index, pid in enumerate(pids):
        top = psutil.Process(pid)
        if way == "LocalCluster":
            found[pid] = "scheduler + nannies"
        else:
            found[pid] = "scheduler" if index == 0 else "nanny" if top.children() else "worker"
        for child in top.children(recursive=True):
            helper = "resource_tracker" in " ".join(child.cmdline())
            found[child.pid] = "multiprocessing helper" if helper else "worker"
    return found


def cpu(pids: dict[int, str]) -> dict[int, float]:
    """CPU seconds (user and system) each process has used so far."""
    times = {}
    for pid in pids:
        used = psutil.Process(pid).cpu_times()
        times[pid] = used.user + used.system
    return times


def measure(
    way: str, processes: int, env: dict[str, str], nanny: bool, settle: float, window: float
) -> dict[str, float]:
    """CPU milliseconds per second of an idle cluster, by kind of process, and in all."""
    with ExitStack() as stack:
        start = local_cluster if way == "LocalCluster" else command_line
        address, pids = start(stack, processes, env, nanny)
        client = stack.enter_context(started([str(PYTHON), "-c", CLIENT, address], env))
        assert client.stdout is not None and client.stdout.readline().strip() == "connected"
        deadline = time.monotonic() + 120
        while sum(kind == "worker" for kind in kinds(way, pids, client.pid).values()) < processes:
            if time.monotonic() > deadline:
                raise SystemExit(f"{way}: the workers did not start")
            time.sleep(1)
        time.sleep(settle)
        found = kinds(way, pids, client.pid)
        before, started_at = cpu(found), time.monotonic()
        time.sleep(window)
        after, elapsed = cpu(found), time.monotonic() - started_at
    per_kind: dict[str, float] = defaultdict(float)
    for pid, kind in found.items():
        per_kind[kind] += (after[pid] - before[pid]) / elapsed * 1000
    per_kind["all"] = sum(per_kind.values())
    return dict(per_kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60, help="seconds measured, with no task")
    parser.add_argument("--settle", type=float, default=10, help="seconds waited once every worker is up")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS), help="only these (repeatable)")
    args = parser.parse_args()

    processes = os.cpu_count() or 1
    print(f"CPU ms per second of an idle cluster ({processes} workers, 1 thread each), over {args.window:.0f} s:")
    for name in args.variant or list(VARIANTS):
        env, nanny = VARIANTS[name]
        for way in ("LocalCluster", "command line") if nanny else ("command line",):  # a LocalCluster's are threads
            figures = measure(way, processes, env, nanny, args.settle, args.window)
            parts = ", ".join(f"{kind} {ms:.1f}" for kind, ms in sorted(figures.items()) if kind != "all")
            print(f"  {name}, {way}: {figures['all']:.1f} ms/s ({parts})", flush=True)


if __name__ == "__main__":
    main()
