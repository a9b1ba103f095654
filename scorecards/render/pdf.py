"""PDF rendering with WeasyPrint, in a pool of long-lived worker processes.

Rendering a page is a pure function: its HTML, the templates' assets, fonts and settings in, PDF bytes out
(``render_pdf``). Workers hand the bytes back; the build's writer puts them on disk.

WeasyPrint is imported by the fork server the workers are forked from (or in this process when there is one
worker), so commands that render nothing never pay for it. Each worker keeps its own font configuration.
WeasyPrint may read only files inside the allowed asset folders: nothing else on disk and nothing from the network.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlparse

T = TypeVar("T")


@dataclass(frozen=True)
class PdfJob:
    name: str  # how the build names it in messages: "amazon", "zh-Hant/season"
    html: str
    target: Path  # where the writer will put it (named in error messages)
    variant: str | None = None  # "pdf/a-3u", "pdf/ua-1"
    tags: bool = True


class Done(NamedTuple):
    """What a job hands back: the files it made (path -> bytes) for the writer, or why it could not."""

    name: str
    files: dict[Path, bytes]
    error: str | None = None


@dataclass
class _Renderer:
    """This process's WeasyPrint, font configuration and fetcher (``init_worker``)."""

    weasyprint: Any
    fonts: Any
    fetcher: Any
    base_url: str


_state: dict[str, _Renderer] = {}  # "renderer" once this process has loaded WeasyPrint


def _fetcher_class() -> type[Any]:
    from weasyprint.urls import URLFetcher

    class RestrictedFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type hints
        """Allows file: URLs inside the asset folders; refuses everything else."""

        def __init__(self, roots: list[Path], moved: dict[str, str] | None = None):
            super().__init__(allowed_protocols={"file"})
            self.roots = [r.resolve() for r in roots]
            self.moved = moved or {}  # URL prefix -> where its files are in this process (a cluster's worker)

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            for prefix, there in self.moved.items():
                if url.startswith(prefix):
                    url = there + url[len(prefix) :]
                    break
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise ValueError(f"refused to fetch {url}: only bundled assets may be used")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise ValueError(f"refused to read {path}: outside the templates' assets folder")
            return super().fetch(url, headers)

    return RestrictedFetcher


def init_worker(roots: list[Path], base_url: str, moved: dict[str, str] | None = None) -> None:
    """Load WeasyPrint once per process (``moved``: URL prefixes of the assets read from elsewhere here)."""
    import logging

    if (path := os.environ.pop(_BUILD_PATH, None)) is not None:  # forked from a server started without (above)
        os.environ["PATH"] = path

    from weasyprint.text.fonts import FontConfiguration

    from scorecards.render.weasy import load_weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    _state["renderer"] = _Renderer(load_weasyprint(), FontConfiguration(), _fetcher_class()(roots, moved), base_url)


def render_pdf(job: PdfJob) -> Done:
    """Lay out one PDF: its bytes, or the error that stopped it.

    Python's cycle collector is held off while the page is laid out, and then collects only what the layout made
    (``gc.collect(0)``: with the collector off, none of it has left the youngest generation). Left on, it sweeps
    the whole process several times a page: about 60 ms a page in the pool's workers, 60 to 160 ms in a Dask
    worker, whose process is bigger (measured). What a layout leaves in cycles (~50,000 objects) is freed as the
    job ends, so a worker's memory is what it was."""
    renderer = _state["renderer"]
    collecting = gc.isenabled()
    gc.disable()
    try:
        document = renderer.weasyprint.HTML(string=job.html, base_url=renderer.base_url, url_fetcher=renderer.fetcher)
        data: bytes = document.write_pdf(
            font_config=renderer.fonts, pdf_variant=job.variant, pdf_tags=job.tags, uncompressed_pdf=False
        )
        if os.environ.get("SCORECARD_MEMORY_TRACE"):
            _trace_memory(os.environ["SCORECARD_MEMORY_TRACE"], job.name)
    except Exception as exc:  # noqa: BLE001 - a renderer failure is reported per company, never a traceback
        return Done(job.name, {}, f"{job.target}: PDF rendering failed: {type(exc).__name__}: {exc}")
    finally:
        if collecting:
            gc.enable()
            gc.collect(0)
    return Done(job.name, {job.target: data})


def _trace_memory(path: str, slug: str) -> None:
    """Append this worker's resident memory (kB) after a job: the benchmark checks it stays flat."""
    with open("/proc/self/status", encoding="ascii") as status:
        rss = next((line.split()[1] for line in status if line.startswith("VmRSS:")), "0")
    with open(path, "a", encoding="ascii") as trace:
        trace.write(f"{os.getpid()} {slug} {rss}\n")


def render_html_to_pdf(html: str, roots: list[Path], base_url: str) -> bytes:
    """One PDF rendered in this process, as bytes (the book's contents page; see ``Workers.call_async``)."""
    if "renderer" not in _state or _state["renderer"].base_url != base_url:
        init_worker(roots, base_url)
    renderer = _state["renderer"]
    document = renderer.weasyprint.HTML(string=html, base_url=base_url, url_fetcher=renderer.fetcher)
    data: bytes = document.write_pdf(font_config=renderer.fonts)
    return data


# WeasyPrint's workers grow by about 0.14 MB per document (native memory, never given back; measured with
# WeasyPrint 70): after this many jobs each, the pool's workers are replaced by fresh ones forked from the fork
# server, so that a worker's memory stays bounded however large the season.
JOBS_PER_WORKER = 150


class Workers:
    """A pool of long-lived rendering processes, started at once so their imports overlap the main process's work.

    Jobs are submitted as soon as their HTML exists; ``finished()`` hands back their results as they finish.
    With ``workers == 1`` everything runs in this process, without a pool.
    """

    def __init__(
        self, roots: list[Path], base_url: str, workers: int | None = None, jobs_per_worker: int = JOBS_PER_WORKER
    ):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.roots, self.base_url = roots, base_url
        self.jobs_per_worker = jobs_per_worker
        self.pool: ProcessPoolExecutor | None = None
        self.singles: list[ProcessPoolExecutor] = []
        self.forked: list[BaseProcess] = []  # submit_forked jobs
        self.futures: list[Future[Done]] = []
        self.done: list[Done] = []
        self.starting: _Starting | None = None
        self.retired: list[tuple[ProcessPoolExecutor, _Starting]] = []  # pools being replaced, until they have ended
        self.submitted = 0  # jobs handed to the current pool
        if self.workers > 1:
            self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        """A pool whose workers start now, from a thread (each start waits until the fork server has imported
        WeasyPrint): WeasyPrint loads while this process reads the YAML files."""
        pool = ProcessPoolExecutor(
            self.workers, mp_context=_workers_context(), initializer=init_worker, initargs=(self.roots, self.base_url)
        )
        self.starting = _Starting(pool, self.workers)
        self.submitted = 0
        return pool

    def _renew(self) -> None:
        """Fresh workers: the new pool starts, then the old one finishes its jobs (this waits) and ends."""
        assert self.pool is not None and self.starting is not None
        retired = (self.pool, self.starting)
        self.retired.append(retired)  # until it has ended: an interrupt meanwhile leaves it to close()
        self.pool = self._new_pool()
        retired[1].join()
        retired[0].shutdown(wait=True)
        self.retired.remove(retired)

    def submit_alone(self, function: Callable[..., Done], *args: Any) -> None:
        """Run a big job (the season summary) in a process of its own, so the pool's workers stay small."""
        if self.pool is None:
            return self.submit(function, *args)
        single = ProcessPoolExecutor(
            1, mp_context=_workers_context(), initializer=init_worker, initargs=(self.roots, self.base_url)
        )
        self.futures.append(single.submit(function, *args))
        self.singles.append(single)
        return None

    def submit_forked(self, name: str, function: Callable[..., Done], *args: Any) -> None:
        """Run ``function(*args)`` in a process forked now, which inherits the arguments instead of receiving
        them pickled (the season's exports take every scorecard: pickling 500 costs more than a second).
        It returns a ``Done`` like the other jobs, and runs at a lower priority (``FORKED_NICENESS``). Where fork is
        unavailable, a pool job."""
        if self.pool is None or sys.platform != "linux":
            return self.submit(function, *args)
        return self._fork(name, function, *args)

    def _fork(self, name: str, function: Callable[..., Done], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_run_forked, args=(send, name, function, args), daemon=True)
        process.start()
        send.close()
        self.forked.append(process)
        future: Future[Done] = Future()
        threading.Thread(target=_receive, args=(name, process, receive, future), daemon=True).start()
        self.futures.append(future)

    def submit(self, function: Callable[..., Done], *args: Any) -> None:
        if self.pool is None:
            if function is render_pdf and "renderer" not in _state:
                init_worker(self.roots, self.base_url)
            self.done.append(function(*args))
        else:
            self.futures.append(self._pool_submit(function, *args))

    def call_async(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """Run one job and return its future: in a pool worker, where WeasyPrint is loaded already (the book's
        contents page: this process need not import WeasyPrint, ~0.5 s), or here, at once, without a pool."""
        if self.pool is None:
            future: Future[T] = Future()
            try:
                future.set_result(function(*args))
            except Exception as exc:  # noqa: BLE001 - handed to whoever asks for the result
                future.set_exception(exc)
            return future
        return self._pool_submit(function, *args)

    def _pool_submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        assert self.pool is not None
        if self.submitted >= self.jobs_per_worker * self.workers:
            self._renew()
        self.submitted += 1
        assert self.starting is not None
        return self.starting.submit(function, *args)

    def finished(self) -> Iterator[Done]:
        """Every job's result, as the jobs finish. A job is let go only once its result is handed over: should
        the caller stop early, ``close`` ends the rest."""
        while self.done:
            yield self.done.pop(0)
        for future in as_completed(list(self.futures)):
            self.futures.remove(future)
            yield future.result()

    def close(self) -> None:
        """End every process of the pool, also after an interrupt (the old pool of a renewal among them: left
        running, its workers would keep the build from ending)."""
        for _, starting in self.retired:
            starting.join()
        if self.starting is not None:
            self.starting.join()
        for process in self.forked:  # still running only when the build stopped early
            process.terminate()
            process.join()
        self.forked = []
        for single in self.singles:
            single.shutdown(cancel_futures=True)
        self.singles = []
        for pool, _ in self.retired:
            pool.shutdown(cancel_futures=True)
        self.retired = []
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


class _Starting:
    """A pool's workers being started from a thread. Starting one waits until the fork server has imported WeasyPrint
    (~0.5 s into a build), and so would handing the pool a job: a job handed in meanwhile waits here, and the thread
    hands it on once the workers are started, so that the build goes on (it reads the other companies' kept
    scorecards while the fork server is still importing WeasyPrint)."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int):
        self.pool = pool
        self.lock = threading.Lock()
        self.waiting: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = []  # future here, job
        self.started = False
        self.thread = threading.Thread(target=self._start, args=(workers,), daemon=True)
        self.thread.start()

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        with self.lock:
            if not self.started:
                future: Future[T] = Future()
                self.waiting.append((future, function, args))
                return future
        return self.pool.submit(function, *args)

    def join(self) -> None:
        self.thread.join()

    def _start(self, workers: int) -> None:
        try:
            for _ in range(workers):
                self.pool.submit(_ready)
        except Exception:  # noqa: BLE001, S110 - a pool that cannot start fails the jobs below, which report it
            pass
        while True:
            with self.lock:
                waiting, self.waiting = self.waiting, []
                if not waiting:
                    self.started = True
                    return
            for future, function, args in waiting:
                try:
                    _pass_on(self.pool.submit(function, *args), future)
                except Exception as exc:  # noqa: BLE001 - handed to whoever asks for the result
                    future.set_exception(exc)


def _pass_on(source: Future[T], target: Future[T]) -> None:
    """``target`` ends as ``source`` does."""

    def done(finished: Future[T]) -> None:
        if finished.cancelled():
            target.cancel()
        elif (error := finished.exception()) is not None:
            target.set_exception(error)
        else:
            target.set_result(finished.result())

    source.add_done_callback(done)


# What the fork server imports for every worker: WeasyPrint, and what a worker's first PDF would import else
# (its patches, pikepdf and the font compaction, ~30 ms a worker, on the path of the season summary's PDF).
PRELOAD = ["weasyprint", "pikepdf", "scorecards.render.weasy", "scorecards.render.fonts"]


def _workers_context() -> BaseContext:
    """Where it exists, a fork server that imports WeasyPrint once (~0.4 s of CPU) and forks
    each worker from itself, so that no worker imports it again and none carries a copy of this process's memory."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


# WeasyPrint looks for each of its libraries by its Windows and macOS names before the Linux one, and for every name
# the loader misses, cffi asks ctypes.util.find_library, which runs gcc and ld where they are installed: 16 misses,
# ~50 programs, ~0.3 s of CPU at the start of every build on a machine with a compiler (measured; WeasyPrint issue
# 1125). What they could find is a library's soname, which the loader finds anyway by the Linux name tried next. So
# the fork server is started with no PATH to find them on (find_library still reads the loader's cache), and each
# worker forked from it gets the build's PATH back before its first job (``init_worker``).
_BUILD_PATH = "SCORECARD_BUILD_PATH"


def start_fork_server() -> None:
    """Start the fork server now, before the build's own imports and reading of the inputs, so that its import
    of WeasyPrint (~0.3 s) is done sooner: the first workers are ready ~0.2 s earlier after a small change.
    Only while no other thread runs a program: this process's PATH is changed while the server starts."""
    if _workers_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        path = os.environ.get("PATH")
        os.environ.update({"PATH": os.devnull, _BUILD_PATH: path if path is not None else os.defpath})
        try:
            forkserver.ensure_running()
        finally:
            del os.environ[_BUILD_PATH]
            if path is None:
                del os.environ["PATH"]
            else:
                os.environ["PATH"] = path


def _ready() -> None:
    return None


# A forked job (the season's data files) runs at a lower priority: after one file changed, the season summary's PDF is
# what the build waits for, and the data files, competing with it for the cores, made it later (0.2 s of 2.5 s at
# 500 companies on two cores, measured). In a full build the PDFs keep the cores busy, and the data files get theirs.
FORKED_NICENESS = 10


def _run_forked(send: Connection, name: str, function: Callable[..., Done], args: tuple[Any, ...]) -> None:
    os.nice(FORKED_NICENESS)
    gc.disable()  # a short job making ~10^6 objects it keeps to the end (the workbook's cells): collecting is waste
    try:
        result = function(*args)
    except BaseException as exc:  # noqa: BLE001 - reported as the job's error, never a traceback
        result = Done(name, {}, f"{type(exc).__name__}: {exc}")
    send.send(result)
    send.close()


def _receive(name: str, process: BaseProcess, receive: Connection, future: Future[Done]) -> None:
    """A forked job's result, read as soon as it is sent: the data files (~20 MB) would else wait in the pipe, and
    their process with them, until the build asks for them, after the PDFs."""
    try:
        result = receive.recv()
    except (EOFError, OSError):  # the process died without a word (killed, out of memory)
        process.join()
        result = Done(name, {}, f"{name}: the process making them stopped (exit code {process.exitcode})")
    except Exception as exc:  # noqa: BLE001 - an unreadable result is the job's error: the build must not wait on
        result = Done(name, {}, f"{name}: {type(exc).__name__}: {exc}")  # a future that nothing will ever set
    finally:
        receive.close()
    process.join()
    future.set_result(result)


def harfbuzz_subset_available() -> bool:
    """WeasyPrint subsets fonts fast with libharfbuzz-subset; without it, many times slower."""
    import ctypes.util

    return ctypes.util.find_library("harfbuzz-subset") is not None
