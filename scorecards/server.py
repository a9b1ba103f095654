"""The build server: a process that keeps the build's code imported between builds, so that ``make`` after a small
change starts warm, the way Mercurial's chg and Gradle's daemon do.

A build started from the command line (``python -m scorecards build``, which make runs) first asks for a server. When
one answers, it forks a child of itself, hands it the command's standard input, output and error, working folder,
environment, arguments and ignored signals, and the child runs the build as the command would have, with Python
started and the build's modules imported already. The child leads a process group of its own, which its PDF workers
join (they come from the server's fork server, WeasyPrint imported already, and write their errors to the command's
standard error): the command passes each signal it gets on to that group, as a terminal or ``timeout`` would have
signalled the command's own group, and Ctrl-Z suspends both. The command ends with the build's exit code. When no
server answers, the command builds in its own process and starts a server for the next build; a server ends after
``build_server_minutes`` without a build (scorecard.toml), and ``scorecards server stop`` ends it at once.

What may not come from a server started for something else: a server answers only builds whose ``key`` is its own --
the code (every module's bytes, the Python, its flags and module path, the installed packages' folders), the
environment (make's own variables aside), and the process's user, umask, resource limits, priority, CPUs and
control group -- and each side checks on the socket that the other is the same user. It holds no project data:
every build reads its inputs, templates and settings anew, in a child forked from a server that has done nothing
but import.

Linux only (abstract sockets, descriptor passing, pidfd); elsewhere, and with SCORECARDS_SERVER=0, every build runs
in its own process. This module is imported by every command-line build: only the standard library, nothing heavy.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import signal
import socket
import struct
import sys

SWITCH = "SCORECARDS_SERVER"  # "0": builds never use or start a server
NAME_PREFIX = "scorecards-build-"
# Set by make or the shell for each run, or the Makefile's own variables (make exports those given on its command
# line): none changes what a build does, so they are left out of the server's key.
_UNKEYED_ENV = frozenset({SWITCH, "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR", "MAKEOVERRIDES",
                          "_", "PWD", "OLDPWD", "SHLVL",
                          "PYTHON", "VENV", "BUILD", "INPUTS", "JOBS", "LOCALE", "BENCH_N", "BENCH_OUTPUT"})
_INT = struct.Struct("!i")
HANDSHAKE_SECONDS = 10  # a server still importing answers within about a second; one that is stuck, never
serving: int | None = None  # in a build forked from a server: the server's process id


# The signals a command passes on to its build (Ctrl-C, `timeout`, a closed terminal, Ctrl-\), and which its build and
# workers ignore where the command does
PASSED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def set_signals(ignored=()) -> None:
    """Each of ``PASSED`` ignored if in ``ignored``, else as a fresh Python process has it."""
    for signum in PASSED:
        default = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        signal.signal(signum, signal.SIG_IGN if signum in ignored else default)


def available() -> bool:
    return sys.platform == "linux" and os.environ.get(SWITCH, "") != "0"


def key() -> str:
    """What a server must share with a build to run it (see the module's docstring)."""
    digest = hashlib.sha256()
    package = os.path.dirname(os.path.abspath(__file__))
    with os.scandir(package) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith((".py", ".yaml")):
                with open(entry.path, "rb") as module:
                    digest.update(entry.name.encode() + b"\0" + module.read() + b"\0")
    parts = [package, sys.executable, sys.version, repr(sys.flags), repr(sys.warnoptions), repr(sys._xoptions),
             repr(sys.path), repr(_process_state())]
    for folder in sys.path:
        if folder.endswith("-packages") and os.path.isdir(folder):
            parts.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
    parts += sorted(f"{name}={value}" for name, value in os.environ.items() if name not in _UNKEYED_ENV)
    digest.update("\0".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def _process_state() -> tuple:
    """What a process inherits besides its environment that can change what a build does or may do."""
    import resource

    umask = os.umask(0o022)
    os.umask(umask)
    limits = tuple(resource.getrlimit(getattr(resource, name)) for name in sorted(dir(resource))
                   if name.startswith("RLIMIT_"))
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as cgroup:
            group = cgroup.read()
    except OSError:
        group = ""
    return (os.getuid(), os.getgid(), os.getgroups(), umask, limits, os.getpriority(os.PRIO_PROCESS, 0),
            sorted(os.sched_getaffinity(0)), group)


def _same_user(connection: socket.socket) -> bool:
    """Whether the process at the other end of ``connection`` runs as this user (abstract socket names are open to
    every user: one may take a name whose server has ended)."""
    _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    return uid == os.getuid()


def address(server_key: str | None = None) -> bytes:
    """The server's socket: in Linux's abstract namespace (no file to leave behind), named by its key."""
    return b"\0" + (NAME_PREFIX + (server_key or key())).encode("ascii")


# --- the command's side ---------------------------------------------------------------------------------------

def run_in_server(args: list[str]) -> int | None:
    """Run ``scorecards <args>`` (a build) in a server for this code; its exit code, or None if no server took it."""
    if not available():
        return None
    ignored = [int(s) for s in PASSED if signal.getsignal(s) == signal.SIG_IGN]
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(HANDSHAKE_SECONDS)
        client.connect(address())
        if not _same_user(client):
            raise ConnectionRefusedError("another user's socket")
        request = marshal.dumps(("build", args, os.getcwd(), dict(os.environ), ignored))
        socket.send_fds(client, [_INT.pack(len(request)) + request], [0, 1, 2])
        pid = _read_int(client)  # the build's, once forked
    except OSError:  # no server, another user's, or one that does not answer: the build runs here
        client.close()
        return None
    if pid is None:  # the server declined (its code changed since it started): the build runs here
        client.close()
        return None
    client.settimeout(None)
    with client:
        return _wait(client, pid, [s for s in PASSED if s not in ignored])


def _wait(client: socket.socket, build: int, passed: list[int]) -> int:
    """Wait for the build's exit code, passing on to its process group the signals this process gets; on Ctrl-Z,
    the build stops with this process and goes on with it."""
    def pass_on(signum, _frame):
        _signal_group(build, signum)

    def suspend(_signum, _frame):
        _signal_group(build, signal.SIGTSTP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until continued
        signal.signal(signal.SIGTSTP, suspend)
        _signal_group(build, signal.SIGCONT)

    for signum in passed:
        signal.signal(signum, pass_on)
    if signal.getsignal(signal.SIGTSTP) != signal.SIG_IGN:
        signal.signal(signal.SIGTSTP, suspend)
    status = _read_int(client)
    if status is None:  # the server was killed: so is the build, rather than go on writing after this command ends
        _signal_group(build, signal.SIGTERM)
        sys.stderr.write("error: the build server stopped during the build; the build was stopped\n")
        return 1
    if status < 0:  # the build was killed by a signal: so is this process, as it would have been
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        return 128 - status
    return status


def _signal_group(build: int, signum: int) -> None:
    try:
        os.killpg(build, signum)
    except (ProcessLookupError, PermissionError):  # ended already (its group with it)
        pass


def _read_int(connection: socket.socket) -> int | None:
    """The next number the other side sends; None if it closed the connection first."""
    try:
        return _INT.unpack(_recv_exactly(connection, _INT.size))[0]
    except EOFError:
        return None


def start(idle_minutes: float) -> None:
    """Start a server for this code in the background, for the next build (this one is done)."""
    import subprocess

    flags = subprocess._args_from_interpreter_flags()  # noqa: SLF001 - -W, -X, -O...: part of the key
    for name, value in sys._xoptions.items():  # those -X options it leaves out (warn_default_encoding...)
        option = name if value is True else f"{name}={value}"
        if option not in flags:
            flags += ["-X", option]
    subprocess.Popen([sys.executable, *flags, "-m", "scorecards.server", "serve", str(idle_minutes)],  # noqa: S603
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


def stop_parent() -> None:
    """From a build a server forked: the server is to end once its builds are done (if it is still this build's
    parent: a server that has died is not replaced by whoever adopted the build)."""
    if serving is not None and os.getppid() == serving:
        os.kill(serving, signal.SIGTERM)


def running() -> list[dict]:
    """This user's servers on this machine, for any code: each one's ``status`` (see ``_Server.status``)."""
    try:
        with open("/proc/net/unix", encoding="ascii", errors="replace") as table:
            names = {line.split()[-1][1:] for line in table if f" @{NAME_PREFIX}" in line}
    except OSError:
        return []
    found = []
    for name in sorted(names):
        try:
            found.append(ask(name[len(NAME_PREFIX):], "status"))
        except (OSError, ValueError, EOFError):  # another user's, gone, or not answering
            continue
    return found


def ask(server_key: str, kind: str) -> dict:
    """Ask the server with this key for its status ("status"), or to end once its builds are done ("stop")."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(HANDSHAKE_SECONDS)
        client.connect(address(server_key))
        if not _same_user(client):
            raise ValueError("another user's server")
        request = marshal.dumps((kind,))
        client.sendall(_INT.pack(len(request)) + request)
        size = _read_int(client)
        if size is None:
            raise EOFError("no answer")
        return marshal.loads(_recv_exactly(client, size))


# --- the server's side ----------------------------------------------------------------------------------------

class _Server:
    def __init__(self, idle_seconds: float):
        import selectors
        import time

        self.key = key()
        self.idle_seconds = idle_seconds
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(address(self.key))  # fails when a server for this key is up already
        self.listener.listen(16)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.builds: dict[int, tuple[int, socket.socket | None]] = {}  # pidfd: (pid, connection to its command)
        self.started = self.last_build = time.monotonic()
        self.count = 0
        self.stopping = False

    def serve(self) -> None:
        """Run builds until stopped, ``idle_seconds`` without a build, or out of date (its code changed)."""
        import time

        signal.signal(signal.SIGTERM, lambda _signum, _frame: self.stop())
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        while True:
            for selected, _ in self.selector.select(timeout=1.0):
                if self._still(selected):
                    selected.data(selected.fileobj)
            if self.builds:
                self.last_build = time.monotonic()
                continue
            if self.stopping or time.monotonic() - self.last_build > self.idle_seconds or not self._current():
                return

    def _still(self, selected) -> bool:
        """Whether an event's descriptor is still the one registered (an earlier event of the same round may have
        closed it, and a new one taken its number)."""
        try:
            return self.selector.get_key(selected.fileobj) is selected
        except (KeyError, ValueError):
            return False

    def _current(self) -> bool:
        try:
            return key() == self.key
        except OSError:  # the code's folder is gone
            return False

    def status(self) -> dict:
        import time

        return {"pid": os.getpid(), "key": self.key, "builds": self.count, "running": len(self.builds),
                "up_seconds": round(time.monotonic() - self.started, 1), "idle_minutes": self.idle_seconds / 60}

    def stop(self) -> None:
        """No more builds: the server ends once those it runs are done."""
        if not self.stopping:
            self.stopping = True
            self.selector.unregister(self.listener)
            self.listener.close()

    def _accept(self, listener: socket.socket) -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        if not _same_user(connection):
            connection.close()
            return
        connection.settimeout(3)  # a command sends its request as it connects; one that says nothing is dropped
        fds: list[int] = []
        try:
            head, fds, _, _ = socket.recv_fds(connection, _INT.size, 3)
            if len(head) < _INT.size:
                head += _recv_exactly(connection, _INT.size - len(head))
            request = marshal.loads(_recv_exactly(connection, _INT.unpack(head)[0]))
            if request[0] in ("status", "stop"):
                answer = marshal.dumps(self.status())
                connection.sendall(_INT.pack(len(answer)) + answer)
                if request[0] == "stop":
                    self.stop()
                raise ValueError("answered")
            kind, args, cwd, env, ignored = request
            if kind != "build" or len(fds) != 3 or not self._current():
                raise ValueError("declined")  # the command builds in its own process
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            for fd in fds:
                os.close(fd)
            connection.close()
            return
        connection.settimeout(None)
        self.count += 1
        self._fork_build(connection, fds, (args, cwd, env, ignored))

    def _fork_build(self, connection: socket.socket, fds: list[int], request: tuple) -> None:
        import selectors
        from multiprocessing import forkserver

        forkserver.ensure_running()  # the workers' fork server, started again if it ended
        pid = os.fork()
        if pid == 0:
            for pidfd, (_, other) in self.builds.items():
                os.close(pidfd)
                if other is not None:
                    other.close()
            self.selector.close()
            if not self.stopping:
                self.listener.close()
            connection.close()
            _run_build(fds, *request)  # never returns
        for fd in fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.builds[pidfd] = (pid, connection)
        self.selector.register(pidfd, selectors.EVENT_READ, self._ended)
        try:
            connection.sendall(_INT.pack(pid))
        except OSError:  # the command is gone already (killed while it waited)
            self._command_left(connection, registered=False)
            return
        self.selector.register(connection, selectors.EVENT_READ, self._command_left)

    def _ended(self, pidfd: int) -> None:
        pid, connection = self.builds.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        _signal_group(pid, signal.SIGKILL)  # whatever of the build outlived it (a worker it could not end): none
        if connection is not None:
            self.selector.unregister(connection)
            try:
                connection.sendall(_INT.pack(code))  # negative: killed by that signal
            except OSError:
                pass
            connection.close()

    def _command_left(self, connection: socket.socket, registered: bool = True) -> None:
        """The command waiting for a build went away (killed outright): so does its build, as it would have had it
        run in the command's own process."""
        if registered:
            self.selector.unregister(connection)
        for pidfd, (pid, other) in list(self.builds.items()):
            if other is connection:
                self.builds[pidfd] = (pid, None)
                _signal_group(pid, signal.SIGKILL)
        connection.close()


def _recv_exactly(connection: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = connection.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError("the other side went away")
        data += chunk
    return bytes(data)


def _run_build(fds: list[int], args: list[str], cwd: str, env: dict[str, str], ignored: list[int]) -> None:
    """In the forked child: become the command's process (its descriptors, folder, environment, ignored signals) and
    the leader of a process group (which the PDF workers join), build, exit with the build's code."""
    global serving  # noqa: PLW0603 - this process is now a build
    code = 1
    try:
        serving = os.getppid()
        os.setpgid(0, 0)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        set_signals(ignored)
        sys.stdout.reconfigure(line_buffering=sys.stdout.isatty())
        sys.argv = [sys.argv[0], *args]
        from . import pdf
        from .cli import main

        pdf.adopt_fork_server(ignored)
        main(args=args, prog_name="python -m scorecards")  # the name click gives a command run as python -m
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported like an uncaught exception, then the child ends
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _preload() -> None:
    """Everything a build imports, so that no build imports it again; the workers' fork server (WeasyPrint)."""
    import gc

    from . import book, build, charts, cli, compute, exports, pdf, render, season  # noqa: F401
    import xlsxwriter.workbook  # noqa: F401

    pdf.start_fork_server()
    gc.collect()
    gc.freeze()  # what is imported stays: children's collections never walk it (nor copy its pages)


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "serve":
        # signals as a fresh process has them, whatever the build that started the server ignored (a build run
        # with & or nohup): its fork server and, through it, every worker take them from here
        set_signals()
        try:
            server = _Server(float(argv[1]) * 60)
        except OSError:  # one is up for this code already
            return
        _preload()
        try:
            server.serve()
        finally:
            _stop_helpers()


def _stop_helpers() -> None:
    """The fork server and multiprocessing's resource tracker end with the server: each is told to (its "alive" pipe
    closed) and waited for, then killed if it has not ended within seconds (a process that still holds its pipe,
    say a worker of a build killed with SIGKILL, would keep it waiting for ever)."""
    from multiprocessing import forkserver, resource_tracker

    fork_server = forkserver._forkserver  # noqa: SLF001 - multiprocessing has no public way to end them
    tracker = resource_tracker._resource_tracker  # noqa: SLF001
    for pid, fd in ((fork_server._forkserver_pid, fork_server._forkserver_alive_fd),  # noqa: SLF001
                    (tracker._pid, tracker._fd)):  # noqa: SLF001
        if pid is not None:
            os.close(fd)
            _reap(pid)


def _reap(pid: int, seconds: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not os.waitpid(pid, os.WNOHANG)[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return
        time.sleep(0.05)


if __name__ == "__main__":  # run as scorecards.server, not as a second copy of it named __main__
    from scorecards.server import main as _main

    _main(sys.argv[1:])
