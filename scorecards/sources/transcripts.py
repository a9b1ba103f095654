"""Earnings-call transcripts: checking quotes against what was said, and counting topics.

A transcript is ``inputs/transcripts/<slug>-<period>.txt``: the company file's name, then the
period in lower case with a hyphen for the space (``sitime-q4-fy2025.txt`` for Q4 FY2025 of
``inputs/sitime.yaml``; ``sony-fy2025.txt``, ``coherent-h1-fy2026.txt``). It is plain UTF-8
text in speaker turns: a line with the speaker's name, optionally a dash and their role, and a
colon, then what they said::

    SiTime Q4 2025 earnings call, 4 February 2026        <- anything before the first turn
    Operator:
    Good afternoon and welcome ...

    Jane Doe — Chief Executive Officer:
    Thank you. We grew revenue 66% ...

A speaker line holds nothing after the colon, and every word of the name starts with a capital
(so "We see three drivers:" in a paragraph is not taken for a speaker).

>>> matches("We grew 66%.", "Thank you. We grew 66%, a record.")
True
>>> matches("“Demand is strong” — really", 'said "demand is strong" - really')
True
>>> matches("We grew 77%.", "Thank you. We grew 66%, a record.")
False
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from scorecards.errors import Problem
from scorecards.files import read_input
from scorecards.model.scorecard import Quarter, Scorecard, TopicCount

MAX_BYTES = 5_000_000  # an hour's call is ~100 KB of text

_QUOTES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
    }
)
_DASHES = re.compile(r"\s*(?:--|[‐‑‒–—―−-])\s*")
_PARTICLES = {
    "de",
    "da",
    "di",
    "del",
    "der",
    "van",
    "von",
    "la",
    "le",
    "du",
    "dos",
    "das",
    "bin",
    "al",
    "y",
    "and",
    "of",
}
_SPEAKER = re.compile(r"^(?P<name>[^:]{1,60}?)(?:\s+(?:--|[—–-])\s+(?P<role>[^:]{1,120}?))?\s*:\s*$")


def period_slug(period: str) -> str:
    """'Q4 FY2025' -> 'q4-fy2025' (the period as it is spelled in transcript file names)."""
    return re.sub(r"\s+", "-", period.strip().lower())


def transcript_path(folder: Path, slug: str, period: str) -> Path:
    """Where the transcript of one company's quarter is: <folder>/<slug>-<period>.txt."""
    return folder / f"{slug}-{period_slug(period)}.txt"


@dataclass(frozen=True)
class Turn:
    speaker: str
    role: str | None
    text: str
    line: int  # of the speaker line


@dataclass(frozen=True)
class Transcript:
    path: str
    turns: tuple[Turn, ...]  # empty when the file has no speaker lines: then ``text`` is all there is
    text: str  # what was said (speaker lines and the header left out)

    @property
    def has_speakers(self) -> bool:
        return bool(self.turns)


def parse_transcript(text: str, path: str = "") -> Transcript:
    turns: list[Turn] = []
    current: tuple[str, str | None, int] | None = None
    body: list[str] = []
    header: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        speaker = _speaker(line)
        if speaker is not None:
            if current is not None:
                turns.append(Turn(current[0], current[1], "\n".join(body).strip(), current[2]))
            current, body = (speaker[0], speaker[1], number), []
        elif current is None:
            header.append(line)
        else:
            body.append(line)
    if current is not None:
        turns.append(Turn(current[0], current[1], "\n".join(body).strip(), current[2]))
    spoken = "\n\n".join(t.text for t in turns) if turns else "\n".join(header)
    return Transcript(path, tuple(turns), spoken)


def _speaker(line: str) -> tuple[str, str | None] | None:
    match = _SPEAKER.match(line.strip())
    if not match:
        return None
    name = match["name"].strip()
    words = name.split()
    if not 1 <= len(words) <= 6 or re.search(r"[,;!?\"“”()]|\d", name):
        return None
    if any(w[0].islower() and w not in _PARTICLES for w in words):
        return None
    return name, (match["role"].strip() if match["role"] else None)


def read_transcript(path: Path, display: str) -> tuple[Transcript | None, list[Problem]]:
    try:
        raw = read_input(path, MAX_BYTES, size_hint="a call transcript is a few hundred kilobytes")
    except OSError as exc:  # also a FIFO, a device or a file over the limit (RefusedInput), refused unread
        return None, [
            Problem(display, 1, 0, "", f"cannot read the transcript: {exc.strerror}", getattr(exc, "hint", ""))
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            Problem(
                display, line, 0, "", f"byte 0x{raw[exc.start]:02x} is not UTF-8 text", "save the transcript as UTF-8"
            )
        ]
    transcript = parse_transcript(text, display)
    problems = []
    if not transcript.has_speakers:
        problems.append(
            Problem(
                display,
                1,
                0,
                "",
                "no speaker lines found, so quotes are checked against the whole text without their speakers",
                "start each turn with a line 'Name — Role:'",
                warning=True,
            )
        )
    return transcript, problems


# --- quotes ------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Text as compared: typographic quotes and dashes made plain, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _DASHES.sub("-", text)
    return re.sub(r"\s+", " ", text).strip()


def _parts(quote: str) -> list[str]:
    """The pieces of a quote to find in order: split at ellipses, outer quotes and end punctuation dropped."""
    text = normalise(quote).strip("\"' ")
    pieces = [p.strip(" \"'").strip(" ,;:") for p in re.split(r"\.\.\.|\[\.\.\.\]", text)]
    pieces = [re.sub(r"[.,;:!?]+$", "", p).strip() for p in pieces]
    return [p for p in pieces if p]


def _pattern(piece: str) -> re.Pattern[str]:
    """A piece, any case for its first letter, spaces flexible."""
    first, rest = piece[0], piece[1:]
    head = f"[{re.escape(first.upper())}{re.escape(first.lower())}]" if first.isalpha() else re.escape(first)
    return re.compile(head + re.escape(rest).replace(r"\ ", r"\s+"))


def matches(quote: str, said: str) -> bool:
    """Whether ``quote`` appears in ``said``: tolerant of spacing, typographic quotes and dashes, the
    case of the first letter, end punctuation, and '...' for words left out."""
    parts = _parts(quote)
    if not parts:
        return False
    text = normalise(said)
    position = 0
    for piece in parts:
        found = _pattern(piece).search(text, position)
        if found is None:
            return False
        position = found.end()
    return True


@dataclass(frozen=True)
class QuoteCheck:
    found: bool
    speaker_ok: bool  # found in a turn of the quoted speaker (or the transcript names none)
    said_by: str | None  # who says it in the transcript, when not the quoted speaker
    nearest: str | None  # the closest passage, when not found


def same_person(quoted: str, speaker: str) -> bool:
    """'Jassy' and 'Andy Jassy' are the same person; 'Operator' and 'Jane Doe' are not."""

    def words(name: str) -> set[str]:
        return {w for w in re.findall(r"\w+", normalise(name).lower()) if len(w) > 1} - {"mr", "ms", "mrs", "dr"}

    return bool(words(quoted) & words(speaker))


def check_quote(transcript: Transcript, text: str, speaker: str) -> QuoteCheck:
    if not transcript.has_speakers:
        found = matches(text, transcript.text)
        return QuoteCheck(found, True, None, None if found else nearest(transcript, text))
    turns = [t for t in transcript.turns if matches(text, t.text)]
    if not turns:
        return QuoteCheck(False, False, None, nearest(transcript, text))
    if any(same_person(speaker, t.speaker) for t in turns):
        return QuoteCheck(True, True, None, None)
    other = turns[0]
    return QuoteCheck(True, False, other.speaker + (f" ({other.role})" if other.role else ""), None)


def nearest(transcript: Transcript, quote: str, limit: int = 4000) -> str | None:
    """The passage most like ``quote``, for a hint; None if nothing is close."""
    wanted = " ".join(_parts(quote)).lower()
    size = len(wanted.split())
    if not size:
        return None
    step = max(1, size // 3)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)

    def score(words: list[str], i: int) -> float:
        matcher.set_seq1(" ".join(words[i : i + size]).lower())
        return matcher.ratio() if matcher.real_quick_ratio() > 0.6 and matcher.quick_ratio() > 0.6 else 0.0

    best, best_words, best_i, tried = 0.0, [], 0, 0
    for body in [t.text for t in transcript.turns] or [transcript.text]:
        words = normalise(body).split()
        for i in range(0, max(1, len(words) - size + 1), step):  # coarse pass, then refine around the best
            tried += 1
            if tried > limit:
                break
            ratio = score(words, i)
            if ratio > best:
                best, best_words, best_i = ratio, words, i
    if best <= 0.6:
        return None
    for i in range(max(0, best_i - step), min(len(best_words) - size, best_i + step) + 1):
        ratio = score(best_words, i)
        if ratio > best:
            best, best_i = ratio, i
    return " ".join(best_words[best_i : best_i + size])


# --- topics ------------------------------------------------------------------------------------


def _term_pattern(term: str) -> re.Pattern[str]:
    """Whole words; case-sensitive for acronyms written in capitals (AI), otherwise not."""
    words = normalise(term)
    letters = [c for c in words if c.isalpha()]
    acronym = len(letters) >= 2 and all(c.isupper() for c in letters)
    body = re.escape(words).replace(r"\ ", r"\s+")
    return re.compile(rf"(?<!\w){body}(?!\w)", 0 if acronym else re.IGNORECASE)


def count_topics(transcript: Transcript, topics: dict[str, list[str]]) -> tuple[TopicCount, ...]:
    """Mentions per topic in what was said: each place counted once, however many of its terms match there."""
    text = normalise(transcript.text)
    out = []
    for topic, terms in topics.items():
        taken: list[tuple[int, int]] = []
        for term in sorted(terms, key=len, reverse=True):
            if not term.strip():
                continue
            for found in _term_pattern(term).finditer(text):
                start, end = found.span()
                if not any(start < e and s < end for s, e in taken):
                    taken.append((start, end))
        out.append(TopicCount(topic, len(taken)))
    return tuple(out)


@dataclass(frozen=True)
class TopicMentions:
    """One topic across a set of scorecards, for a season summary."""

    topic: str
    companies: tuple[str, ...]  # tickers of the companies whose call mentioned it, in the order given
    mentions: int  # mentions across those calls
    transcripts: int  # companies with a transcript for the quarter looked at: the denominator


def companies_mentioning(
    cards: Iterable[Scorecard], quarter: Callable[[Scorecard], Quarter | None] = lambda card: card.latest
) -> tuple[TopicMentions, ...]:
    """How many companies mentioned each topic on their call (by default, each company's latest quarter).

    Companies without a transcript for that quarter count neither way; ``transcripts`` says how
    many had one. Topics are in the order of the ``topics`` setting.
    """
    order: list[str] = []
    tally: dict[str, tuple[list[str], int]] = {}
    with_transcript = 0
    for card in cards:
        q = quarter(card)
        if q is None or q.transcript is None:
            continue
        with_transcript += 1
        for count in q.topics:
            if count.topic not in tally:
                order.append(count.topic)
                tally[count.topic] = ([], 0)
            companies, total = tally[count.topic]
            if count.mentions:
                companies.append(card.company.ticker)
            tally[count.topic] = (companies, total + count.mentions)
    return tuple(TopicMentions(t, tuple(tally[t][0]), tally[t][1], with_transcript) for t in order)
