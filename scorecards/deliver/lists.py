"""The distribution lists: ``distribution.yaml``, who gets which scorecards by e-mail.

Read with the same safe, position-keeping loader as the company files and
checked the same way: every problem at once, each located
(``distribution.yaml:12:9: lists.tech.tickers[1]: unknown ticker 'AMZM' (did you mean 'AMZN'?)``).
The result is a tuple of immutable ``MailingList`` objects, each resolved
against the companies that were built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from scorecards.errors import InputError, MailError, Problem
from scorecards.files import RefusedInput, read_input
from scorecards.i18n import canonical_tag
from scorecards.load.validate import did_you_mean, translate
from scorecards.load.yaml import MAX_BYTES, Document, Loc, parse_yaml
from scorecards.model.schema import Sector
from scorecards.model.scorecard import Scorecard

LIST_NAME_RE = r"^[a-z0-9][a-z0-9-]*$"
TICKER_RE = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,9}$"
LANGUAGE_RE = r"^[A-Za-z]{2,3}([-_][A-Za-z]{4})?([-_][A-Za-z]{2})?$"
# An address as mail servers accept it everywhere: ASCII, one @, a dotted domain. No display name, no comments.
ADDRESS_RE = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _one_line(text: str) -> str:
    """Text that becomes part of a mail header: one line, no control characters (no header injection)."""
    if _CONTROL.search(text):
        raise PydanticCustomError(
            "one_line",
            "must be one line of text, without line breaks or control characters",
            {"hint": "write it on one line; a header written across lines could add headers of its own"},
        )
    if not text.strip():
        raise PydanticCustomError("one_line", "must not be empty", {"hint": ""})
    return text.strip()


OneLine = Annotated[str, AfterValidator(_one_line)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RecipientIn(_Strict):
    email: str = Field(pattern=ADDRESS_RE, description="The address, e.g. ada@example.com.")
    name: OneLine | None = Field(None, description="The name shown in the To line.")

    @model_validator(mode="before")
    @classmethod
    def _address_alone(cls, data: Any) -> Any:
        """A recipient may be written as just the address."""
        return {"email": data} if isinstance(data, str) else data


class ListIn(_Strict):
    description: str | None = Field(None, description="What the list is for (not sent).")
    recipients: list[RecipientIn] = Field(min_length=1, description="Who gets the list's message.")
    scorecards: Literal["all"] | None = Field(None, description="'all': every company's scorecard.")
    sectors: list[Sector] = Field(default_factory=list, description="The scorecards of the companies in these sectors.")
    tickers: list[Annotated[str, Field(pattern=TICKER_RE)]] = Field(
        default_factory=list, description="The scorecards of these companies."
    )
    season_summary: bool = Field(False, description="The season summary, build/season.pdf.")
    pack: bool = Field(False, description="The whole pack in one PDF, build/season-book.pdf.")
    per_recipient: bool | None = Field(None, description="One message per recipient (default: the setting).")
    bcc: bool = Field(
        False,
        description="One message for the whole list, each recipient in Bcc: none sees the others' addresses, and "
        "a list of thousands is one message in the outbox, not one per recipient.",
    )
    subject: OneLine | None = Field(None, description="A subject of your own instead of the one made from the data.")
    language: Annotated[str, Field(pattern=LANGUAGE_RE)] | None = Field(
        None,
        description="The language of the list's PDFs, subject and summary, e.g. zh-Hant (default: the default "
        "language, the first of the languages setting).",
    )


class DistributionIn(_Strict):
    lists: dict[Annotated[str, Field(pattern=LIST_NAME_RE)], ListIn] = Field(min_length=1)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class MailingList:
    """One list, resolved: its recipients and exactly which scorecards and PDFs it gets."""

    name: str
    recipients: tuple[Recipient, ...]
    cards: tuple[Scorecard, ...]  # whose scorecard PDFs are attached, by company name
    season_summary: bool
    pack: bool
    per_recipient: bool | None
    subject: str | None
    where: str  # 'distribution.yaml:3:3', for messages about this list
    language: str | None = None  # None: the default language
    bcc: bool = False  # one message, To: the list's name, the recipients in Bcc


def languages_wanted(path: Path) -> list[str]:
    """The languages the lists name (``language:``), read without checking the rest: so that ``scorecard email``
    builds them before composing. A file that cannot be read names none; composing then says what is wrong."""
    try:
        doc = parse_yaml(read_input(path, MAX_BYTES), str(path))
    except (OSError, InputError):
        return []
    lists = doc.data.get("lists") if isinstance(doc.data, dict) else None
    wanted = [
        item.get("language") for item in (lists.values() if isinstance(lists, dict) else ()) if isinstance(item, dict)
    ]
    return list(dict.fromkeys(canonical_tag(t) for t in wanted if isinstance(t, str) and re.match(LANGUAGE_RE, t)))


def load_distribution(path: Path, cards: list[Scorecard]) -> tuple[tuple[MailingList, ...], list[Problem]]:
    """Read and check ``path`` against the built companies; the lists and any warnings.

    Raises InputError listing every problem, or MailError when the file is missing.
    """
    try:
        raw = read_input(path, MAX_BYTES, size_hint="split it into several files")  # never a FIFO or /dev/zero
    except FileNotFoundError:
        raise MailError(
            f"{path} does not exist: write the distribution lists there (see "
            "docs/email.md) or set email.distribution in [tool.scorecard]"
        ) from None
    except OSError as exc:
        hint = f" ({exc.hint})" if isinstance(exc, RefusedInput) and exc.hint else ""
        raise MailError(f"cannot read {path}: {exc.strerror}{hint}") from None
    doc = parse_yaml(raw, str(path))
    if not isinstance(doc.data, dict):
        raise InputError(
            [
                doc.problem(
                    (),
                    "expected a mapping with 'lists:' at the top",
                    "see the example distribution.yaml in the repository",
                )
            ]
        )
    try:
        model = DistributionIn.model_validate(doc.data)
    except ValidationError as exc:
        problems = doc.problems + [_translate(doc, error) for error in exc.errors()]
        raise InputError(problems + list(_cross_check_valid_lists(doc, cards))) from None
    resolved = [_resolve(doc, name, item, cards) for name, item in model.lists.items()]
    problems = doc.problems + [p for _, found in resolved for p in found]
    if any(not p.warning for p in problems):
        raise InputError(problems)
    return tuple(mlist for mlist, _ in resolved), problems


def _cross_check_valid_lists(doc: Document, cards: list[Scorecard]) -> list[Problem]:
    """The checks against the companies, for the lists that are valid on their own, so every problem shows at once."""
    lists = doc.data.get("lists")
    out: list[Problem] = []
    for name, raw in lists.items() if isinstance(lists, dict) else ():
        try:
            item = ListIn.model_validate(raw)
        except ValidationError:
            continue
        if re.match(LIST_NAME_RE, str(name)):
            out.extend(_resolve(doc, str(name), item, cards)[1])
    return out


def _resolve(doc: Document, name: str, item: ListIn, cards: list[Scorecard]) -> tuple[MailingList, list[Problem]]:
    """One list against the companies that were built: what it gets, and what is wrong with it."""
    problems: list[Problem] = []
    by_ticker = {card.company.ticker: card for card in cards}
    base: Loc = ("lists", name)
    chosen: set[str] = set()
    if item.scorecards == "all":
        chosen.update(by_ticker)
    for si, sector in enumerate(item.sectors):
        in_sector = {c.company.ticker for c in cards if c.company.sector == sector.value}
        if not in_sector:
            problems.append(
                _warning(
                    doc.problem(
                        base + ("sectors", si),
                        f"no company is in {sector.value}",
                        "the list gets nothing for this sector",
                    )
                )
            )
        chosen.update(in_sector)
    for ti, ticker in enumerate(item.tickers):
        if ticker.upper() in by_ticker:
            chosen.add(ticker.upper())
        else:
            hint = did_you_mean(ticker.upper(), list(by_ticker)) or "companies: " + ", ".join(sorted(by_ticker))
            problems.append(doc.problem(base + ("tickers", ti), f"unknown ticker '{ticker}'", hint))
    seen: dict[str, int] = {}
    for ri, recipient in enumerate(item.recipients):
        address = recipient.email.casefold()
        if address in seen:
            line, _ = doc.locate(base + ("recipients", seen[address]))
            problems.append(
                doc.problem(
                    base + ("recipients", ri),
                    f"{recipient.email} is already on this list (line {line})",
                    "remove one of them",
                )
            )
        seen.setdefault(address, ri)
    if item.bcc and item.per_recipient:
        problems.append(
            doc.problem(
                base + ("bcc",),
                "bcc: true and per_recipient: true both keep the recipients from seeing each other",
                "keep one: bcc sends one message to the whole list, per_recipient one message each",
                key=True,
            )
        )
    if not (item.scorecards or item.sectors or item.tickers or item.season_summary or item.pack):
        problems.append(
            doc.problem(
                base,
                f"list '{name}' gets nothing",
                "add scorecards: all, sectors, tickers, season_summary: true or pack: true",
                key=True,
            )
        )
    elif not (chosen or item.season_summary or item.pack or item.tickers):
        problems.append(
            doc.problem(
                base,
                f"list '{name}' gets nothing: no company matches it",
                "check its sectors against the companies' sectors",
                key=True,
            )
        )
    line, col = doc.locate(base, key=True)
    ordered = sorted((c for c in cards if c.company.ticker in chosen), key=lambda c: c.company.name.lower())
    return MailingList(
        name,
        tuple(Recipient(r.email, r.name) for r in item.recipients),
        tuple(ordered),
        item.season_summary,
        item.pack,
        item.per_recipient,
        item.subject,
        f"{doc.path}:{line}:{col}",
        canonical_tag(item.language) if item.language else None,
        item.bcc and item.per_recipient is not True,
    ), problems


def _warning(problem: Problem) -> Problem:
    return Problem(problem.path, problem.line, problem.col, problem.field, problem.message, problem.hint, warning=True)


# --- pydantic errors, in words a user can act on -------------------------------------------

_HINTS = {
    "email": "write an address such as ada@example.com; a name goes in name:",
    "tickers": "a ticker such as AMZN",
    "lists": "list names are lower-case letters, digits and hyphens, e.g. tech-desk",
    "language": "a language tag such as zh-Hant, zh-Hans or en",
}


def _translate(doc: Document, error: ErrorDetails) -> Problem:
    return translate(doc, error, DistributionIn, _HINTS, {"email": "an e-mail address", "lists": "a list"})
