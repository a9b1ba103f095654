"""Delivery benchmark: `make bench-send` (N=10,000) or `python bench/send.py --recipients N`.

In a scratch copy of the project (one company built, PDF and all), a distribution list of N recipients with
``bcc: true``, composed by `make email`; then `make send` to a local SMTP server (aiosmtpd on 127.0.0.1, in this
process, plain SMTP), timed from the command to its exit. It reports messages per second, the bytes the ledger was
sent and written, and what the earlier ledger (rewritten whole after every message) would have written for the same
list; then a second `make send`, which has nothing to send but reads the 10,000-line ledger. It writes its section
of docs/benchmarks.md (between its own markers; bench/run.py's section stays) and asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VIRTUAL_ENV") or REPO / ".venv")
START = "<!-- measured by bench/send.py: from here -->\n"
END = "<!-- measured by bench/send.py: to here -->\n"
SENDER = "research@example.com"


class Counting:
    """The server's handler: counts what it accepts."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages += len(envelope.rcpt_tos)  # type: ignore[attr-defined]
        self.bytes += len(envelope.content)  # type: ignore[attr-defined]
        return "250 2.0.0 Ok"


class Loopback(Controller):
    """Listens on a port the system picks."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def project(root: Path, recipients: int) -> None:
    """A scratch copy with one company and a list of ``recipients`` in Bcc."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "scorecards", root / "scorecards", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "inputs").mkdir()
    shutil.copy(REPO / "tests" / "inputs" / "companies" / "bloom-energy.yaml", root / "inputs")
    os.utime(root / "pyproject.toml", (0, 0))  # older than the set-up stamp: make does not reinstall
    lines = "\n".join(f"      - reader{i:05d}@example.com" for i in range(recipients))
    (root / "distribution.yaml").write_text(
        f"lists:\n  clients:\n    recipients:\n{lines}\n    tickers: [BE]\n    bcc: true\n", "utf-8"
    )


def run(root: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    """``make ARGS`` in the scratch project: its wall time and what it said (its CPU time: ``cpu()``)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    started = time.perf_counter()
    result = subprocess.run(
        ["make", f"VENV={VENV}", *args],
        cwd=root,
        env=clean | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"make {' '.join(args)} failed:\n{result.stdout[-4000:]}")
    return elapsed, result.stdout


def cpu() -> float:
    """CPU seconds of every child process that has ended so far (make, and `scorecard` under it)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fsync_ms(folder: Path, count: int = 200) -> float:
    """What one appended line and its fsync cost on this disk, alone."""
    path = folder / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        started = time.perf_counter()
        for _ in range(count):
            os.write(fd, b"x" * 440 + b"\n")
            os.fsync(fd)
        return (time.perf_counter() - started) / count * 1000
    finally:
        os.close(fd)
        path.unlink()


def old_ledger_bytes(ledger: Path) -> int:
    """What the earlier ledger (one JSON document, indent=1, rewritten whole after every delivery) would have written
    for the same deliveries: the sum of its size after each one, made with its own serialisation."""
    from scorecards.deliver.outbox import Ledger

    entries = [(key, rcpt, entry) for key, by in Ledger.load(ledger).entries.items() for rcpt, entry in by.items()]
    total, sent = 0, {}
    size_of = lambda: len(  # noqa: E731 - the old save(), byte for byte
        (json.dumps({"version": 1, "sent": sent}, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    )
    step = max(1, len(entries) // 200)  # its size grows linearly: measured every `step` deliveries, summed exactly
    previous_size, previous_k = size_of(), 0
    for k, (key, rcpt, entry) in enumerate(entries, 1):
        sent.setdefault(key, {})[rcpt] = asdict(entry)
        if k % step == 0 or k == len(entries):
            size = size_of()
            n = k - previous_k  # the sizes after deliveries previous_k+1 .. k, evenly between the two measured
            total += sum(previous_size + (size - previous_size) * j // n for j in range(1, n + 1))
            previous_size, previous_k = size, k
    return total


def measure(recipients: int) -> str:
    handler = Counting()
    server = Loopback(handler, hostname="127.0.0.1", port=0, data_size_limit=0, ready_timeout=10)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-send-") as scratch:
            root = Path(scratch)
            project(root, recipients)
            env = {
                "SCORECARD_SMTP_HOST": "127.0.0.1",
                "SCORECARD_SMTP_PORT": str(server.port),
                "SCORECARD_SMTP_SECURITY": "none",
                "SCORECARD_SMTP_FROM": SENDER,
                "SCORECARD_SMTP_CONFIG": str(root / "no-smtp.toml"),
            }
            compose, _ = run(root, env, "email")
            outbox = root / "build" / "outbox"
            eml = sum(p.stat().st_size for p in outbox.glob("*.eml"))
            before = cpu()
            sent, said = run(root, env, "send")
            client = cpu() - before
            probe = fsync_ms(outbox)
            ledger = outbox / "ledger.jsonl"
            written = ledger.stat().st_size  # a fresh ledger: its first line, then one line appended per delivery
            again, said_again = run(root, env, "send")
            old = old_ledger_bytes(ledger)
    finally:
        server.stop()
    if handler.messages != recipients:
        raise SystemExit(f"the server accepted {handler.messages} messages, not {recipients}:\n{said[-2000:]}")
    if "0 sent now" not in said_again:
        raise SystemExit(f"the second make send sent something:\n{said_again[-2000:]}")
    machine = platform.processor() or platform.machine()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        f"## Sending to a large list\n\n"
        f"`make bench-send` (`bench/send.py --recipients {recipients}`), {when}, {os.cpu_count()} cores ({machine}), "
        f"Python {platform.python_version()}; a local aiosmtpd server on 127.0.0.1 (plain SMTP, in the benchmark's "
        "process, on the same cores), the outbox and ledger on the machine's disk.\n\n"
        "| Measure | Result |\n| --- | --- |\n"
        f"| `make email`: one list of {recipients:,} in Bcc, one company's PDF | {compose:.2f} s, "
        f"1 message of {eml / 1e3:,.0f} KB in the outbox |\n"
        f"| `make send`: {recipients:,} deliveries, one SMTP transaction each | {sent:.1f} s, "
        f"**{recipients / sent:,.0f} messages per second** ({handler.bytes / 1e6:,.0f} MB to the server); "
        f"`make send` itself used {client:.1f} s of CPU, the rest is the server's and the disk's |\n"
        f"| ledger bytes written by that `make send` | **{written:,} bytes** ({written / recipients:.0f} per "
        f"delivery, each line fsynced; one append and fsync alone takes {probe:.1f} ms on this disk) |\n"
        f"| ledger bytes the earlier ledger would have written (rewritten whole after each delivery) | "
        f"{old:,} bytes ({old / written:,.0f}×) |\n"
        f"| `make send` again: nothing to send, the {recipients:,}-line ledger read | {again:.2f} s |\n"
    )


def section(path: Path, measured: str) -> str:
    """The report file with this benchmark's section replaced, or added at the end; the rest kept as it was.

    >>> section(Path("/nonexistent"), "new\\n") == START + "new\\n" + END
    True
    """
    try:
        old = path.read_text("utf-8")
    except FileNotFoundError:
        return START + measured + END
    if START in old and END in old.split(START, 1)[1]:
        before, rest = old.split(START, 1)
        return before + START + measured + END + rest.split(END, 1)[1]
    return old.rstrip("\n") + "\n\n" + START + measured + END


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    measured = measure(args.recipients)
    print(measured)
    args.output.write_text(section(args.output, measured), "utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
