"""The ready-to-send gate: is a scorecard one an analyst would e-mail as it is, and if not, why it is held.

A scorecard is *ready*, or *held* with every reason at once (the index and the build's output list them, and
``scorecard email`` leaves held scorecards out unless told ``--include-held``):

- the latest quarter has no results and no guidance (or there is no quarter at all);
- fields still hold the placeholders ``scorecard new`` wrote;
- the latest quarter has no ``reported:`` date;
- a quote is not found in the call transcript the quarter has;
- free text (a note, a highlight, a label, a segment name) is not given in the reader's language;
- a page of its PDF overflows: the layout check reports the pages (``overflow``), this module only says so.

Judged on what the reader gets: the latest quarter, which the scorecard shows in full.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum

from scorecards.model.scorecard import Figure, Guide, Kpi, Quarter, Scorecard
from scorecards.model.text import lacks


class Reason(str, Enum):
    NO_FIGURES = "no-figures"
    PLACEHOLDERS = "placeholders"
    NO_REPORTED_DATE = "no-reported-date"
    UNVERIFIED_QUOTE = "unverified-quote"
    MISSING_LANGUAGE = "missing-language"
    OVERFLOW = "overflow"


@dataclass(frozen=True)
class Hold:
    """One reason a scorecard is held, with what it concerns: fields, quote speakers, kinds of text (with how many of
    each in ``counts``) or page numbers."""

    reason: Reason
    items: tuple[str, ...] = ()
    language: str | None = None  # for MISSING_LANGUAGE: the language the texts are missing in
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Readiness:
    holds: tuple[Hold, ...]

    @property
    def ready(self) -> bool:
        return not self.holds


def readiness(card: Scorecard, language: str, overflow: Iterable[int] = ()) -> Readiness:
    """Whether ``card`` is ready to send to readers of ``language``; ``overflow``: the pages of its PDF in that
    language whose ink runs outside the page's safe area, as the layout check found them."""
    holds: list[Hold] = []
    q = card.latest
    if q is None or not (q.figures or q.guidance):
        holds.append(Hold(Reason.NO_FIGURES))
    if card.placeholders:
        holds.append(Hold(Reason.PLACEHOLDERS, card.placeholders))
    if q is not None and q.reported is None:
        holds.append(Hold(Reason.NO_REPORTED_DATE))
    if q is not None and q.transcript is not None:
        unverified = tuple(dict.fromkeys(quote.speaker for quote in q.quotes if not quote.verified))
        if unverified:
            holds.append(Hold(Reason.UNVERIFIED_QUOTE, unverified))
    if q is not None:
        missing = Counter(kind for kind, text in free_texts(q) if lacks(text, language))
        if missing:
            kinds = tuple(kind for kind in TEXT_KINDS if kind in missing)
            holds.append(Hold(Reason.MISSING_LANGUAGE, kinds, language, tuple(missing[k] for k in kinds)))
    pages = tuple(str(page) for page in sorted(set(overflow)))
    if pages:
        holds.append(Hold(Reason.OVERFLOW, pages))
    return Readiness(tuple(holds))


TEXT_KINDS = ("segment", "label", "note", "highlight")


def free_texts(q: Quarter) -> Iterator[tuple[str, object]]:
    """The free text a quarter's page shows, each with its kind (``TEXT_KINDS``): segment names, labels of metrics
    the file declares, notes (on figures, the reaction, the quarter), call highlights. Quotes are shown as said,
    and source titles as published, so neither is asked for in other languages."""
    items: list[Figure | Kpi | Guide] = [*q.figures, *q.kpis]
    for seg in q.segments:
        yield "segment", seg.name
        items += [*seg.figures, *seg.kpis]
    for item in [*items, *q.guidance]:
        yield "label", item.metric.label
        yield "note", item.note
        for alt in item.alternatives:
            yield "note", alt.note
    if q.reaction is not None:
        yield "note", q.reaction.note
    for h in q.highlights:
        yield "highlight", h.text
    for n in q.notes:
        yield "note", n.text
