"""The outbox: messages ready to send (``build/outbox/*.eml``) and the ledger of what was sent.

``scorecard email`` fills the outbox; ``scorecard send`` reads it back, exactly
as written, and sends each message to each recipient the ledger has not
recorded for that content yet. The ledger (``build/outbox/ledger.jsonl``) is
append-only: one line, written and fsynced, for every delivery a server
accepts, and compacted (rewritten whole, atomically) only when ``send`` opens
it and finds lines to drop. So a send killed at any moment loses nothing and
repeats at most the delivery in flight, and a list of 10,000 costs 10,000
lines, not 10,000 rewrites of the whole ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from pathlib import Path

from scorecards.deliver.lists import ADDRESS_RE
from scorecards.errors import MailError
from scorecards.files import remove, write_atomic, write_if_changed

KEY_HEADER = "X-Scorecard-Key"  # the list (and part) a message is for: the ledger's name for it
LEDGER = "ledger.jsonl"
OLD_LEDGER = "ledger.json"  # version 1: one JSON document rewritten after every delivery; read, then replaced
LEDGER_VERSION = 2
_BARE_ADDRESS = re.compile(ADDRESS_RE)
_BCC_LINE = re.compile(rb"^bcc:.*(?:\r?\n[ \t].*)*\r?\n", re.IGNORECASE | re.MULTILINE)


def content_hash(raw: bytes) -> str:
    """What a recipient reads: the subject and the body with its attachments; not Date, To, From or Message-ID.

    So adding a recipient, or configuring the sender, does not make a sent message new again.
    """
    head, sep, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not sep:
        body = b""
    headers = BytesParser(policy=policy.default).parsebytes(head + b"\n\n", headersonly=True)
    digest = hashlib.sha256()
    digest.update(b"subject\0" + _one_line(headers.get("Subject", "")).encode("utf-8") + b"\0")
    digest.update(b"content-type\0" + str(headers.get("Content-Type", "")).encode("utf-8") + b"\0")
    digest.update(body)
    return "sha256:" + digest.hexdigest()


def _one_line(value: object) -> str:
    """A header's text unfolded; Python keeps the space of a fold right after the colon."""
    return " ".join(str(value).split())


@dataclass(frozen=True)
class OutboxMessage:
    """One .eml file of the outbox, as read back."""

    path: Path
    key: str
    raw: bytes
    subject: str
    recipients: tuple[Address, ...]
    sender: Address | None
    message_id: str
    date: str
    content: str
    attachments: tuple[str, ...]
    hidden: bool = False  # the recipients are in Bcc (a list with bcc: true): each sees only the list's name in To

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def wire(self) -> bytes:
        """The message as sent: without its Bcc line, which names every recipient of the list."""
        if not self.hidden:
            return self.raw
        end = self.raw.find(b"\r\n\r\n") + 2 if b"\r\n\r\n" in self.raw else self.raw.find(b"\n\n") + 1
        return _BCC_LINE.sub(b"", self.raw[:end]) + self.raw[end:]


def read_message(path: Path) -> OutboxMessage:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MailError(f"cannot read {path}: {exc.strerror}") from None
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    key = msg.get(KEY_HEADER)
    if not key:
        raise MailError(
            f"{path} was not written by `scorecard email` (it has no {KEY_HEADER} header): "
            "remove it from the outbox, then run `make email`"
        )
    recipients: list[Address] = []
    for header in ("To", "Cc"):
        value = msg.get(header)
        if value is not None:
            recipients.extend(value.addresses)
    bcc = [value for name, value in msg.raw_items() if name.lower() == "bcc"]
    recipients.extend(_bcc_addresses(msg, bcc))
    if not recipients:
        raise MailError(f"{path} has no recipients: run `make email` to write the outbox again")
    sender = msg.get("From")
    senders = sender.addresses if sender is not None else ()
    attachments = tuple(part.get_filename() or "" for part in msg.iter_attachments())
    return OutboxMessage(
        path,
        str(key),
        raw,
        _one_line(msg.get("Subject", "")),
        tuple(recipients),
        senders[0] if senders else None,
        str(msg.get("Message-ID", "")),
        str(msg.get("Date", "")),
        content_hash(raw),
        attachments,
        bool(bcc),
    )


def bcc_value(addresses: Iterable[str]) -> str:
    """A Bcc line of bare addresses, folded as the SMTP policy would (so that it is written as it is, not parsed
    again: the email package takes ~15 s to lay out 10,000 addresses, and as long again to read them back).
    Only the outbox holds it; `make send` leaves it out of what it sends."""
    lines: list[str] = []
    line: list[str] = []
    for address in addresses:
        if line and len(", ".join(line)) + len(address) + 3 > 72:  # "Bcc: " and the comma within 78
            lines.append(", ".join(line) + ",")
            line = []
        line.append(address)
    return "\n ".join(lines + [", ".join(line)])


def _bcc_addresses(msg: EmailMessage, values: list[str]) -> list[Address]:
    """The addresses of the Bcc line: bare addresses, as ``bcc_value`` writes them, split without the email
    package's slow parser; anything else (a line edited by hand) through it."""
    pieces = [piece.strip() for value in values for piece in value.replace("\r", "").replace("\n", "").split(",")]
    if all(_BARE_ADDRESS.match(piece) for piece in pieces):
        return [Address(username=piece.rsplit("@", 1)[0], domain=piece.rsplit("@", 1)[1]) for piece in pieces]
    return [address for value in msg.get_all("Bcc", []) for address in value.addresses]


def read_outbox(folder: Path) -> list[OutboxMessage]:
    """Every message in the outbox, in file-name order."""
    return [read_message(path) for path in sorted(folder.glob("*.eml"))]


def write_outbox(folder: Path, messages: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Write ``{file name: .eml bytes}``, leaving unchanged files alone; remove messages no list makes any more.

    Returns (written, removed) file names.
    """
    written = [name for name, data in messages.items() if write_if_changed(folder / name, data)]
    removed = []
    for path in sorted(folder.glob("*.eml")):
        if path.name not in messages:
            remove(path)
            removed.append(path.name)
    return written, removed


def recipient_key(address: Address | str) -> str:
    """How the ledger names a recipient: the address, case-folded."""
    return (address.addr_spec if isinstance(address, Address) else address).casefold()


@dataclass(frozen=True)
class Entry:
    """One message accepted by a server for one recipient."""

    content: str
    message_id: str
    file: str
    subject: str
    recipient: str
    sent_at: str
    server: str
    reply: str


class Ledger:
    """What was sent to whom: ``{message key: {recipient: Entry}}``.

    On disk, JSON Lines: a first line ``{"version": 2}``, then one line per delivery, appended and fsynced as the
    server accepts it; a later line for the same message and recipient replaces an earlier one. A last line cut short
    (the process killed, or the machine, as it was written) is the delivery in flight: dropped, so that it is sent
    again. Any other damage is an error, never ignored: ignoring it would send everything again."""

    def __init__(self, path: Path, entries: dict[str, dict[str, Entry]] | None = None, stale: bool = True):
        self.path = path
        self.entries: dict[str, dict[str, Entry]] = entries or {}
        self.stale = stale  # the file holds lines to drop (or is missing, or is the old format): compact on open
        self.fd: int | None = None
        self.bytes_written = 0

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """The ledger at ``path`` (or, if there is none yet, the old ``ledger.json`` beside it); empty if neither."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            old = path.with_name(OLD_LEDGER)
            return cls(path, _read_old(old) if old.exists() else None)
        except OSError as exc:
            raise MailError(f"cannot read the sent-mail ledger {path}: {exc.strerror}") from None
        lines = raw.split(b"\n")
        torn = lines.pop() != b""  # what follows the last newline: nothing, or a line cut short
        entries: dict[str, dict[str, Entry]] = {}
        count = 0
        for number, line in enumerate(lines, 1):
            try:
                data = json.loads(line)
                if number == 1:
                    if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION:
                        got = data.get("version") if isinstance(data, dict) else data
                        raise ValueError(f"version {got!r}, expected {LEDGER_VERSION}")
                    continue
                key, recipient = data.pop("key"), data.pop("recipient_key")
                entries.setdefault(str(key), {})[str(recipient)] = Entry(**data)
                count += 1
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise _damaged(path, f"line {number}: {exc}") from None
        if not lines:  # the first line is written whole (compact() writes it atomically): never torn
            raise _damaged(path, "no version line")
        recorded = sum(len(by_rcpt) for by_rcpt in entries.values())
        return cls(path, entries, stale=torn or count != recorded)

    def open(self) -> None:
        """Ready to record: compacted first if it holds lines to drop, then opened to append."""
        if self.stale:
            self.compact()
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def compact(self) -> None:
        """Write the ledger whole, one line per delivery (atomically and fsynced); the old ledger.json then goes."""
        lines = [json.dumps({"version": LEDGER_VERSION})] + [
            _line(key, rcpt, entry)
            for key, by_rcpt in sorted(self.entries.items())
            for rcpt, entry in sorted(by_rcpt.items())
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        write_atomic(self.path, data, durable=True)
        self.bytes_written += len(data)
        self.stale = False
        remove(self.path.with_name(OLD_LEDGER))

    def sent(self, key: str, recipient: Address | str) -> Entry | None:
        return self.entries.get(key, {}).get(recipient_key(recipient))

    def status(self, message: OutboxMessage, recipient: Address | str) -> str:
        """'new' (never sent), 'changed' (sent, but the content has changed since) or 'sent'."""
        entry = self.sent(message.key, recipient)
        if entry is None:
            return "new"
        return "sent" if entry.content == message.content else "changed"

    def record(self, message: OutboxMessage, recipient: Address, server: str, reply: str) -> Entry:
        """One delivery, on disk (one line, fsynced) before this returns."""
        assert self.fd is not None, "open() the ledger before recording"
        entry = Entry(
            message.content,
            message.message_id,
            message.name,
            message.subject,
            recipient.addr_spec,
            dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            server,
            reply,
        )
        rcpt = recipient_key(recipient)
        self.entries.setdefault(message.key, {})[rcpt] = entry
        data = (_line(message.key, rcpt, entry) + "\n").encode("utf-8")
        try:
            written = os.write(self.fd, data)
            if written != len(data):  # a full disk part-way: the line is torn, and the next open drops it
                raise OSError(28, "No space left on device")
            os.fsync(self.fd)
        except OSError as exc:
            raise MailError(
                f"cannot record the delivery to {recipient.addr_spec} in {self.path}: {exc.strerror} (it was "
                "sent; the next `make send` sends it again unless the ledger can be written)"
            ) from None
        self.bytes_written += len(data)
        return entry


def _line(key: str, recipient: str, entry: Entry) -> str:
    return json.dumps({"key": key, "recipient_key": recipient} | asdict(entry), ensure_ascii=False)


def _damaged(path: Path, why: str) -> MailError:
    return MailError(
        f"the sent-mail ledger {path} is damaged ({why}): restore it from a backup; deleting it "
        "would make `make send` send every message again"
    )


def _read_old(path: Path) -> dict[str, dict[str, Entry]]:
    """The entries of a version 1 ledger (``ledger.json``)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != 1:
            raise ValueError(f"version {data.get('version')!r}, expected 1")
        names = {f.name for f in fields(Entry)}
        return {
            key: {rcpt: Entry(**{k: v for k, v in entry.items() if k in names}) for rcpt, entry in by_rcpt.items()}
            for key, by_rcpt in data["sent"].items()
        }
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, str(exc)) from None


def describe(folder: Path) -> tuple[list[str], int, int]:
    """One line per message of the outbox with what `make send` would do; and the (to send, sent) counts."""
    ledger = Ledger.load(folder / LEDGER)
    lines: list[str] = []
    to_send = sent = 0
    for message in read_outbox(folder):
        states = [ledger.status(message, r) for r in message.recipients]
        waiting = sum(state != "sent" for state in states)
        to_send, sent = to_send + waiting, sent + len(states) - waiting
        if not waiting:
            state = f"sent before to all {len(states)}" if len(states) > 1 else "sent before"
        else:
            state = f"to send to {waiting} of {len(states)}" + (", changed" if "changed" in states else "")
        pdfs = len(message.attachments)
        lines.append(
            f"  {message.name}: {message.subject} [{pdfs} PDF{'s' if pdfs != 1 else ''}, "
            f"{len(message.raw) / 1e6:.1f} MB; {state}]"
        )
    return lines, to_send, sent
