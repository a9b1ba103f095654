"""PDFs laid out on a Dask cluster (``executor = "dask"``, or ``scorecard build --scheduler tcp://host:8786``).

``ClusterWorkers`` takes the place of the local pool: each PDF job (``render_pdf``) goes to the scheduler as it is
handed in, and its result comes back as it finishes; the build's one writer, here, writes every file. The other jobs
(the data files, the book's contents page) stay on this machine. On the first job it connects, and refuses a
cluster whose workers would lay out a page differently (``render_facts``): a PDF made there is byte for byte the one
made here. A worker that dies mid-job has its job run again by another (the scheduler's ``allowed-failures``); a
lost scheduler stops the build (``BuildError``); closing, after an interrupt too, cancels what is still queued.

Dask is imported only here, and only once a job is sent: without the ``dask`` extra nothing else needs it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sys
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorecards.build.fingerprints import code_digest
from scorecards.errors import BuildError
from scorecards.render.pdf import Done, PdfJob, Workers, harfbuzz_subset_available, init_worker, render_pdf

if TYPE_CHECKING:
    from distributed import Client, Future

CONNECT_TIMEOUT = 10  # seconds to reach the scheduler
WORKERS_TIMEOUT = 30  # seconds to wait for a first worker on a scheduler that has none
RETRIES = 1  # a job whose task raised (not a render error: that is a Done) is run once more, maybe elsewhere
QUIET = ("distributed", "tornado", "asyncio")  # loggers that would print tracebacks of a lost connection

INSTALL = "give every worker the same image (docs/cluster.md)"


class Unlike(Exception):  # noqa: N818 - raised on a worker, read on the client: a plain name reads better
    """A worker that would lay out a page differently from this machine."""


@dataclass(frozen=True)
class Setup:
    """What every worker is given once: this machine's facts to check against, the base URL of the
    pages, and the templates' asset files (root index, path inside it -> bytes)."""

    facts: tuple[tuple[str, str], ...]
    base_url: str
    roots: tuple[str, ...]  # the asset folders' URLs here
    assets: tuple[tuple[int, str, bytes], ...]

    @functools.cached_property
    def key(self) -> str:
        digest = hashlib.sha256(repr((self.facts, self.base_url, self.roots)).encode())
        for index, name, data in self.assets:
            digest.update(f"{index}\0{name}\0".encode() + hashlib.sha256(data).digest())
        return digest.hexdigest()


def render_facts() -> dict[str, str]:
    """What decides a PDF's bytes besides its job, in this process: the versions of WeasyPrint, pydyf (which
    writes the file), Pango, fontTools and zlib, whether HarfBuzz subsets the fonts, the fonts fontconfig finds,
    and the project's code."""
    from weasyprint.text.ffi import pango

    version = pango.pango_version()
    return {
        "WeasyPrint": metadata.version("weasyprint"),
        "pydyf": metadata.version("pydyf"),
        "fontTools": metadata.version("fonttools"),
        "Pango": f"{version // 10000}.{version // 100 % 100}.{version % 100}",
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
        "HarfBuzz subsetting": "yes" if harfbuzz_subset_available() else "no",
        "fonts": _fonts(),
        "code": code_digest()[:16],
    }


def _fonts() -> str:
    """The fonts fontconfig finds (family, style, file name and size)."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    try:
        fonts = fontconfig.FcConfigGetFonts(config, 0)  # FcSetSystem
        value = ffi.new("FcChar8 **")
        found = []
        for i in range(fonts.nfont if fonts != ffi.NULL else 0):
            parts = []
            for key in (b"family", b"style", b"file"):
                ok = fontconfig.FcPatternGetString(fonts.fonts[i], key, 0, value) == 0
                parts.append(ffi.string(value[0]).decode("utf-8", "replace") if ok else "")
            file = Path(parts[2])
            size = file.stat().st_size if file.is_file() else -1
            found.append(f"{parts[0]}\0{parts[1]}\0{file.name}\0{size}")
    finally:
        fontconfig.FcConfigDestroy(config)
    return _fonts_digest(found)


def _fonts_digest(found: list[str]) -> str:
    """How many fonts, and a digest of their list."""
    return f"{len(found)} ({hashlib.sha256(chr(10).join(sorted(found)).encode()).hexdigest()[:12]})"


def unlike(here: dict[str, str], there: dict[str, str]) -> str | None:
    """What differs between two sets of facts, said in words; None when nothing does.

    >>> unlike({"WeasyPrint": "70.0", "zlib": "1.3"}, {"WeasyPrint": "69.0", "zlib": "1.3"})
    'WeasyPrint 69.0 there, 70.0 here'
    >>> unlike({"code": "ab"}, {"code": "ab"}) is None
    True
    """
    differ = [
        f"{key} {there.get(key, 'missing')} there, {value} here"
        for key, value in here.items()
        if there.get(key) != value
    ]
    return "; ".join(differ) or None


_prepared: dict[str, str] = {}  # "setup": the key of the setup this worker process is prepared for


def render_on_worker(job: PdfJob, setup: Setup) -> Done:
    """A PDF job, on a worker: checked alike (once per process and setup), the assets in place, then laid out
    (``render_pdf`` holds the cycle collector off meanwhile, which matters more in a worker's big process: Dask's
    own state, and the records its statistical profiler keeps of every task's stacks)."""
    if _prepared.get("setup") != setup.key:
        _prepare(setup)
    return render_pdf(job)


def _prepare(setup: Setup) -> None:
    from distributed import get_worker

    worker = get_worker()
    facts = _facts_here()
    differ = unlike(dict(setup.facts), facts)
    if differ:
        raise Unlike(f"worker {worker.address} would lay out pages differently: {differ}")
    folder = Path(worker.local_directory) / f"scorecards-assets-{setup.key[:16]}"
    for index, name, data in setup.assets:
        path = folder / str(index) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    roots = [folder / str(index) for index in range(len(setup.roots))]
    for root in roots:
        root.mkdir(parents=True, exist_ok=True)
    init_worker(roots, setup.base_url, {url: root.as_uri() + "/" for url, root in zip(setup.roots, roots, strict=True)})
    _prepared["setup"] = setup.key


def _given(setup: Setup) -> Setup:
    return setup


@functools.lru_cache(maxsize=1)
def _facts_here() -> dict[str, str]:
    return render_facts()


class ClusterWorkers(Workers):
    """The PDF jobs go to the Dask scheduler at ``address``; the other jobs run here (as with one local worker,
    except the data files, still made in a process forked for them)."""

    def __init__(self, roots: list[Path], base_url: str, address: str):
        super().__init__(roots, base_url, workers=1)
        self.address = address
        self.client: Client | None = None
        self.setup: Future[Setup] | None = None
        self.remote: dict[str, tuple[Future[Done], PdfJob]] = {}  # task key -> its future and job
        self.quieted: dict[str, int] = {}

    def submit(self, function: Callable[..., Done], *args: Any) -> None:
        if function is not render_pdf:
            return super().submit(function, *args)
        self._send(args[0], priority=0)
        return None

    def submit_alone(self, function: Callable[..., Done], *args: Any) -> None:
        """The season summary: on the cluster too, sent ahead of the queue (it is the longest job)."""
        if function is not render_pdf:
            return super().submit_alone(function, *args)
        self._send(args[0], priority=1)
        return None

    def submit_forked(self, name: str, function: Callable[..., Done], *args: Any) -> None:
        if sys.platform != "linux":
            return super().submit_forked(name, function, *args)
        return self._fork(name, function, *args)

    def _send(self, job: PdfJob, priority: int) -> None:
        client, setup = self._connected()
        key = f"pdf-{job.name}-{uuid.uuid4().hex}"
        future = client.submit(render_on_worker, job, setup, key=key, pure=False, retries=RETRIES, priority=priority)
        self.remote[key] = (future, job)

    def _connected(self) -> tuple[Client, Future[Setup]]:
        """The client, connected on the first job (a build with nothing to lay out never reaches the cluster), once
        every worker is seen to lay out pages as this machine does."""
        if self.client is not None and self.setup is not None:
            return self.client, self.setup
        from distributed import Client

        for name in QUIET:  # the build reports a lost scheduler itself, in one line
            self.quieted.setdefault(name, logging.getLogger(name).level)
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: not an address
            raise BuildError(f"cannot reach the Dask scheduler at {self.address}: {_said(exc)}") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise BuildError(
                f"the Dask scheduler at {self.address} has no workers (none joined in {WORKERS_TIMEOUT} s)"
            ) from None
        here = _facts_here()
        self._check(self.client, here)
        # a task that hands it back rather than scattered data: should every worker holding it die, it is made again
        key = f"scorecards-setup-{uuid.uuid4().hex}"
        self.setup = self.client.submit(_given, self._setup(here), key=key, pure=False)
        return self.client, self.setup

    def _check(self, client: Client, here: dict[str, str]) -> None:
        """Refuse a cluster that would lay out pages differently, or runs several jobs in one worker process."""
        for address, threads in sorted(client.nthreads().items()):
            if threads != 1:
                raise BuildError(
                    f"refused the Dask cluster at {self.address}: worker {address} runs {threads} threads (start "
                    "workers with --nthreads 1: WeasyPrint lays out one page at a time per process; add --nworkers)"
                )
        for address, there in sorted(client.run(_facts_here, on_error="return").items()):
            if isinstance(there, BaseException):  # the project, WeasyPrint or Pango missing there
                raise BuildError(
                    f"refused the Dask cluster at {self.address}: worker {address} cannot lay out pages: "
                    f"{type(there).__name__}: {_said(there)} ({INSTALL})"
                )
            differ = unlike(here, there)
            if differ:
                raise BuildError(
                    f"refused the Dask cluster at {self.address}: worker {address} would lay out pages differently: "
                    f"{differ} ({INSTALL})"
                )

    def _setup(self, here: dict[str, str]) -> Setup:
        assets = []
        for index, root in enumerate(self.roots):
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    if path.is_file():
                        assets.append((index, path.relative_to(root).as_posix(), path.read_bytes()))
        roots = tuple(root.resolve().as_uri() + "/" for root in self.roots)
        return Setup(tuple(here.items()), self.base_url, roots, tuple(assets))

    def finished(self) -> Iterator[Done]:
        """The cluster's results as they finish, then this machine's."""
        if self.remote:
            from distributed import as_completed

            futures = [future for future, _ in self.remote.values()]
            for future in as_completed(futures, loop=self.client.loop if self.client else None):
                _, job = self.remote.pop(future.key)
                yield self._result(future, job)
        yield from super().finished()

    def _result(self, future: Future[Done], job: PdfJob) -> Done:
        if future.status == "finished":
            done: Done = future.result()
            return done
        if future.status == "cancelled" or (self.client is not None and self.client.status != "running"):
            raise BuildError(
                f"lost the connection to the Dask scheduler at {self.address}: the build stopped (every file written "
                "is whole; run it again)"
            )
        error = future.exception()
        if type(error).__name__ == "KilledWorker":
            return Done(job.name, {}, f"{job.target}: PDF rendering failed: every worker that took it died")
        if isinstance(error, Unlike):
            raise BuildError(f"refused the Dask cluster at {self.address}: {error} ({INSTALL})")
        return Done(job.name, {}, f"{job.target}: PDF rendering failed on the cluster: {type(error).__name__}: {error}")

    def close(self) -> None:
        """Cancel what the cluster still has of this build (after an interrupt, or a stop), then disconnect."""
        try:
            if self.client is not None:
                if self.remote:
                    self.client.cancel([future for future, _ in self.remote.values()], force=True)
                    self.remote = {}
                self.client.close(timeout=CONNECT_TIMEOUT)
                self.client = None
        finally:
            for name, level in self.quieted.items():
                logging.getLogger(name).setLevel(level)
            self.quieted = {}
            super().close()


def _said(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
