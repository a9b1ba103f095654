"""Deliver: send what build/outbox/ holds over SMTP, each message to each recipient once.

The server, port, sender and credentials come from the environment
(``SCORECARD_SMTP_*``) or from a TOML file outside the repository
(``~/.config/scorecards/smtp.toml``, or the path in ``SCORECARD_SMTP_CONFIG``);
never from a file in the project. The connection is encrypted (STARTTLS, or
implicit TLS on port 465) unless ``none`` is asked for by name, for a local
test server.

Every recipient of every message is its own SMTP transaction (a list's message
is read once, however many it goes to), and each one the server accepts is
written to the ledger at once: one line appended and fsynced. So when the connection drops
or the server refuses some recipients, what was accepted is on record, the rest
stays to send, and the next run finishes the job without sending anyone a
second copy. (One case no SMTP client can rule out: the connection dropping
after the server took a message but before it said so. That message counts as
unsent and goes again.)
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import socket
import ssl
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from pathlib import Path
from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scorecards.deliver.lists import ADDRESS_RE
from scorecards.deliver.outbox import LEDGER, Ledger, OutboxMessage, read_outbox, recipient_key
from scorecards.errors import SendError
from scorecards.files import FolderLock
from scorecards.settings import Settings

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}
CONFIG_ENV = "SCORECARD_SMTP_CONFIG"
ENV = {
    "host": "SCORECARD_SMTP_HOST",
    "port": "SCORECARD_SMTP_PORT",
    "user": "SCORECARD_SMTP_USER",
    "password": "SCORECARD_SMTP_PASSWORD",
    "sender": "SCORECARD_SMTP_FROM",
    "security": "SCORECARD_SMTP_SECURITY",
    "ca_file": "SCORECARD_SMTP_CA_FILE",
    "timeout": "SCORECARD_SMTP_TIMEOUT",
}
FILE_KEYS = {
    "host": "host",
    "port": "port",
    "user": "user",
    "password": "password",
    "sender": "from",
    "security": "security",
    "ca_file": "ca_file",
    "timeout": "timeout",
}


class SmtpFileIn(BaseModel):
    """The keys of smtp.toml; all optional, and the environment wins over each."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    user: str | None = None
    password: str | None = None
    sender: str | None = Field(None, alias="from")
    security: Security | None = None
    ca_file: str | None = None
    timeout: float | None = Field(None, gt=0)


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int
    security: Security
    user: str | None
    password: str | None = field(repr=False)
    sender: Address | None
    ca_file: Path | None
    timeout: float
    where: dict[str, str]  # setting -> where it came from, for messages: 'SCORECARD_SMTP_HOST' or a file path

    def name(self, key: str) -> str:
        """Where the user sets ``key``: the variable, or the file and key, that gave its value."""
        return self.where.get(key, ENV[key])

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def config_path(env: Mapping[str, str]) -> Path:
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]).expanduser() if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "scorecards" / "smtp.toml"


def load_config(env: Mapping[str, str] | None = None, project: Path | None = None) -> SmtpConfig:
    """The SMTP settings: each from its environment variable, else from the config file, else the default."""
    env = os.environ if env is None else env
    project = Path.cwd() if project is None else project
    path = config_path(env)
    from_file = _read_config_file(path, project)
    values: dict[str, object] = {}
    where: dict[str, str] = {}
    for key, variable in ENV.items():
        if env.get(variable, "").strip():  # a password is taken as it is, spaces and all
            values[key] = env[variable] if key == "password" else env[variable].strip()
            where[key] = variable
        elif getattr(from_file, key) is not None:
            values[key], where[key] = getattr(from_file, key), f"{FILE_KEYS[key]} in {path}"

    port = _port(values.get("port"), where.get("port", ""))
    security = values.get("security")
    if security is None:
        security = "tls" if port == 465 else "starttls"
    if not _is_security(security):
        raise SendError(
            f"{where['security']}: '{security}' is not a connection security: use starttls "
            "(port 587, the default), tls (implicit TLS, port 465) or none (a local test server only)"
        )
    timeout = values.get("timeout", 30)
    try:
        timeout = float(timeout)  # type: ignore[arg-type]
        if timeout <= 0:
            raise ValueError
    except ValueError:
        raise SendError(f"{where['timeout']}: '{timeout}' is not a number of seconds") from None
    sender = parse_sender(str(values["sender"]), where["sender"]) if "sender" in values else None
    ca_file = Path(str(values["ca_file"])).expanduser() if "ca_file" in values else None
    return SmtpConfig(
        str(values["host"]) if "host" in values else None,
        port or DEFAULT_PORTS[security],
        security,
        str(values["user"]) if "user" in values else None,
        str(values["password"]) if "password" in values else None,
        sender,
        ca_file,
        timeout,
        where,
    )


def _read_config_file(path: Path, project: Path) -> SmtpFileIn:
    if not path.exists():
        return SmtpFileIn()
    if path.resolve().is_relative_to(project.resolve()):
        raise SendError(
            f"{path} is inside the project: move it out (default ~/.config/scorecards/smtp.toml, or "
            f"set {CONFIG_ENV}); SMTP settings and passwords must never be committed"
        )
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SendError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SendError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = SmtpFileIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"])
        message = (
            "unknown key (known: " + ", ".join(FILE_KEYS.values()) + ")"
            if first["type"] == "extra_forbidden"
            else first["msg"]
        )
        raise SendError(f"{path}: {field_name}: {message}") from None
    if config.password is not None and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise SendError(f"{path} holds a password but other users can read it: run `chmod 600 {path}`")
    return config


def _is_security(value: object) -> TypeGuard[Security]:
    return value in DEFAULT_PORTS


def _port(value: object, where: str) -> int | None:
    if value is None:
        return None
    try:
        port = int(str(value))
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise SendError(f"{where}: '{value}' is not a port number (587 for STARTTLS, 465 for TLS)")
    return port


def parse_sender(text: str, where: str) -> Address:
    """'Research <research@example.com>' or 'research@example.com', as one address."""
    hint = "write it as research@example.com or 'Equity research <research@example.com>'"
    if any(ch in text for ch in "\r\n\0"):
        raise SendError(f"{where}: the sender must be one line ({hint})")
    addresses: tuple[Address, ...]
    try:
        header = policy.default.header_factory("From", text)
        addresses = header.addresses
    except Exception:  # noqa: BLE001 - the email package raises several kinds for malformed addresses
        addresses = ()
    if len(addresses) != 1 or not re.match(ADDRESS_RE, addresses[0].addr_spec or ""):
        raise SendError(f"{where}: '{text}' is not one e-mail address ({hint})")
    return addresses[0]


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    message: OutboxMessage
    recipient: Address
    reply: str


@dataclass
class SendReport:
    messages: int = 0
    already: int = 0  # recipients skipped: sent before, unchanged
    sent: list[Delivery] = field(default_factory=list)
    refused: list[Delivery] = field(default_factory=list)  # the server said no for good (5xx)
    deferred: list[Delivery] = field(default_factory=list)  # the server said not now (4xx)
    unsent: list[tuple[OutboxMessage, Address]] = field(default_factory=list)  # not tried: the run stopped
    stopped: str | None = None  # why the run stopped early
    ledger_bytes: int = 0  # written to the ledger: a line per delivery, and a compaction if it needed one

    @property
    def ok(self) -> bool:
        return not (self.refused or self.deferred or self.unsent or self.stopped)


class _Refused(Exception):
    def __init__(self, code: int, reply: str, hint: str):
        self.code, self.reply, self.hint = code, reply, hint
        super().__init__(reply)


class _Stop(Exception):
    """The rest of the batch cannot go: the connection dropped, or the server refused the sender."""


def send_outbox(
    settings: Settings, config: SmtpConfig, resend: bool = False, progress: Callable[[str], None] = lambda line: None
) -> SendReport:
    """Send every message in the outbox to every recipient the ledger has no record of for that content.

    ``progress`` is told of each message the server accepts or refuses, as it happens.
    """
    outbox = settings.build / "outbox"
    report = SendReport()
    with FolderLock(outbox):
        messages = read_outbox(outbox)
        if not messages:
            raise SendError(f"{outbox}/ holds no messages: run `make email` first, check them, then `make send`")
        _check_config(config)
        assert config.sender is not None
        for message in messages:
            if message.sender is not None and recipient_key(message.sender) != recipient_key(config.sender):
                raise SendError(
                    f"{message.path} is from {message.sender.addr_spec}, but the sender is now "
                    f"{config.sender.addr_spec} ({config.name('sender')}): run `make email` to write the "
                    "outbox again, check it, then `make send`"
                )
        ledger = Ledger.load(outbox / LEDGER)
        report.messages = len(messages)
        todo = [(m, r) for m in messages for r in m.recipients if resend or ledger.status(m, r) != "sent"]
        report.already = sum(len(m.recipients) for m in messages) - len(todo)
        if not todo:
            return report
        smtp = connect(config)
        try:
            ledger.open()  # compacted first if it must be, before anything is sent
            for index, (message, recipient) in enumerate(todo):
                try:
                    reply = _deliver(smtp, config, message, recipient)
                except _Refused as exc:
                    target = report.deferred if 400 <= exc.code < 500 else report.refused
                    target.append(Delivery(message, recipient, f"{exc.reply}{f' ({exc.hint})' if exc.hint else ''}"))
                    progress(f"  {'DEFERRED' if target is report.deferred else 'REFUSED '} {target[-1].reply}")
                    continue
                except _Stop as exc:
                    report.stopped = str(exc)
                    report.unsent = todo[index:]
                    break
                ledger.record(message, recipient, config.server, reply)
                report.sent.append(Delivery(message, recipient, reply))
                progress(f"  sent     {message.name} to {recipient.addr_spec}: {reply}")
        finally:
            ledger.close()
            report.ledger_bytes = ledger.bytes_written
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return report


def _check_config(config: SmtpConfig) -> None:
    if not config.host:
        raise SendError(
            f"no SMTP server: set {ENV['host']} (and the other SCORECARD_SMTP_* variables), or host in "
            "~/.config/scorecards/smtp.toml"
        )
    if config.sender is None:
        raise SendError(
            f"no sender: set {ENV['sender']} to the address the scorecards come from, e.g. "
            "'Equity research <research@example.com>'"
        )
    if config.ca_file is not None and not config.ca_file.is_file():
        raise SendError(
            f"{config.name('ca_file')}: {config.ca_file} does not exist (it should name the PEM file of "
            "the certificate authority that signed the server's certificate)"
        )
    if config.user and config.password is None:
        raise SendError(
            f"{config.name('user')} is set but no password: set {ENV['password']}, or password in "
            "smtp.toml (readable by you only)"
        )
    if config.security == "none" and config.user and not _is_loopback(config.host):
        raise SendError(
            f"refusing to send the password for {config.user} unencrypted to {config.host}: "
            f"set {ENV['security']} to starttls or tls (none is for a local test server only)"
        )


def _is_loopback(host: str) -> bool:
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback
            for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        )
    except (OSError, ValueError):
        return False


def connect(config: SmtpConfig) -> smtplib.SMTP:
    """An open, encrypted (unless security is none) and logged-in connection; SendError with what to fix."""
    assert config.host is not None
    server = config.server
    local = socket.gethostname() or "localhost"  # not getfqdn(): no DNS look-up before we even connect
    smtp: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, local_hostname=local, timeout=config.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, local_hostname=local, timeout=config.timeout)
        smtp.ehlo()
        if config.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise SendError(
                    f"{server} does not offer STARTTLS, and {config.name('security')} requires it: "
                    "nothing was sent in the clear. Use the server's submission port (587), or "
                    f"{ENV['security']}=tls for implicit TLS on port 465"
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        if config.user:
            if not smtp.has_extn("auth"):
                raise SendError(
                    f"{server} offers no login (AUTH), but {config.name('user')} is set: unset it if "
                    "the server needs no login, or check the server and port"
                )
            smtp.login(config.user, config.password or "")
        return smtp
    except SendError:
        _close(smtp)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        _close(smtp)
        raise SendError(
            f"{server} refused the login for '{config.user}': {_reply(exc.smtp_code, exc.smtp_error)} "
            f"(check {config.name('user')} and {config.name('password')})"
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        _close(smtp)
        raise SendError(f"{server}: {exc}") from None
    except ssl.SSLCertVerificationError as exc:
        _close(smtp)
        raise SendError(
            f"the certificate of {config.host} could not be verified ({exc.verify_message}): if the "
            f"server uses a private certificate authority, set {ENV['ca_file']} to its certificate"
        ) from None
    except ssl.SSLError as exc:
        _close(smtp)
        raise SendError(
            f"TLS with {server} failed ({exc.reason or exc}): port 465 takes {ENV['security']}=tls, "
            "port 587 takes starttls"
        ) from None
    except socket.gaierror:
        raise SendError(f"cannot find the SMTP server '{config.host}': check {config.name('host')}") from None
    except ConnectionRefusedError:
        raise SendError(f"nothing answers at {server}: check {config.name('host')} and {config.name('port')}") from None
    except TimeoutError:
        _close(smtp)
        raise SendError(
            f"{server} did not answer within {config.timeout:g} s: check the host and port; if the "
            f"port is 465, set {ENV['security']}=tls"
        ) from None
    except smtplib.SMTPResponseException as exc:
        _close(smtp)
        raise SendError(f"{server} answered {_reply(exc.smtp_code, exc.smtp_error)} before anything was sent") from None
    except (smtplib.SMTPException, OSError) as exc:
        _close(smtp)
        raise SendError(f"cannot talk to {server}: {exc or type(exc).__name__}") from None


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}".strip()


def _with_sender(raw: bytes, sender: Address) -> bytes:
    """The message with a From line, for an outbox written before the sender was configured."""
    line: str = policy.SMTP.fold("From", str(sender))
    return line.encode("ascii") + raw


def _deliver(smtp: smtplib.SMTP, config: SmtpConfig, message: OutboxMessage, recipient: Address) -> str:
    """One SMTP transaction for one recipient; the server's final answer, or _Refused / _Stop."""
    assert config.sender is not None
    raw = message.wire if message.sender is not None else _with_sender(message.wire, config.sender)
    who = f"{recipient.addr_spec} ({message.name})"
    try:
        limit = int(smtp.esmtp_features.get("size", "0") or 0)
        if limit and len(raw) > limit:
            raise _Refused(
                552,
                f"{who}: the message is {len(raw) / 1e6:.1f} MB, and {config.host} takes at most {limit / 1e6:.1f} MB",
                "lower max_message_mb under [tool.scorecard.email] below that, then run `make email`",
            )
        options = [f"SIZE={len(raw)}"] if limit else []
        code, text = smtp.mail(config.sender.addr_spec, options)
        if code != 250:
            smtp.rset()
            raise _Stop(
                f"{config.host} refused the sender {config.sender.addr_spec}: {_reply(code, text)} "
                f"(check {config.name('sender')}: the server may only let your account send as itself)"
            )
        code, text = smtp.rcpt(recipient.addr_spec)
        if code not in (250, 251):
            smtp.rset()
            hint = (
                "try again later"
                if 400 <= code < 500
                else "fix the address in the distribution list, then `make email` and `make send`"
            )
            raise _Refused(code, f"{who}: refused: {_reply(code, text)}", hint)
        code, text = smtp.data(raw)
        if code != 250:
            smtp.rset()
            hint = "try again later" if 400 <= code < 500 else "the server would not take this message"
            raise _Refused(code, f"{who}: message refused: {_reply(code, text)}", hint)
        return _reply(code, text)
    except smtplib.SMTPServerDisconnected as exc:
        raise _Stop(
            f"the connection to {config.server} dropped while sending to {who}{f' ({exc})' if str(exc) else ''}"
        ) from None
    except smtplib.SMTPResponseException as exc:  # e.g. DATA itself refused
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            raise _Stop(f"the connection to {config.server} dropped while sending to {who}") from None
        raise _Refused(exc.smtp_code, f"{who}: refused: {_reply(exc.smtp_code, exc.smtp_error)}", "") from None
    except OSError as exc:
        raise _Stop(f"the connection to {config.server} failed while sending to {who} ({exc})") from None


def account(report: SendReport) -> list[str]:
    """Why the run stopped, then a one-line summary, for the command line (refusals were told as they came)."""
    lines = [f"  STOPPED  {report.stopped}"] if report.stopped else []
    pending = len(report.refused) + len(report.deferred) + len(report.unsent)
    total = report.already + len(report.sent) + pending
    parts = [f"{len(report.sent)} sent now", f"{report.already} sent before"]
    for count, words in (
        (len(report.refused), "refused"),
        (len(report.deferred), "deferred by the server"),
        (len(report.unsent), "not tried"),
    ):
        if count:
            parts.append(f"{count} {words}")
    summary = (
        f"{report.messages} message{'s' if report.messages != 1 else ''} for {total} "
        f"recipient{'s' if total != 1 else ''}: " + ", ".join(parts)
    )
    if not report.sent and not pending:
        summary += ". Nothing to send (`scorecard send --resend` sends everything again)"
    elif pending:
        summary += (
            f". The {pending} not sent stay in the outbox: fix what is said above, then run `make send` "
            "again; it sends only those"
        )
    lines.append(summary)
    return lines
