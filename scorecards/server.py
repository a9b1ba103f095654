"""The build server: a process that keeps the build's code imported between builds, so that ``make`` after a small
change starts warm, the way Mercurial's chg and Gradle's daemon do.

A build started from the command line (``scorecards build``) first asks for a server. When one answers, it forks a
child of itself, hands it the build's standard input, output and error, working folder, environment and arguments,
and the child runs the build exactly as the command would, as a fresh process does, but with Python started and the
build's modules imported already. The PDF workers come from the server's own fork server, which has WeasyPrint
imported already. The command waits, passes Ctrl-C on, and ends with the child's exit code. When no server answers,
the command builds in its own process and starts a server for the next build; a server ends after
``build_server_minutes`` without a build (scorecard.toml), and ``scorecards server stop`` ends it at once.

What may not come from a server built for other code: a server answers only builds whose code is its code (every
module's size and time, the Python, the installed packages' folder) and whose environment is its environment
(make's own variables aside), and only for the same user. It holds no project data: every build reads its inputs,
templates and settings anew, in a child forked from a server that has done nothing but import.

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
serving = False  # whether this process is a build forked from a server


def available() -> bool:
    return sys.platform == "linux" and os.environ.get(SWITCH, "") != "0"


def key() -> str:
    """What a server must share with a build to run it: the code (each module's name, size and modification time;
    the package's folder; the Python; the installed packages' folders), the user and the environment."""
    digest = hashlib.sha256()
    package = os.path.dirname(os.path.abspath(__file__))
    parts = [package, sys.executable, sys.version, str(os.getuid())]
    with os.scandir(package) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith((".py", ".yaml")):
                info = entry.stat()
                parts.append(f"{entry.name}:{info.st_size}:{info.st_mtime_ns}")
    for folder in sys.path:
        if folder.endswith("-packages") and os.path.isdir(folder):
            parts.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
    parts += sorted(f"{name}={value}" for name, value in os.environ.items() if name not in _UNKEYED_ENV)
    digest.update("\0".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def address(server_key: str | None = None) -> bytes:
    """The server's socket: in Linux's abstract namespace (no file to leave behind), named by its key."""
    return b"\0" + (NAME_PREFIX + (server_key or key())).encode("ascii")


# --- the command's side ---------------------------------------------------------------------------------------

def run_in_server(args: list[str]) -> int | None:
    """Run ``scorecards <args>`` (a build) in a server for this code; its exit code, or None if no server took it."""
    if not available():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(address())
        request = marshal.dumps(("build", args, os.getcwd(), dict(os.environ)))
        socket.send_fds(client, [_INT.pack(len(request)) + request], [0, 1, 2])
        pid = _read_int(client)
    except OSError:
        client.close()
        return None
    if pid is None:  # the server declined: its code changed since it started
        client.close()
        return None
    with client:
        return _wait(client, pid)


def _wait(client: socket.socket, pid: int) -> int:
    """Wait for the build's exit code; Ctrl-C and termination are passed on to it."""
    def pass_on(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, pass_on)
    status = _read_int(client)
    if status is None:
        sys.stderr.write("error: the build server stopped during the build\n")
        return 1
    return status


def _read_int(connection: socket.socket) -> int | None:
    data = b""
    while len(data) < _INT.size:
        chunk = connection.recv(_INT.size - len(data))
        if not chunk:
            return None
        data += chunk
    return _INT.unpack(data)[0]


def start(idle_minutes: float) -> None:
    """Start a server for this code in the background, for the next build (this one is done)."""
    import subprocess

    subprocess.Popen([sys.executable, "-m", "scorecards.server", "serve", str(idle_minutes)],  # noqa: S603
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


def stop_parent() -> None:
    """From a build a server forked: the server is to end once its builds are done."""
    os.kill(os.getppid(), signal.SIGTERM)


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
        client.settimeout(10)  # a server still importing answers once it has
        client.connect(address(server_key))
        _, uid, _ = struct.unpack("3i", client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        if uid != os.getuid():
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
        self.started = self.last = time.monotonic()
        self.count = 0
        self.stopping = False

    def serve(self) -> None:
        """Run builds until stopped, idle for ``idle_seconds``, or out of date (its code or Python changed)."""
        import time

        signal.signal(signal.SIGTERM, lambda _signum, _frame: self.stop())
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        while True:
            for selected, _ in self.selector.select(timeout=1.0):
                selected.data(selected.fileobj)
                self.last = time.monotonic()
            if self.builds:
                continue
            if self.stopping or time.monotonic() - self.last > self.idle_seconds or not self._current():
                return

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
        connection, _ = listener.accept()
        _, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        if uid != os.getuid():
            connection.close()
            return
        connection.settimeout(10)  # a command that connects and says nothing
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
            kind, args, cwd, env = request
            if kind != "build" or len(fds) != 3 or not self._current():
                raise ValueError("declined")  # the command builds in its own process
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            for fd in fds:
                os.close(fd)
            connection.close()
            return
        connection.settimeout(None)
        self.count += 1
        self._fork_build(connection, fds, args, cwd, env)

    def _fork_build(self, connection: socket.socket, fds: list[int], args, cwd, env) -> None:
        import selectors
        from multiprocessing import forkserver

        forkserver.ensure_running()  # the workers' fork server, started again if it ended
        pid = os.fork()
        if pid == 0:
            keep = set(fds)
            for pidfd, (_, other) in self.builds.items():
                os.close(pidfd)
                if other is not None:
                    other.close()
            self.selector.close()
            self.listener.close()
            connection.close()
            _run_build(fds, args, cwd, env, keep)  # never returns
        for fd in fds:
            os.close(fd)
        connection.sendall(_INT.pack(pid))
        pidfd = os.pidfd_open(pid)
        self.builds[pidfd] = (pid, connection)
        self.selector.register(pidfd, selectors.EVENT_READ, self._ended)
        self.selector.register(connection, selectors.EVENT_READ, self._command_left)

    def _ended(self, pidfd: int) -> None:
        pid, connection = self.builds.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if connection is not None:
            self.selector.unregister(connection)
            try:
                connection.sendall(_INT.pack(code if code >= 0 else 128 - code))
            except OSError:
                pass
            connection.close()

    def _command_left(self, connection: socket.socket) -> None:
        """The command waiting for a build went away (killed): the build is interrupted as Ctrl-C would."""
        self.selector.unregister(connection)
        for pidfd, (pid, other) in list(self.builds.items()):
            if other is connection:
                self.builds[pidfd] = (pid, None)
                try:
                    os.kill(pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
        connection.close()


def _recv_exactly(connection: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = connection.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError("the command went away")
        data += chunk
    return bytes(data)


def _run_build(fds: list[int], args: list[str], cwd: str, env: dict[str, str], keep: set[int]) -> None:
    """In the forked child: become the command's process (its descriptors, folder, environment), build, exit."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in keep:
            if fd > 2:
                os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.stdout.reconfigure(line_buffering=sys.stdout.isatty())
        sys.argv = [sys.argv[0], *args]
        from . import pdf
        from .cli import main

        global serving  # noqa: PLW0603 - this process is now the build
        serving = True
        pdf.adopt_fork_server()
        main(args=args, prog_name="scorecards")
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
    """The fork server and multiprocessing's resource tracker end with the server, and are waited for."""
    from multiprocessing import forkserver, resource_tracker

    forkserver._forkserver._stop()  # noqa: SLF001 - multiprocessing has no public way to end them
    resource_tracker._resource_tracker._stop()  # noqa: SLF001


if __name__ == "__main__":  # run as scorecards.server, not as a second copy of it named __main__
    from scorecards.server import main as _main

    _main(sys.argv[1:])
