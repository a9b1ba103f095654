"""The build server (scorecards/server.py), started as a user's builds start it: `python -m scorecards build` in a
project folder. Each test's servers are stopped at its end."""
import os
import select
import shutil
import signal
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


def in_project(project, server):
    """Processes working in ``project`` (a build, its PDF workers and its data-file process all do), except the
    server and its helpers (started by a build here, they work here too)."""
    others = {server, *helpers(server)}
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in others:
            try:
                if os.readlink(f"/proc/{entry}/cwd") == str(project) and alive(int(entry)):
                    found.append(int(entry))
            except OSError:
                continue
    return found


def helpers(server, known={}):  # noqa: B006 - remembered: a killed server's helpers outlive it a while
    """The server's fork server and multiprocessing's resource tracker."""
    for child in children_of(server):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                if b"from multiprocessing" in cmdline.read():
                    known.setdefault(server, set()).add(child)
        except OSError:
            continue
    return known.get(server, set())


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def test_a_terminated_build_ends_with_its_workers_and_the_server_still_stops(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    children = helpers(server["pid"])
    command = subprocess.Popen([sys.executable, "-m", "scorecards", "build", "--force"], cwd=project, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: len(in_project(project, server["pid"])) >= 3, 20)  # the build and its PDF workers are at work
    command.terminate()  # as `timeout` or a closing terminal would
    assert command.wait(20) == -signal.SIGTERM  # ended by the signal, as a build in its own process is
    wait_for(lambda: in_project(project, server["pid"]) == [], 15)  # the build's process group went with it
    assert run(project, "server", "stop").returncode == 0
    for pid in [server["pid"], *children]:
        wait_for(lambda: not alive(pid), 15)


def test_signals_the_command_ignores_are_ignored_by_the_build(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    command = subprocess.Popen([sys.executable, "-m", "scorecards", "build", "--force"], cwd=project, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))  # as nohup does
    wait_for(lambda: len(in_project(project, server["pid"])) >= 3, 20)
    os.killpg(command.pid, signal.SIGHUP)  # the terminal closed
    assert command.wait(60) == 0
    assert status(project)["builds"] == 1


def test_the_server_survives_a_command_killed_before_its_build_started(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    os.kill(server["pid"], signal.SIGSTOP)
    try:
        command = subprocess.Popen([sys.executable, "-m", "scorecards", "build", "--force"], cwd=project, env=ENV,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1)  # connected, its request sent, waiting for the server to answer
        command.kill()
        command.wait()
    finally:
        os.kill(server["pid"], signal.SIGCONT)
    wait_for(lambda: in_project(project, server["pid"]) == [], 20)  # the build it started was interrupted
    assert status(project) == {"pid": server["pid"], "builds": 1}


def test_a_command_killed_outright_takes_its_build_with_it_even_ignoring_ctrl_c(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    command = subprocess.Popen([sys.executable, "-m", "scorecards", "build", "--force"], cwd=project, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # as & in a script
    wait_for(lambda: len(in_project(project, server["pid"])) >= 3, 20)  # its workers just started
    killed = time.time()
    command.kill()
    command.wait()
    wait_for(lambda: in_project(project, server["pid"]) == [], 10)
    assert (project / "build" / "season.pdf").stat().st_mtime < killed  # the build did not go on to its end
    assert status(project) == {"pid": server["pid"], "builds": 1}


def test_workers_do_not_ignore_what_the_build_that_started_the_server_ignored(project):
    ignoring = subprocess.run([sys.executable, "-m", "scorecards", "build"], cwd=project, env=ENV,
                              capture_output=True, preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    assert ignoring.returncode == 0  # under nohup: the server it starts must not pass that on to later builds
    server = wait_for(lambda: status(project))
    command = subprocess.Popen([sys.executable, "-m", "scorecards", "build", "--force"], cwd=project, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(lambda: len(in_project(project, server["pid"])) >= 3, 20)
    os.killpg(command.pid, signal.SIGHUP)
    assert command.wait(20) == -signal.SIGHUP
    wait_for(lambda: in_project(project, server["pid"]) == [], 10)


def test_a_build_whose_server_is_killed_stops_too(project):
    assert run(project, "build").returncode == 0
    server = wait_for(lambda: status(project))
    command = subprocess.Popen([sys.executable, "-m", "scorecards", "build", "--force"], cwd=project, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(in_project(project, server["pid"])) >= 3, 20)
    os.kill(server["pid"], signal.SIGKILL)
    _, stderr = command.communicate(timeout=20)
    assert command.returncode == 1
    assert "the build server stopped during the build; the build was stopped" in stderr
    wait_for(lambda: in_project(project, server["pid"]) == [], 15)  # nothing goes on writing build/ after the command ended


def test_another_users_socket_gets_nothing(project):
    """Abstract socket names are open to every user: one may take the name of a server that has ended. The build
    must not hand it its descriptors and environment, nor take its word for the result."""
    if os.getuid() != 0:
        pytest.skip("needs root to listen as another user")
    import socket

    from scorecards import server

    as_the_build = "import os, sys; sys.path[0] = os.getcwd(); from scorecards import server; print(server.key())"
    name = subprocess.run([sys.executable, "-c", as_the_build], cwd=project, env=ENV, capture_output=True, text=True,
                          check=True).stdout.strip()  # sys.path as under -m, which the key holds
    read, write = os.pipe()
    squatter = os.fork()
    if squatter == 0:  # as user nobody, listening under the name the build will ask for
        try:
            os.close(read)
            os.setuid(65534)
            listener = socket.socket(socket.AF_UNIX)
            listener.bind(server.address(name))
            listener.listen()
            os.write(write, b"listening\n")
            connection, _ = listener.accept()
            connection.settimeout(5)
            data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
            os.write(write, f"received {data[:10]!r} fds {fds}\n".encode())
        finally:
            os._exit(0)
    os.close(write)
    log = os.fdopen(read)

    def line():
        assert select.select([log], [], [], 20)[0], "the squatter said nothing"
        return log.readline()

    try:
        assert line() == "listening\n"
        result = run(project, "build")
        assert result.returncode == 0 and "2 built" in result.stdout  # built here, not by the squatter
        assert line() == "received b'' fds []\n"  # it was asked (so the name was right) and given nothing
    finally:
        os.kill(squatter, signal.SIGKILL)
        os.waitpid(squatter, 0)
        log.close()


def test_the_key_holds_interpreter_flags_and_process_state():
    keyed = [sys.executable, "-c", "from scorecards import server; print(server.key())"]
    plain = subprocess.run(keyed, env=ENV, capture_output=True, text=True, check=True).stdout
    flagged = subprocess.run([keyed[0], "-W", "error", *keyed[1:]], env=ENV, capture_output=True, text=True,
                             check=True).stdout
    masked = subprocess.run(keyed, env=ENV, capture_output=True, text=True, check=True,
                            preexec_fn=lambda: os.umask(0o077)).stdout
    again = subprocess.run(keyed, env=ENV, capture_output=True, text=True, check=True).stdout
    assert plain == again
    assert len({plain, flagged, masked}) == 3


def test_usage_errors_read_as_from_the_command(project):
    assert run(project, "build").returncode == 0
    wait_for(lambda: status(project))
    served = run(project, "build", "--bogus")
    alone = run(project, "build", "--bogus", env=ENV | {"SCORECARDS_SERVER": "0"})
    assert status(project)["builds"] == 1
    assert served.returncode == alone.returncode == 2
    assert served.stderr == alone.stderr
    assert "Usage: python -m scorecards build" in served.stderr


WORKER = """
import os, sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from scorecards import pdf

def note():
    os.write(2, b"from the worker\\n")
    return os.getpgid(0)

if __name__ == "__main__":
    os.setpgid(0, 0)
    pdf._state["build"] = pdf._BuildsOwn(os.getpgid(0), ())
    os.write(2, b"before\\n")
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"), initializer=pdf.init_worker,
                               initargs=([], "file:///", pdf._state["build"]))
    group = pool.submit(note).result()
    os.write(2, b"after\\n")
    pool.shutdown()
    print(group == os.getpgid(0))
"""


def test_workers_of_a_served_build_write_to_its_stderr_and_join_its_group(tmp_path):
    log, script = tmp_path / "log", tmp_path / "worker.py"  # a file: the workers import the main module by its path
    script.write_text(WORKER)
    with open(log, "w") as stderr:
        result = subprocess.run([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env=ENV, timeout=60)
    assert result.stdout.strip() == "True", log.read_text()
    assert log.read_text().splitlines() == ["before", "from the worker", "after"]
