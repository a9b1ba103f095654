"""Compose: the e-mail for each distribution list, written into build/outbox/ as .eml files; nothing is sent.

A message is ``multipart/mixed``: a ``multipart/alternative`` summary (plain
text, and HTML with its CSS inlined) followed by the PDFs. The summary is
rendered from the same computed scorecards as the PDFs, by the templates
``email-subject.txt``, ``email.txt`` and ``email.html``.

Composing is deterministic: MIME boundaries and the Message-ID derive from the
content, and a message whose content has not changed keeps the Date it was
first written with, so composing twice with nothing changed writes the same
bytes. A message over the size limit is split into parts, "(1 of 2)"; an
attachment that cannot fit in any message stops the command. Nothing is ever
left out silently.

A scorecard held by the ready-to-send gate (compute/readiness.py) for the list's
language is left out of the list's message, and said so; with ``include_held``
it is sent, with its reasons in the summary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address, Group
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import css_inline
from jinja2 import Environment, TemplateError, select_autoescape

from scorecards.compute.readiness import Hold, readiness
from scorecards.compute.season import CalendarQuarter, calendar_quarter
from scorecards.deliver.lists import MailingList, Recipient, load_distribution
from scorecards.deliver.outbox import KEY_HEADER, bcc_value, content_hash, read_message, write_outbox
from scorecards.errors import MailError, SettingsError
from scorecards.files import FolderLock
from scorecards.i18n import ENGLISH, Language, load_language
from scorecards.model.metrics import Outcome
from scorecards.model.scorecard import Figure, Scorecard
from scorecards.render.filters import hold
from scorecards.render.templates import make_env
from scorecards.settings import Settings

SEASON_PDF = "season.pdf"  # the season summary, built by `make`
PACK_PDF = "season-book.pdf"  # every scorecard in one PDF, built by `make`
PLACEHOLDER_DATE = "Thu, 01 Jan 1970 00:00:00 +0000"
BOUNDARY_PREFIX = "=_scorecards_"  # "=_" never occurs in quoted-printable or base64 text
_SAFE_FILE_CHARS = re.compile(r"[^a-z0-9@._+-]")


def season_of(cards: Iterable[Scorecard]) -> CalendarQuarter | None:
    """The season most of the companies' latest quarters belong to; on a tie, the later one."""
    counts = Counter(calendar_quarter(card.latest.period_end) for card in cards if card.latest is not None)
    return max(counts, key=lambda season: (counts[season], season)) if counts else None


def is_key_figure(fig: Figure) -> bool:
    """The figures an e-mail summary shows: the headline metrics, and any figure judged against consensus."""
    return fig.metric.headline or fig.result is not Outcome.NONE


@dataclass(frozen=True)
class Attachment:
    kind: str  # "scorecard", "season" or "pack"
    filename: str
    data: bytes = field(repr=False)
    covers: tuple[Scorecard, ...]  # the companies it reports on

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Part:
    index: int
    total: int


@dataclass(frozen=True)
class Composed:
    """One message for the outbox."""

    filename: str
    key: str
    list_name: str
    recipients: tuple[Recipient, ...]
    subject: str
    attachments: tuple[str, ...]
    data: bytes = field(repr=False)


def scorecard_filename(card: Scorecard, language: str = "") -> str:
    """'AMZN-Q4-FY2025-scorecard.pdf': who, which quarter, what; '...-scorecard-zh-Hant.pdf' in another language."""
    period = card.latest.period.replace(" ", "-") if card.latest else ""
    return "-".join(filter(None, [card.company.ticker, period, "scorecard", language])) + ".pdf"


def season_filename(kind: str, season: CalendarQuarter | None, language: str = "") -> str:
    label = f"Q{season.quarter}-{season.year}-" if season else ""
    suffix = f"-{language}" if language else ""
    return (
        f"Earnings-season-{label}summary{suffix}.pdf"
        if kind == "season"
        else f"Earnings-scorecards-{label}season{suffix}.pdf"
    )


def mail_env(settings: Settings, language: Language = ENGLISH) -> Environment:
    """The scorecards' template environment in ``language``, escaping HTML only in .html templates (subject and
    text are plain)."""
    env = make_env(settings, language)
    env.autoescape = select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False)
    env.tests["key_figure"] = is_key_figure
    return env


class Composer:
    """Turns resolved distribution lists into messages; one instance per run."""

    def __init__(
        self,
        settings: Settings,
        cards: list[Scorecard],
        outbox: Path,
        sender: Address | None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
        include_held: bool = False,
        overflow: Mapping[tuple[str, str], Iterable[int]] | None = None,
    ):
        self.settings = settings
        self.cards = sorted(cards, key=lambda c: c.company.name.lower())
        self.outbox = outbox
        self.sender = sender
        self.now = now
        self.envs: dict[str, Environment] = {}
        self.limit = settings.email.max_message_bytes
        self.inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False)
        self.season = season_of(self.cards)
        self.include_held = include_held
        self.overflow = overflow or {}  # (slug, language) -> pages of its PDF past the safe area (the build's check)
        self.left_out: list[tuple[str, Scorecard, tuple[Hold, ...]]] = []  # (list, card, why): held, not sent

    def holds(self, card: Scorecard, mlist: MailingList) -> tuple[Hold, ...]:
        """Why ``card`` is not ready to send to ``mlist``'s readers (none: it is ready)."""
        tag = self.language(mlist)
        return readiness(card, tag, self.overflow.get((card.slug, tag), ())).holds

    def in_season(self, cards: Iterable[Scorecard]) -> tuple[Scorecard, ...]:
        """The companies whose latest quarter is in the season the message is about."""
        return tuple(c for c in cards if c.latest is not None and calendar_quarter(c.latest.period_end) == self.season)

    # --- what each list gets ---------------------------------------------------------------

    def language(self, mlist: MailingList) -> str:
        return mlist.language or self.settings.default_language

    def env(self, mlist: MailingList) -> Environment:
        """The templates in the list's language (its catalogue read once per run)."""
        tag = self.language(mlist)
        if tag not in self.envs:
            try:
                language = load_language(self.settings.locale, tag)
            except SettingsError as exc:
                raise MailError(f"{mlist.where}: list '{mlist.name}': {exc}") from None
            self.envs[tag] = mail_env(self.settings, language)
        return self.envs[tag]

    def attachments(self, mlist: MailingList) -> tuple[Attachment, ...]:
        """The PDFs of a list in its language, season summary and pack first, then the scorecards by company name."""
        tag = self.language(mlist)
        folder = self.settings.output_folder(tag)
        suffix = "" if tag == self.settings.default_language else tag
        out: list[Attachment] = []
        for wanted, kind, name, what in (
            (mlist.season_summary, "season", SEASON_PDF, "the season summary"),
            (mlist.pack, "pack", PACK_PDF, "the whole pack"),
        ):
            if wanted:
                out.append(
                    Attachment(
                        kind,
                        season_filename(kind, self.season, suffix),
                        self._read(folder / name, mlist, what),
                        tuple(self.cards),
                    )
                )
        for card in mlist.cards:
            holds = self.holds(card, mlist)
            if holds and not self.include_held:
                self.left_out.append((mlist.name, card, holds))
                continue
            out.append(
                Attachment(
                    "scorecard",
                    scorecard_filename(card, suffix),
                    self._read(folder / f"{card.slug}.pdf", mlist, f"the {card.company.ticker} scorecard"),
                    (card,),
                )
            )
        return tuple(out)

    def _read(self, path: Path, mlist: MailingList, what: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise MailError(
                f"{mlist.where}: list '{mlist.name}' gets {what}, but {path} does not exist: run `make` to build it"
            ) from None
        except OSError as exc:
            raise MailError(f"cannot read {path}: {exc.strerror}") from None

    # --- messages --------------------------------------------------------------------------

    def compose(self, mlist: MailingList) -> list[Composed]:
        self.env(mlist)  # a language without a catalogue is said first, before its missing PDFs
        attachments = self.attachments(mlist)
        if not attachments:  # every scorecard it gets is held: nothing to send
            return []
        per_recipient = self.settings.email.per_recipient if mlist.per_recipient is None else mlist.per_recipient
        audiences = [(r,) for r in mlist.recipients] if per_recipient else [mlist.recipients]
        out: list[Composed] = []
        for audience in audiences:
            stem = mlist.name
            if per_recipient:
                stem += "--" + _SAFE_FILE_CHARS.sub("_", audience[0].email.casefold())
            whole = self._message(mlist, audience, attachments, attachments, stem, None)
            if len(whole.data) <= self.limit:
                out.append(whole)
                continue
            groups = self._split(mlist, audience, attachments, stem)
            out.extend(
                self._message(mlist, audience, attachments, group, stem, Part(i, len(groups)))
                for i, group in enumerate(groups, 1)
            )
        return out

    def _split(
        self, mlist: MailingList, audience: tuple[Recipient, ...], attachments: tuple[Attachment, ...], stem: str
    ) -> list[tuple[Attachment, ...]]:
        """The attachments in order, in as few messages under the limit as filling each in turn gives."""
        probe = Part(99, 99)  # as long as any real part label, so a group that fits here fits for real

        def fits(group: tuple[Attachment, ...]) -> bool:
            return len(self._message(mlist, audience, attachments, group, stem, probe).data) <= self.limit

        groups: list[tuple[Attachment, ...]] = []
        current: tuple[Attachment, ...] = ()
        for attachment in attachments:
            if current and fits(current + (attachment,)):
                current += (attachment,)
                continue
            if not fits((attachment,)):
                size = len(self._message(mlist, audience, attachments, (attachment,), stem, probe).data)
                raise MailError(
                    f"{mlist.where}: list '{mlist.name}': {attachment.filename} alone makes a message of "
                    f"{size / 1e6:.1f} MB, over the limit of {self.settings.email.max_message_mb:g} MB: raise "
                    "max_message_mb under [tool.scorecard.email] if your mail server takes larger messages, "
                    "or send this list the scorecards instead"
                )
            if current:
                groups.append(current)
            current = (attachment,)
        groups.append(current)
        return groups

    def _message(
        self,
        mlist: MailingList,
        audience: tuple[Recipient, ...],
        everything: tuple[Attachment, ...],
        attachments: tuple[Attachment, ...],
        stem: str,
        part: Part | None,
    ) -> Composed:
        whole = self._covered(everything)
        scorecards = tuple(a.covers[0] for a in everything if a.kind == "scorecard")
        subject_context = {
            "cards": whole,
            "season_cards": self.in_season(whole),
            "scorecards": scorecards,
            "season_summary": mlist.season_summary,
            "pack": mlist.pack,
            "season": self.season,
            "override": mlist.subject,
        }
        env = self.env(mlist)
        title = self._render(env, "email-subject.txt", **subject_context, part=None)
        subject = self._render(env, "email-subject.txt", **subject_context, part=part)
        context = {
            "title": title,
            "subject": subject,
            "cards": self._covered(attachments),
            "attachments": attachments,
            "season": self.season,
            "part": part,
            "held": {card.slug: self.holds(card, mlist) for card in self._covered(attachments)},
        }
        text = self._render_body(env, "email.txt", context)
        html = self._inline(self._render_body(env, "email.html", context))
        key = mlist.name if part is None else f"{mlist.name} ({part.index} of {part.total})"
        filename = (stem if part is None else f"{stem}-{part.index}of{part.total}") + ".eml"

        digest = hashlib.sha256()
        for piece in (key, subject, text, html):
            digest.update(piece.encode("utf-8") + b"\0")
        for attachment in attachments:
            digest.update(attachment.filename.encode("utf-8") + b"\0" + attachment.data + b"\0")
        fingerprint = digest.hexdigest()

        msg = EmailMessage(policy=policy.SMTP)
        try:
            msg["Subject"] = subject
            if self.sender is not None:
                msg["From"] = self.sender
            addresses = [Address(r.name or "", addr_spec=r.email) for r in audience]
            if mlist.bcc:  # To names the list (an empty group, "research:;"); make send leaves out the Bcc line
                msg["To"] = Group(mlist.name)
                msg.set_raw("Bcc", bcc_value(r.email for r in audience))
            else:
                msg["To"] = addresses
        except (ValueError, TypeError) as exc:  # a line break in a name or subject: refused, never a new header
            raise MailError(f"{mlist.where}: list '{mlist.name}': cannot write the message headers: {exc}") from None
        msg["Date"] = PLACEHOLDER_DATE
        domain = self.sender.domain if self.sender is not None else "scorecards.invalid"
        msg["Message-ID"] = f"<{hashlib.sha256((filename + fingerprint).encode()).hexdigest()[:32]}@{domain}>"
        msg[KEY_HEADER] = key
        msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        for attachment in attachments:
            msg.add_attachment(attachment.data, maintype="application", subtype="pdf", filename=attachment.filename)
        for number, sub in enumerate(p for p in msg.walk() if p.is_multipart()):
            sub.set_boundary(f"{BOUNDARY_PREFIX}{fingerprint[:24]}_{number}")
        msg.replace_header("Date", self._date(filename, msg.as_bytes()))
        return Composed(
            filename, key, mlist.name, audience, subject, tuple(a.filename for a in attachments), msg.as_bytes()
        )

    def _date(self, filename: str, data: bytes) -> str:
        """The Date of the message already in the outbox when its content is unchanged; else now."""
        existing = self.outbox / filename
        if existing.exists():
            try:
                old = read_message(existing)
            except MailError:
                old = None
            if old is not None and old.date and old.content == content_hash(data):
                return old.date
        return format_datetime(self.now())

    def _covered(self, attachments: Iterable[Attachment]) -> tuple[Scorecard, ...]:
        slugs = {card.slug for a in attachments for card in a.covers}
        return tuple(card for card in self.cards if card.slug in slugs)

    def _render(self, env: Environment, name: str, **context: object) -> str:
        """A one-line template: whitespace collapsed."""
        return " ".join(self._render_body(env, name, context).split())

    def _render_body(self, env: Environment, name: str, context: Mapping[str, object]) -> str:
        try:
            return env.get_template(name).render(**context)
        except TemplateError as exc:
            raise MailError(f"{self.settings.templates / name}: cannot render: {type(exc).__name__}: {exc}") from None

    def _inline(self, html: str) -> str:
        try:
            return self.inliner.inline(html)
        except (css_inline.InlineError, ValueError) as exc:
            raise MailError(f"cannot inline the e-mail stylesheet: {exc}") from None


def compose_all(composer: Composer, lists: Iterable[MailingList]) -> list[Composed]:
    messages = [message for mlist in lists for message in composer.compose(mlist)]
    names = Counter(m.filename for m in messages)
    clash = [name for name, count in names.items() if count > 1]
    if clash:
        raise MailError(
            f"two messages would be written to build/outbox/{clash[0]}: give the lists distinct names, "
            "or the recipients distinct addresses"
        )
    return messages


@dataclass(frozen=True)
class OutboxRun:
    """What ``scorecard email`` did: the messages, which files changed, and warnings about the lists."""

    messages: tuple[Composed, ...]
    written: tuple[str, ...]
    removed: tuple[str, ...]
    warnings: tuple[str, ...]


def fill_outbox(
    settings: Settings,
    cards: list[Scorecard],
    sender: Address | None,
    include_held: bool = False,
    overflow: Mapping[tuple[str, str], Iterable[int]] | None = None,
) -> OutboxRun:
    """Compose every list's messages from the scorecards a build made (``cards``) into build/outbox/; scorecards
    held by the ready-to-send gate are left out (and said so), or sent with their reasons (``include_held``);
    ``overflow``: the pages of each (slug, language)'s PDF the build's layout check found past the safe area."""
    lists, warnings = load_distribution(settings.email.distribution, cards)
    outbox = settings.build / "outbox"
    with FolderLock(outbox):
        composer = Composer(settings, cards, outbox, sender, include_held=include_held, overflow=overflow)
        messages = compose_all(composer, lists)
        written, removed = write_outbox(outbox, {m.filename: m.data for m in messages})
    said = [str(w) for w in warnings] + held_warnings(composer, lists, messages)
    return OutboxRun(tuple(messages), tuple(written), tuple(removed), tuple(said))


def held_warnings(composer: Composer, lists: Iterable[MailingList], messages: list[Composed]) -> list[str]:
    """One line per list that had scorecards left out as held, and per list left with nothing to send."""
    out = []
    by_list: dict[str, list[tuple[Scorecard, tuple[Hold, ...]]]] = {}
    for name, card, holds in composer.left_out:
        by_list.setdefault(name, []).append((card, holds))
    for name, held in by_list.items():
        why = "; ".join(f"{card.company.ticker}: {', '.join(hold(h) for h in holds)}" for card, holds in held)
        out.append(f"list '{name}': left out {len(held)} held scorecard{'s' if len(held) != 1 else ''} ({why})")
    sent = {m.list_name for m in messages}
    out += [
        f"list '{m.name}': nothing to send (every scorecard it gets is held; `scorecard email --include-held` "
        "sends them with their reasons)"
        for m in lists
        if m.name not in sent
    ]
    return out
