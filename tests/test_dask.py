"""PDFs laid out on a Dask cluster (scorecards/build/cluster.py), against real schedulers and workers on 127.0.0.1:
a LocalCluster, and `dask scheduler` / `dask worker` processes started from the command line."""

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from pypdf import PdfReader

from scorecards.build import cluster as dask_cluster
from scorecards.build.pipeline import build
from scorecards.errors import BuildError, SettingsError
from scorecards.render import pdf
from scorecards.settings import Settings

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

DASK = Path(sys.executable).parent / "dask"
EXAMPLES = sorted(path.stem for path in (REPO / "inputs").glob("*.yaml"))


def project(root, companies=EXAMPLES):
    """A copy of the examples (or some of them), their filings and the templates; the settings that build them into
    root/build."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "inputs" / "sec", root / "inputs" / "sec")  # Alphabet's 10-K
    for slug in companies:
        shutil.copy(REPO / "inputs" / f"{slug}.yaml", root / "inputs")
    return Settings(inputs=root / "inputs", build=root / "build", templates=root / "templates")


def pdfs(folder):
    """Every PDF, as bytes: those laid out (by the pool or the cluster) and the book put together here from them."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*.pdf"))}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The examples built on this machine's pool: what every cluster build must equal, byte for byte."""
    settings = project(tmp_path_factory.mktemp("local"))
    report = build(settings, jobs=2)
    assert report.ok and sorted(report.built) == EXAMPLES
    return pdfs(settings.build)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local_cluster:
        yield local_cluster


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as watching:
        yield watching


class OnFirstResult:
    """A build's progress that does something when the first job is done, while the others are still running."""

    def __init__(self, action):
        self.action, self.done = action, 0

    def start(self, total):
        self.total = total

    def advance(self, name):
        self.done += 1
        if self.done == 1:
            self.action()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def command_line_cluster(tmp_path):
    """`dask scheduler` and `dask worker` processes, as on a real cluster; returns (address, start_worker)."""
    address = f"tcp://127.0.0.1:{free_port()}"
    started = []

    def start(*command):
        log = open(tmp_path / f"dask-{len(started)}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([str(DASK), *command], stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process

    scheduler = start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard")

    def worker():
        return start("worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1")

    yield address, scheduler, worker
    for process, log in reversed(started):
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for_workers(address, count):
    with distributed.Client(address, timeout=30, set_as_default=False) as watching:
        watching.wait_for_workers(count, timeout=60)


def test_pdfs_laid_out_on_a_cluster_are_those_laid_out_here_byte_for_byte(tmp_path, local, cluster, client):
    settings = project(tmp_path)
    report = build(settings, scheduler=cluster.scheduler_address)
    assert report.ok and sorted(report.built) == EXAMPLES
    assert pdfs(settings.build) == local  # every company's, the season summary and the book
    assert sorted(local) == sorted([f"{slug}.pdf" for slug in EXAMPLES] + ["season-book.pdf", "season.pdf"])
    prepared = client.run(lambda: dask_cluster._prepared.get("setup"))
    assert len(prepared) == 2 and all(prepared.values())  # both workers laid out pages


def test_a_build_with_nothing_to_lay_out_does_not_reach_the_cluster(tmp_path, cluster):
    settings = project(tmp_path, ["sony"])
    assert build(settings, scheduler=cluster.scheduler_address).built == ["sony"]
    nobody = f"tcp://127.0.0.1:{free_port()}"  # no scheduler there: reaching it would fail the build
    report = build(settings, scheduler=nobody)
    assert report.ok and report.built == [] and report.fresh == ["sony"]


def test_the_settings_choose_the_cluster(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT", 1)
    nobody = f"tcp://127.0.0.1:{free_port()}"
    settings = project(tmp_path, ["sony"]).model_copy(update={"executor": "dask", "scheduler": nobody})
    with pytest.raises(BuildError, match=f"^cannot reach the Dask scheduler at {nobody}: "):
        build(settings)
    assert build(settings.model_copy(update={"executor": "local"})).ok  # the address alone changes nothing
    with pytest.raises(SettingsError, match=r'^defaults: executor: "dask" needs the scheduler\'s address'):
        build(settings.model_copy(update={"scheduler": None}))


def test_a_worker_killed_mid_build_does_not_change_the_result(tmp_path, local, command_line_cluster):
    address, _, start_worker = command_line_cluster
    start_worker(), start_worker()
    wait_for_workers(address, 2)
    killed = []

    def kill_a_busy_worker():
        with distributed.Client(address, set_as_default=False) as watching:
            busy = [worker for worker, tasks in watching.processing().items() if tasks]
            assert busy, "no worker had a job to lose"
            pid = watching.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.kill(pid, signal.SIGKILL)  # the worker process itself, mid-job (its nanny starts another)
        killed.append(pid)

    settings = project(tmp_path)
    report = build(settings, scheduler=address, progress=OnFirstResult(kill_a_busy_worker))
    assert killed
    assert report.ok and sorted(report.built) == EXAMPLES
    assert pdfs(settings.build) == local


def test_losing_the_scheduler_stops_the_build_with_a_message_and_no_partial_file(tmp_path, command_line_cluster):
    address, scheduler, start_worker = command_line_cluster
    start_worker()
    wait_for_workers(address, 1)
    settings = project(tmp_path, ["amazon", "bloom-energy", "sony"])
    with pytest.raises(BuildError) as stopped:
        build(settings, scheduler=address, progress=OnFirstResult(scheduler.kill))
    assert str(stopped.value) == (
        f"lost the connection to the Dask scheduler at {address}: the build stopped (every file written is whole; "
        "run it again)"
    )
    assert not list(settings.build.rglob("*.tmp"))
    written = list(settings.build.glob("*.pdf"))
    assert written  # the first result was written before the scheduler went
    for path in written:
        assert len(PdfReader(path).pages) >= 1
    assert not (settings.build / ".records.json").exists()  # nothing counts as built: the next build makes it all


def test_a_company_whose_input_is_bad_gets_its_located_error_as_here(tmp_path, cluster, caplog):
    said = {}
    for where in ("here", "cluster"):
        settings = project(tmp_path / where, ["amazon", "sony"])
        amazon = settings.inputs / "amazon.yaml"
        amazon.write_text(amazon.read_text().replace("currency: USD", "currency: DOLLARS", 1))
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="scorecards"):
            report = build(settings, jobs=2, scheduler=cluster.scheduler_address if where == "cluster" else None)
        said[where] = (report.failed, [r.getMessage().replace(str(tmp_path / where), "") for r in caplog.records])
    assert said["cluster"] == said["here"]
    failed, errors = said["here"]
    assert "amazon" in failed
    assert any(line.startswith("/inputs/amazon.yaml:") and "currency" in line for line in errors), errors


def test_a_job_that_fails_on_a_worker_reports_what_it_does_here(tmp_path, cluster):
    roots, base_url = [tmp_path / "assets"], (tmp_path / "assets").as_uri() + "/"
    job = pdf.PdfJob("amazon", "<p>x</p>", tmp_path / "amazon.pdf", variant="pdf/none-such")
    pdf.init_worker(roots, base_url)
    here = pdf.render_pdf(job)
    workers = dask_cluster.ClusterWorkers(roots, base_url, cluster.scheduler_address)
    try:
        workers.submit(pdf.render_pdf, job)
        there = list(workers.finished())
    finally:
        workers.close()
    assert there == [here]
    assert here.error.startswith(f"{tmp_path / 'amazon.pdf'}: PDF rendering failed: ")


def fonts_of(folder):
    """On a worker: have fontconfig find only the fonts in ``folder`` (None: the system's), as a worker built
    from another image would."""
    if folder is None:
        os.environ.pop("FONTCONFIG_FILE", None)
    else:
        config = Path(folder) / "fonts.conf"
        config.write_text(f"<fontconfig><dir>{folder}</dir><cachedir>{folder}/cache</cachedir></fontconfig>")
        os.environ["FONTCONFIG_FILE"] = str(config)
    dask_cluster._facts_here.cache_clear()
    dask_cluster._prepared.clear()


def test_a_cluster_that_would_lay_out_pages_differently_is_refused(tmp_path, cluster, client):
    odd = sorted(client.scheduler_info()["workers"])[0]
    client.run(fonts_of, str(tmp_path), workers=[odd])
    try:
        settings = project(tmp_path / "project", ["sony"])
        with pytest.raises(BuildError) as refused:
            build(settings, scheduler=cluster.scheduler_address)
    finally:
        client.run(fonts_of, None, workers=[odd])
    here = dask_cluster.render_facts()["fonts"]
    assert str(refused.value) == (
        f"refused the Dask cluster at {cluster.scheduler_address}: worker {odd} would lay out pages differently: "
        f"fonts {dask_cluster._fonts_digest([])} there, {here} here (give every worker the same image "
        "(docs/cluster.md))"
    )
    assert not list(settings.build.glob("*.pdf"))


def test_a_worker_that_changed_after_the_check_refuses_its_first_job(tmp_path, cluster, client):
    """A worker that joins after the check is checked by its first job."""
    roots, base_url = [tmp_path / "assets"], (tmp_path / "assets").as_uri() + "/"
    workers = dask_cluster.ClusterWorkers(roots, base_url, cluster.scheduler_address)
    try:
        workers._connected()
        client.run(fonts_of, str(tmp_path))  # every worker, after the check
        workers.submit(pdf.render_pdf, pdf.PdfJob("amazon", "<p>x</p>", tmp_path / "amazon.pdf"))
        with pytest.raises(BuildError, match=r"^refused the Dask cluster at .*: worker .* would lay out pages differ"):
            list(workers.finished())
    finally:
        workers.close()
        client.run(fonts_of, None)


def test_the_assets_are_read_on_the_workers_from_the_copy_they_were_given(tmp_path, cluster):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "mark.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='20'><rect width='20' height='20'/></svg>"
    )
    html = '<p>x</p><img src="mark.svg">'
    job = pdf.PdfJob("mark", html, tmp_path / "mark.pdf")
    pdf.init_worker([assets], assets.as_uri() + "/")
    here = pdf.render_pdf(job)
    without = pdf.render_pdf(pdf.PdfJob("mark", "<p>x</p>", tmp_path / "mark.pdf"))
    workers = dask_cluster.ClusterWorkers([assets], assets.as_uri() + "/", cluster.scheduler_address)
    try:
        workers.submit(pdf.render_pdf, job)
        (assets / "mark.svg").unlink()  # the workers have their copy
        (there,) = list(workers.finished())
    finally:
        workers.close()
    assert there == here and here.files != without.files


def test_an_interrupt_cancels_the_clusters_jobs(tmp_path, cluster, client, monkeypatch):
    from scorecards.build import pipeline

    def interrupt():
        raise KeyboardInterrupt

    kept = []  # the build's workers held on to: their jobs must be cancelled, not merely let go of
    monkeypatch.setattr(
        pipeline, "_workers", lambda *args, made=pipeline._workers: kept.append(made(*args)) or kept[-1]
    )

    with pytest.raises(KeyboardInterrupt):
        build(project(tmp_path, EXAMPLES[:5]), scheduler=cluster.scheduler_address, progress=OnFirstResult(interrupt))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = client.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks])
        if not [key for key in left if key.startswith("pdf-")]:
            break
        time.sleep(0.1)
    assert not [key for key in left if key.startswith("pdf-")]


def test_an_unreachable_scheduler_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT", 1)
    nobody = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(BuildError, match=rf"^cannot reach the Dask scheduler at {nobody}: [^\n]+$"):
        build(project(tmp_path, ["sony"]), scheduler=nobody)


def test_without_a_scheduler_nothing_imports_dask(tmp_path):
    project(tmp_path, ["sony"])
    script = (
        "import sys\nfrom scorecards.cli import main\nfrom scorecards.build.pipeline import build\n"
        "from scorecards.settings import Settings\nassert build(Settings(), formats=('html',)).ok\n"
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_a_worker_running_several_threads_is_refused(tmp_path):
    """WeasyPrint lays out one page at a time in a process: a worker process with two threads would run two."""
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as threaded:
        (worker,) = threaded.scheduler_info["workers"]
        settings = project(tmp_path, ["sony"])
        with pytest.raises(BuildError) as refused:
            build(settings, scheduler=threaded.scheduler_address)
    assert str(refused.value) == (
        f"refused the Dask cluster at {threaded.scheduler_address}: worker {worker} runs 2 threads (start workers "
        "with --nthreads 1: WeasyPrint lays out one page at a time per process; add --nworkers)"
    )
    assert not list(settings.build.glob("*.pdf"))


def test_a_scheduler_without_workers_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_cluster, "WORKERS_TIMEOUT", 1)
    with distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as empty:
        settings = project(tmp_path, ["sony"])
        with pytest.raises(BuildError) as refused:
            build(settings, scheduler=empty.scheduler_address)
    assert str(refused.value) == f"the Dask scheduler at {empty.scheduler_address} has no workers (none joined in 1 s)"
    assert not list(settings.build.glob("*.pdf"))
