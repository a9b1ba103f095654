"""The build server (scorecards/server.py), started as a user's builds start it: `python -m scorecards build` in a
project folder. Each test's servers are stopped at its end."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import REPO

COMPANIES = REPO / "tests" / "inputs" / "companies"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform != "linux", reason="the build server is Linux only")]


@pytest.fixture
def project(tmp_path):
    """A project with its own copy of the code (so a test may change it) and a server that ends after a minute."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(COMPANIES, tmp_path / "inputs")
    shutil.copytree(REPO / "scorecards", tmp_path / "scorecards", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "scorecard.toml").write_text("build_server_minutes = 1\n")
    yield tmp_path
    run(tmp_path, "server", "stop")


ENV = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"} | {"SCORECARDS_SERVER": "1"}


def run(project, *args, env=None):
    return subprocess.run([sys.executable, "-m", "scorecards", *args], cwd=project, capture_output=True, text=True,
                          timeout=120, env=env or ENV)


def status(project):
    """The server builds in ``project`` use: {"pid", "builds", ...}, or None."""
    for line in run(project, "server", "status").stdout.splitlines():
        if "used by builds here" in line:
            pid = int(line.split(":")[0].split()[1])
            builds = int(line.split("; ")[1].split()[0])
            return {"pid": pid, "builds": builds}
    return None


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_next_build_runs_in_the_server_the_last_one_started(project):
    first = run(project, "build")
    assert first.returncode == 0, first.stderr
    server = wait_for(lambda: status(project))
    assert server["builds"] == 0
    company = next((project / "inputs").glob("*.yaml"))
    slug = company.stem
    edit(company, "name: ", "name: Renamed ")
    before = time.time()
    second = run(project, "build")
    assert second.returncode == 0, second.stderr
    assert "1 built" in second.stderr + second.stdout
    assert "Renamed" in (project / "build" / f"{slug}.html").read_text()
    assert (project / "build" / f"{slug}.pdf").stat().st_mtime >= before
    after = status(project)
    assert after == {"pid": server["pid"], "builds": 1}  # the same server ran it


def test_a_build_in_the_server_says_and_returns_what_one_in_its_own_process_does(project):
    assert run(project, "build").returncode == 0
    wait_for(lambda: status(project))
    company = next((project / "inputs").glob("*.yaml"))
    edit(company, "revenue:", "revenue: [")  # broken YAML
    shutil.copytree(project / "build", project / "before", symlinks=True)
    served = run(project, "build")
    shutil.rmtree(project / "build")
    (project / "before").rename(project / "build")  # the same build again, in its own process
    alone = run(project, "build", env=ENV | {"SCORECARDS_SERVER": "0"})
    assert status(project)["builds"] == 1  # the first broken build ran in the server, the second did not
    assert served.returncode == alone.returncode == 1
    assert f"inputs/{company.name}:" in served.stderr
    assert served.stderr == alone.stderr
    assert served.stdout == alone.stdout


def test_changed_code_is_never_built_by_a_server_for_the_old_code(project):
    assert run(project, "build").returncode == 0
    old = wait_for(lambda: status(project))
    module = project / "scorecards" / "metrics.py"
    module.write_text(module.read_text() + "\n# changed\n")
    assert status(project) is None  # builds here would not use the old server
    assert run(project, "build").returncode == 0  # in its own process, starting a server for the new code
    wait_for(lambda: not alive(old["pid"]), 10)  # the old server saw its code change and ended
    new = wait_for(lambda: status(project))
    assert new["pid"] != old["pid"] and new["builds"] == 0


def test_a_server_ends_after_its_idle_minutes(project):
    (project / "scorecard.toml").write_text("build_server_minutes = 0.03\n")  # 1.8 s
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    wait_for(lambda: not alive(server["pid"]), 15)


def test_no_server_with_minutes_zero_and_the_running_one_ends(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    (project / "scorecard.toml").write_text("build_server_minutes = 0\n")
    assert run(project, "build").returncode == 0  # runs in the server, which then ends
    wait_for(lambda: not alive(server["pid"]), 15)
    assert run(project, "build", "--force").returncode == 0
    time.sleep(3)
    assert status(project) is None  # and none was started


def test_stop_ends_the_server_and_its_fork_server(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    children = [int(p) for p in open(f"/proc/{server['pid']}/task/{server['pid']}/children").read().split()]
    assert children  # the workers' fork server, multiprocessing's resource tracker
    stopped = run(project, "server", "stop")
    assert stopped.stdout.strip() == "stopped 1 build server"
    for pid in [server["pid"], *children]:
        wait_for(lambda: not alive(pid), 15)


def test_with_the_switch_off_no_server_starts(project):
    off = ENV | {"SCORECARDS_SERVER": "0"}
    assert run(project, "build", env=off).returncode == 0
    time.sleep(3)
    assert status(project) is None


def test_the_key_leaves_out_what_make_sets_for_each_run_and_nothing_else(monkeypatch):
    from scorecards import server

    monkeypatch.delenv("MAKEFLAGS", raising=False)
    monkeypatch.delenv("JOBS", raising=False)
    plain = server.key()
    monkeypatch.setenv("MAKEFLAGS", " --jobserver-auth=fifo:/tmp/GMfifo1 -- VENV=.venv JOBS=2")
    monkeypatch.setenv("JOBS", "2")  # make exports the variables given on its command line
    assert server.key() == plain
    monkeypatch.setenv("SCORECARD_MEMORY_TRACE", "/tmp/trace")  # read by the PDF workers: another server
    assert server.key() != plain
