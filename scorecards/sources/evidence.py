"""What the other inputs say about a company: its SEC filing, consensus files and call transcripts.

They sit beside the company files (``inputs/`` by default)::

    inputs/sec/CIK0001318605.json            SEC companyfacts, found by company.cik (or company.companyfacts)
    inputs/consensus/*.csv                   consensus estimates, one provider-neutral layout (consensus.py)
    inputs/transcripts/<slug>-<period>.txt   call transcripts in speaker turns (transcripts.py)

``gather`` runs after a company file has validated and before its scorecard is computed:

- a figure written ``actual: filing`` is taken from the filing, which is added to the sources
  and cited; a typed figure the filing also gives is checked against it, and a difference
  beyond rounding at the precision typed is a warning naming both values;
- a consensus the file leaves out is taken from the consensus files, cited with the provider,
  the date and the number of estimates; one it gives is checked against them;
- every quote is checked against the call's transcript, and the topics of the call counted.

Compute then takes the evidence with the file: verified quotes, topic counts and standardised
surprises are part of the scorecard as it is made, never patched in afterwards.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from scorecards.errors import FilingError, Problem
from scorecards.load.validate import metric_for
from scorecards.load.yaml import Document, Loc
from scorecards.model.amounts import Amount
from scorecards.model.metrics import REGISTRY, Basis, Metric, same_at_precision
from scorecards.model.schema import FROM_FILING, FigureIn, QuarterIn, ScorecardIn, SourceIn, Window
from scorecards.model.scorecard import FilingCheck, PriceReaction, TopicCount, Value
from scorecards.settings import Settings
from scorecards.sources.consensus import ConsensusBook, Estimate, read_folder
from scorecards.sources.prices import PRICES_FOLDER, PriceBook, reaction_day, window
from scorecards.sources.sec import (
    CONCEPTS,
    CompanyFacts,
    Fact,
    Missing,
    Resolved,
    Span,
    cik_file_name,
    describe,
    filing_amount,
    filing_url,
    load_companyfacts,
    locate,
    period_span,
    resolve,
)
from scorecards.sources.transcripts import check_quote, count_topics, read_transcript, transcript_path

SEC_FOLDER = "sec"
CONSENSUS_FOLDER = "consensus"
TRANSCRIPTS_FOLDER = "transcripts"


@dataclass
class Evidence:
    """A company file with its figures filled in from the other inputs, and what they showed."""

    card: ScorecardIn
    problems: list[Problem]
    digest: str = ""  # of every other input used
    files: list[Path] = field(default_factory=list)  # the filing and transcripts read
    verified: set[tuple[int, int]] = field(default_factory=set)  # (quarter, quote) found in the transcript
    topics: dict[int, tuple[TopicCount, ...]] = field(default_factory=dict)
    transcripts: dict[int, str] = field(default_factory=dict)  # quarter -> transcript path
    spreads: dict[tuple[int, str], Estimate] = field(default_factory=dict)  # (quarter, metric) -> with a std dev
    # quarter -> typed figures checked against the filing, each with the ids of the filings' sources
    checks: dict[int, list[tuple[FilingCheck, tuple[str, ...]]]] = field(default_factory=dict)
    # (quarter, metric) -> the consensus files' rows behind the consensus, oldest first (ConsensusBook.history)
    histories: dict[tuple[int, str], tuple[Estimate, ...]] = field(default_factory=dict)
    reactions: dict[int, PriceReaction] = field(default_factory=dict)  # quarter -> measured from the price files

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]


def gather(
    doc: Document,
    card: ScorecardIn,
    path: Path,
    settings: Settings,
    book: ConsensusBook | None = None,
    prices: PriceBook | None = None,
) -> Evidence:
    """Fill in and check one validated company file from the inputs beside it."""
    folder = path.parent
    gatherer = _Gatherer(doc, card, folder, path.stem, settings)
    gatherer.filings()
    gatherer.consensus(book if book is not None else read_folder(folder / CONSENSUS_FOLDER))
    gatherer.transcripts()
    gatherer.prices(prices if prices is not None else PriceBook(folder / PRICES_FOLDER))
    return gatherer.evidence()


ABOUT = Decimal("0.10")  # '~200B' agrees with a figure within 10% of it


def agrees(typed: Amount, exact: Decimal) -> bool:
    """Whether a typed figure agrees with an exact one at the precision it was typed in ('>72B' and '~200B' too)."""
    if typed.qualifier == "~":
        return abs(exact - typed.value) <= abs(exact) * ABOUT
    if typed.qualifier == ">":
        return exact > typed.value
    if typed.qualifier == "<":
        return exact < typed.value
    return same_at_precision(typed.value, exact, typed.exponent)


def _grouped(value: Decimal) -> str:
    return f"{value:,f}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "provider"


class _Gatherer:
    def __init__(self, doc: Document, card: ScorecardIn, folder: Path, slug: str, settings: Settings):
        self.doc = doc
        self.card = card
        self.folder = folder
        self.slug = slug
        self.settings = settings
        self.quarters: list[QuarterIn] = list(card.quarters)
        self.sources: dict[str, SourceIn] = dict(card.sources)
        self.problems: list[Problem] = []
        self.digests: list[str] = []
        self.consensus_uses: dict[str, list[tuple[Estimate, str]]] = {}
        self.result = Evidence(card, self.problems)

    # --- bookkeeping ---

    def error(self, loc: Loc, message: str, hint: str = "") -> None:
        self.problems.append(self.doc.problem(loc, message, hint))

    def warn(self, loc: Loc, message: str, hint: str = "") -> None:
        self.problems.append(replace(self.doc.problem(loc, message, hint), warning=True))

    def update_figure(self, qi: int, key: str, changes: dict[str, Any]) -> None:
        quarter = self.quarters[qi]
        results = dict(quarter.results)
        results[key] = results[key].model_copy(update=changes)
        self.quarters[qi] = quarter.model_copy(update={"results": results})

    def update_guide(self, qi: int, gi: int, changes: dict[str, Any]) -> None:
        quarter = self.quarters[qi]
        guidance = list(quarter.guidance)
        guidance[gi] = guidance[gi].model_copy(update=changes)
        self.quarters[qi] = quarter.model_copy(update={"guidance": guidance})

    def add_source(self, preferred: str, source: SourceIn) -> str:
        sid, n = preferred, 1
        while sid in self.sources and self.sources[sid] != source:
            n += 1
            sid = f"{preferred}-{n}"
        self.sources[sid] = source
        return sid

    def evidence(self) -> Evidence:
        for sid, uses in self.consensus_uses.items():
            self.sources[sid] = _consensus_source(uses)
        digest = hashlib.sha256("\n".join(self.digests).encode()).hexdigest() if self.digests else ""
        card = self.card.model_copy(update={"sources": self.sources, "quarters": self.quarters})
        result = self.result
        result.card, result.problems, result.digest = card, sorted(self.problems), digest
        return result

    def _used(self, path: Path) -> None:
        """A file the scorecard takes from: part of its digest, and of what an earlier build's copy rests on."""
        self.digests.append(f"{path}:{hashlib.sha256(path.read_bytes()).hexdigest()}")
        self.result.files.append(path)

    # --- filings ---

    def _facts_location(self) -> tuple[Path | None, Loc]:
        company = self.card.company
        if company.companyfacts:
            return self.folder / company.companyfacts, ("company", "companyfacts")
        if company.cik is not None:
            return self.folder / SEC_FOLDER / cik_file_name(company.cik), ("company", "cik")
        return None, ("company",)

    def _outside(self, path: Path) -> bool:
        """Whether a filing's path leads out of the folder of company files (by '..', an absolute path or a link)."""
        inputs = os.path.realpath(self.folder)
        return os.path.commonpath([inputs, os.path.realpath(path)]) != inputs

    def filings(self) -> None:
        company = self.card.company
        taking = [
            (qi, key)
            for qi, q in enumerate(self.quarters)
            for key, fig in q.results.items()
            if fig.actual == FROM_FILING
        ]
        for qi, q in enumerate(self.quarters):
            for si, segment in enumerate(q.segments):
                for key, fig in segment.results.items():
                    if fig.actual == FROM_FILING:
                        self.error(
                            ("quarters", qi, "segments", si, "results", key, "actual"),
                            "a segment's figures are not in the company's filing facts",
                            "type the figure",
                        )
        path, loc = self._facts_location()
        if path is None:
            for qi, key in taking:
                self.error(
                    ("quarters", qi, "results", key, "actual"),
                    "no filing to take the figure from",
                    "set company.cik and run `scorecard fetch-sec " + company.ticker + "`, or set company.companyfacts",
                )
            return
        if self._outside(path):
            self.error(
                loc,
                f"{path} is outside {self.folder}{os.sep}, the folder of company files, where filings are read from",
                f"put the file in {self.folder / SEC_FOLDER}{os.sep} and name it relative to the company file",
            )
            return
        if not path.exists():
            hint = f"run `scorecard fetch-sec {company.cik or company.ticker}`" if company.cik else "check the path"
            if company.companyfacts or taking:
                self.error(loc, f"no companyfacts file {path}", hint)
            return  # a CIK without a downloaded file: nothing to check against yet
        try:
            facts = load_companyfacts(path)
        except FilingError as exc:
            self.error(loc, str(exc), "download the company's file with `scorecard fetch-sec`")
            return
        if company.cik is not None and facts.cik != company.cik:
            self.error(
                loc,
                f"{path} holds the facts of CIK {facts.cik} ({facts.name}), not of CIK {company.cik}",
                "check company.cik and company.companyfacts",
            )
            return
        self._used(path)
        for qi, quarter in enumerate(list(self.quarters)):
            try:
                span = period_span(
                    quarter.period, company.fiscal_year_end, company.fiscal_year_named_by, end=quarter.period_end
                )
            except FilingError:
                continue  # validation has reported the period
            span = locate(facts, span)  # the dates the company's own reports give the period
            for key, fig in quarter.results.items():
                metric = metric_for(key, fig)
                if metric is None:
                    continue
                loc = ("quarters", qi, "results", key, "actual")
                if fig.actual == FROM_FILING:
                    self._take(qi, key, fig, quarter, span, facts, metric.label, metric.basis)
                elif isinstance(fig.actual, Amount) and key in CONCEPTS and metric.basis is Basis.REPORTED:
                    found = resolve(facts, key, span, company.currency)
                    if not isinstance(found, Resolved):
                        continue
                    self._record_check(qi, metric, fig.actual, found, facts)
                    if not agrees(fig.actual, found.value):
                        self.warn(
                            loc,
                            f"{fig.actual.written} differs from the filing: {_filed_words(found)}",
                            "correct the figure, or write `actual: filing` to take the filing's",
                        )

    def _filing_source(self, facts: CompanyFacts, fact: Fact) -> str:
        """The source id of the filing a fact is in, added to the company's sources."""
        return self.add_source(
            f"sec-{fact.accession}",
            SourceIn(
                publisher="SEC EDGAR",
                title=f"{facts.name}, Form {fact.form}, accession no. {fact.accession}",
                date=fact.filed,
                url=filing_url(facts.cik, fact.accession),
            ),
        )

    def _record_check(self, qi: int, metric: Metric, typed: Amount, found: Resolved, facts: CompanyFacts) -> None:
        """A typed figure set beside the filing's, for the page: both values, the difference and the filing."""
        currency = self.card.company.currency
        filed = found.amount()
        less = found.less.fact if found.less is not None else None
        check = FilingCheck(
            metric,
            Value(typed, metric.kind, currency),
            Value(filed, metric.kind, currency),
            Value(_shortest(typed.value - found.value, found.per_share), metric.kind, currency, derived=True),
            agrees(typed, found.value),
            found.fact.form,
            found.fact.accession,
            found.fact.filed,
            found.url,
            found.derived,
            less.form if less else None,
            less.accession if less else None,
            less.filed if less else None,
            found.amended,
        )
        sources: tuple[str, ...] = (self._filing_source(facts, found.fact),)
        if less is not None:
            sources += (self._filing_source(facts, less),)
        self.result.checks.setdefault(qi, []).append((check, sources))

    def _take(
        self,
        qi: int,
        key: str,
        fig: FigureIn,
        quarter: QuarterIn,
        span: Span,
        facts: CompanyFacts,
        label: str,
        basis: Basis,
    ) -> None:
        loc = ("quarters", qi, "results", key, "actual")
        if key not in CONCEPTS:
            self.error(
                loc,
                f"{label} is not among the figures taken from filings",
                "filings give " + ", ".join(CONCEPTS) + "; type this one",
            )
            return
        if basis is not Basis.REPORTED:
            self.error(loc, f"{label} is declared {basis.value}, but filings give GAAP/IFRS figures", "remove `basis`")
            return
        found = resolve(facts, key, span, self.card.company.currency)
        if isinstance(found, Missing):
            self.error(
                loc,
                f"the filing gives no {label.lower() if label[1:2].islower() else label} for "
                f"{quarter.period} ({span.start} to {span.end}): {found.reason}",
                "type the figure",
            )
            return
        sid = self._filing_source(facts, found.fact)
        changes: dict[str, Any] = {"actual": found.amount(), "source": sid}
        if fig.consensus is not None and fig.consensus_source is None:
            changes["consensus_source"] = fig.source or quarter.source  # the consensus keeps its own citation
        words = describe(found)
        if words:
            words = words[0].upper() + words[1:] + "."
            changes["note"] = f"{fig.note} {words}" if fig.note else words
        self.update_figure(qi, key, changes)

    # --- consensus ---

    def consensus(self, book: ConsensusBook) -> None:
        company = self.card.company
        self.problems.extend(book.problems_for(company.ticker))
        if book.of(company.ticker):
            self.digests.append("consensus:" + book.digest(company.ticker))
        for qi, quarter in enumerate(list(self.quarters)):
            for key, fig in quarter.results.items():
                loc: Loc = ("quarters", qi, "results", key)
                estimate = self._estimate(book, quarter, quarter.period, key, fig.consensus, loc)
                if estimate is None:
                    continue
                if fig.consensus is None:
                    self.update_figure(qi, key, {"consensus": estimate.mean, "consensus_source": self._cite(estimate)})
                if estimate.std_dev is not None:
                    self.spreads[(qi, key)] = estimate
                self.result.histories[(qi, key)] = tuple(book.history(estimate, quarter.reported))
            for gi, guide in enumerate(quarter.guidance):
                loc = ("quarters", qi, "guidance", gi)
                estimate = self._estimate(book, quarter, guide.period, guide.metric, guide.consensus, loc)
                if estimate is not None and guide.consensus is None:
                    self.update_guide(qi, gi, {"consensus": estimate.mean, "consensus_source": self._cite(estimate)})

    @property
    def spreads(self) -> dict[tuple[int, str], Estimate]:
        return self.result.spreads

    def _estimate(
        self, book: ConsensusBook, quarter: QuarterIn, period: str, key: str, typed: Amount | None, loc: Loc
    ) -> Estimate | None:
        """The estimate to use or to agree with; None (after warning, if they differ) otherwise."""
        company = self.card.company
        estimate, after = book.choose(company.ticker, period, key, quarter.reported)
        if estimate is None:
            if after and typed is None:
                first = min(after, key=lambda e: e.as_of)
                self.warn(
                    loc,
                    f"the consensus files have {key} for {period} only from after the report "
                    f"({first.where}, as of {first.as_of}); not used",
                    "a consensus is the estimate before the report",
                )
            return None
        if estimate.mean.currency and estimate.mean.currency != company.currency:
            self.problems.append(
                Problem(
                    estimate.path,
                    estimate.line,
                    0,
                    "mean",
                    f"amount in {estimate.mean.currency}, but {company.ticker} reports in {company.currency}",
                    "write the estimate in the reporting currency",
                )
            )
            return None
        if typed is not None and not same_at_precision(
            typed.value, estimate.mean.value, max(typed.exponent, estimate.mean.exponent)
        ):
            self.warn(
                loc + ("consensus",),
                f"{typed.written} differs from the consensus file: {estimate.provider}'s "
                f"mean is {estimate.mean.written} as of {estimate.as_of} ({estimate.where})",
                "correct one of them, or leave the consensus out here to take the file's",
            )
            return None
        return estimate

    def _cite(self, estimate: Estimate) -> str:
        sid = f"consensus-{_slug(estimate.provider)}-{estimate.as_of.isoformat()}"
        while sid in self.card.sources:
            sid += "-csv"
        self.consensus_uses.setdefault(sid, []).append((estimate, estimate.metric))
        return sid

    # --- prices ---

    def prices(self, book: PriceBook) -> None:
        """The reaction to each reported quarter, measured from the company's closing prices over the standard
        window; a typed one-day or two-day reaction is checked against them."""
        company, settings = self.card.company, self.settings
        own, problems = book.series(company.ticker)
        self.problems.extend(problems)
        if own is None:
            return
        self._used(Path(own.path))
        index, index_problems = book.series(settings.price_index)
        self.problems.extend(replace(p, warning=True) for p in index_problems)  # the company's figures stand
        if index is not None:
            self._used(Path(index.path))
        before, after = settings.reaction_sessions_before, settings.reaction_sessions_after
        for qi, quarter in enumerate(self.quarters):
            if quarter.reported is None or quarter.timing is None or _still_to_report(quarter):
                continue
            day0 = reaction_day(own, quarter.reported, quarter.timing)
            move = None if day0 is None else window(own, day0, before, after)
            if day0 is None or move is None:
                continue
            one = window(own, day0, 1, 1)
            index_change = None
            if index is not None:
                start, end = index.close_on(move.start), index.close_on(move.end)
                if start is not None and end is not None:
                    index_change = (end / start - 1) * 100
            check = ""
            typed = quarter.reaction
            measured = {Window.ONE_DAY: one.pct if one else None, Window.TWO_DAY: move.pct}
            if typed is not None and measured.get(typed.window) is not None:
                value = measured[typed.window]
                assert value is not None
                check = "agrees" if agrees(typed.change, value) else "differs"
                if check == "differs":
                    self.warn(
                        ("quarters", qi, "reaction", "change"),
                        f"{typed.change.written} differs from the closing prices in {own.path}: "
                        f"{value:+.2f}% over the {typed.window.value} window",
                        "check the reaction and its window against the prices",
                    )
            self.result.reactions[qi] = PriceReaction(
                own.dates[day0],
                move.start,
                move.end,
                move.pct,
                before,
                after,
                one.pct if one else None,
                settings.price_index,
                index_change,
                check,
                own.path,
            )

    # --- transcripts ---

    def transcripts(self) -> None:
        folder = self.folder / TRANSCRIPTS_FOLDER
        if not folder.is_dir():
            return
        expected: set[str] = set()
        for qi, quarter in enumerate(self.quarters):
            path = transcript_path(folder, self.slug, quarter.period)
            expected.add(path.name)
            if not (path.exists() or path.is_symlink()):  # a FIFO or a link to /dev/zero is reported, not skipped
                continue
            transcript, problems = read_transcript(path, str(path))
            self.problems.extend(problems)
            if transcript is None:
                continue
            self._used(path)
            self.result.transcripts[qi] = str(path)
            self.result.topics[qi] = count_topics(transcript, self.settings.topics)
            for k, quote in enumerate(quarter.call.quotes if quarter.call else []):
                check = check_quote(transcript, quote.text, quote.speaker)
                loc = ("quarters", qi, "call", "quotes", k)
                if not check.found:
                    hint = (
                        f"the closest passage reads “{check.nearest}”"
                        if check.nearest
                        else "check the wording against the transcript"
                    )
                    self.warn(loc + ("text",), f"not found in the call transcript {path}", hint)
                elif not check.speaker_ok:
                    self.warn(
                        loc + ("speaker",),
                        f"in {path} this is said by {check.said_by}, not {quote.speaker}",
                        "check the speaker",
                    )
                else:
                    self.result.verified.add((qi, k))
        for other in sorted(folder.glob(f"{self.slug}-*.txt")):
            rest = other.stem[len(self.slug) + 1 :]
            if other.name not in expected and re.match(r"^(q[1-4]|h[12]|fy)", rest, re.IGNORECASE):
                names = ", ".join(sorted(expected)) or "none"
                self.problems.append(
                    Problem(
                        str(other),
                        1,
                        0,
                        "",
                        f"matches no quarter of {self.slug}",
                        f"name a transcript after the company file and the period: {names}",
                        warning=True,
                    )
                )


def _shortest(value: Decimal, per_share: bool) -> Amount:
    """An exact difference in its own scale, without trailing zeros: -29000000 -> -29M, 0.005 a share -> 0.005."""
    amount = filing_amount(value, per_share=per_share)
    if per_share:
        return amount
    exponent = amount.mantissa.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return replace(amount, mantissa=amount.mantissa.quantize(Decimal(1).scaleb(-places)))


def _still_to_report(quarter: QuarterIn) -> bool:
    figures = list(quarter.results.values())
    return bool(figures) and all(f.actual is None for f in figures)


def _filed_words(found: Resolved) -> str:
    fact = found.fact
    how = ", derived from year-to-date figures" if found.derived else ""
    return f"{_grouped(found.value)} {found.unit} in {fact.form} {fact.accession} (filed {fact.filed}{how})"


def _consensus_source(uses: list[tuple[Estimate, str]]) -> SourceIn:
    first = uses[0][0]
    counts = {key: e.estimates for e, key in uses}
    title = f"Consensus: {first.provider}, as of {first.as_of.isoformat()}"
    known = {n for n in counts.values() if n is not None}
    if len(known) == 1 and all(n is not None for n in counts.values()):
        n = known.pop()
        title += f", {n} estimate{'s' if n != 1 else ''}"
    elif known:
        title += ": " + ", ".join(
            f"{_metric_words(key)} {n} estimate{'s' if n != 1 else ''}" for key, n in counts.items() if n is not None
        )
    files = sorted({e.path for e, _ in uses})
    return SourceIn(publisher=first.provider, title=title, date=first.as_of, note="from " + ", ".join(files))


def _metric_words(key: str) -> str:
    metric = REGISTRY[key]
    label = metric.label.replace(" (diluted)", "")
    if label[1:2].islower():
        label = label[0].lower() + label[1:]
    return label + (" (adjusted)" if metric.basis is Basis.ADJUSTED else "")
