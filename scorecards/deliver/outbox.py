"""The outbox: messages ready to send (``build/outbox/*.eml``) and the ledger of what was sent.

``scorecard email`` fills the outbox; ``scorecard send`` reads it back, exactly
as written, and sends each message to each recipient the ledger has not
recorded for that content yet. The ledger (``build/outbox/ledger.json``) is
rewritten atomically after every message a server accepts, so an interrupted
send loses nothing and a second one sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser
from pathlib import Path

from scorecards.errors import MailError
from scorecards.files import remove, write_atomic, write_if_changed

KEY_HEADER = "X-Scorecard-Key"  # the list (and part) a message is for: the ledger's name for it
LEDGER = "ledger.json"
LEDGER_VERSION = 1


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

    @property
    def name(self) -> str:
        return self.path.name


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
    )


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
    """What was sent to whom: ``{message key: {recipient: Entry}}``, saved after every accepted message."""

    def __init__(self, path: Path, entries: dict[str, dict[str, Entry]] | None = None):
        self.path = path
        self.entries: dict[str, dict[str, Entry]] = entries or {}

    @classmethod
    def load(cls, path: Path) -> Ledger:
        """The ledger at ``path``; empty if there is none yet. A damaged ledger is an error, never ignored:
        ignoring it would send everything again."""
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise MailError(f"cannot read the sent-mail ledger {path}: {exc}") from None
        try:
            data = json.loads(text)
            if data.get("version") != LEDGER_VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {LEDGER_VERSION}")
            entries = {
                key: {rcpt: Entry(**fields) for rcpt, fields in by_rcpt.items()}
                for key, by_rcpt in data["sent"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MailError(
                f"the sent-mail ledger {path} is damaged ({exc}): restore it from a backup; deleting it "
                "would make `make send` send every message again"
            ) from None
        return cls(path, entries)

    def sent(self, key: str, recipient: Address | str) -> Entry | None:
        return self.entries.get(key, {}).get(recipient_key(recipient))

    def status(self, message: OutboxMessage, recipient: Address | str) -> str:
        """'new' (never sent), 'changed' (sent, but the content has changed since) or 'sent'."""
        entry = self.sent(message.key, recipient)
        if entry is None:
            return "new"
        return "sent" if entry.content == message.content else "changed"

    def record(self, message: OutboxMessage, recipient: Address, server: str, reply: str) -> Entry:
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
        self.entries.setdefault(message.key, {})[recipient_key(recipient)] = entry
        self.save()
        return entry

    def save(self) -> None:
        data = {
            "version": LEDGER_VERSION,
            "sent": {
                key: {rcpt: asdict(entry) for rcpt, entry in sorted(by_rcpt.items())}
                for key, by_rcpt in sorted(self.entries.items())
            },
        }
        write_atomic(self.path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


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
