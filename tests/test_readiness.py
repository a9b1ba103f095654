"""The ready-to-send gate (compute/readiness.py): each reason a scorecard is held, and what holding does to the index,
the build's output, `scorecard email` and `validate --strict`."""

import datetime as dt
import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from email import policy
from email.parser import BytesParser

import pytest
from conftest import REPO

from scorecards.build.corpus import cards_only, load_all
from scorecards.build.site import holds_by_slug
from scorecards.compute.company import build_scorecard
from scorecards.compute.readiness import Reason, readiness
from scorecards.deliver.compose import Composer, held_warnings
from scorecards.deliver.lists import MailingList, Recipient
from scorecards.load.validate import validate
from scorecards.load.yaml import parse_yaml
from scorecards.model.scorecard import Quote
from scorecards.render.filters import hold
from scorecards.settings import EmailSettings, Settings

COMPANIES = REPO / "tests" / "inputs" / "companies"
NOW = dt.datetime(2026, 2, 6, 7, 30, tzinfo=dt.UTC)

READY = """\
company: {name: Example Corp, ticker: EXM, sector: Industrials, currency: USD, fiscal_year_end: "12-31"}
sources:
  pr: {publisher: Example Corp, title: Results, date: 2026-02-05}
quarters:
  - period: Q4 FY2025
    period_end: 2025-12-31
    reported: 2026-02-05
    source: pr
    results:
      revenue: {actual: 777.7M, consensus: 640.07M}
"""


def card(text=READY, slug="exm"):
    return build_scorecard(slug, validate(parse_yaml(textwrap.dedent(text).encode(), f"{slug}.yaml")), Settings())


def reasons(c, language="en", **kw):
    return [h.reason for h in readiness(c, language, **kw).holds]


def test_a_complete_scorecard_is_ready():
    assert readiness(card(), "en").ready


def test_no_reported_date_holds_it():
    c = card(READY.replace("    reported: 2026-02-05\n", ""))
    assert reasons(c) == [Reason.NO_REPORTED_DATE]
    assert hold(readiness(c, "en").holds[0]) == "no reported date"


def test_no_results_and_no_guidance_holds_it_and_so_does_no_quarter():
    empty = card(READY.split("    results:", maxsplit=1)[0])
    assert reasons(empty) == [Reason.NO_FIGURES]
    none = card(READY.split("quarters:", maxsplit=1)[0] + "quarters: []\n")
    assert reasons(none) == [Reason.NO_FIGURES]


def test_guidance_alone_is_enough():
    c = card(
        READY.split("    results:", maxsplit=1)[0]
        + "    guidance:\n      - {metric: capex, period: FY2026, value: 200B}\n"
    )
    assert readiness(c, "en").ready


def test_an_unverified_quote_holds_it_only_where_a_transcript_exists():
    q = card().latest
    said = Quote("Jane Doe", "CEO", "We grew.", (1,), verified=False)
    without = replace(card(), quarters=(replace(q, quotes=(said,)),))
    assert readiness(without, "en").ready  # nothing to check it against
    checked = replace(card(), quarters=(replace(q, quotes=(said,), transcript="transcripts/exm.txt"),))
    [held] = readiness(checked, "en").holds
    assert held.reason is Reason.UNVERIFIED_QUOTE and held.items == ("Jane Doe",)
    verified = replace(checked, quarters=(replace(checked.latest, quotes=(replace(said, verified=True),)),))
    assert readiness(verified, "en").ready


def test_text_missing_in_the_readers_language_holds_it_for_that_language_only():
    c = card(READY + "    notes:\n      - {en: One-time charges., zh-Hant: 一次性費用。}\n      - Only in English.\n")
    assert readiness(c, "en").ready
    [held] = readiness(c, "zh-Hant").holds
    assert (held.reason, held.items, held.counts, held.language) == (
        Reason.MISSING_LANGUAGE,
        ("note",),
        (1,),
        "zh-Hant",
    )
    assert hold(held) == "text not given in Chinese (Traditional): 1 note"
    both = card(READY + "    notes:\n      - {en: One-time charges., zh-Hant: 一次性費用。}\n")
    assert readiness(both, "zh-Hant").ready


def test_overflowing_pages_from_the_layout_check_hold_it():
    [held] = readiness(card(), "en", overflow=[2, 1, 2]).holds
    assert held.reason is Reason.OVERFLOW and held.items == ("1", "2")
    assert hold(held) == "ink outside the page's safe area on page 1 and 2"


# --- `scorecard new`, validate --strict, the index ------------------------------------------------


@pytest.fixture
def project(tmp_path):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(COMPANIES, tmp_path / "inputs")
    return tmp_path


def run(project, *args):
    return subprocess.run(
        [sys.executable, "-m", "scorecards", *args], cwd=project, capture_output=True, text=True, timeout=300
    )


def test_a_fresh_scorecard_new_is_held_for_its_placeholders_and_fails_validate_strict(project):
    assert run(project, "new", "NVDA").returncode == 0
    plain = run(project, "validate", "inputs/nvda.yaml")
    assert plain.returncode == 0 and "0 errors, 3 warnings" in plain.stdout
    strict = run(project, "validate", "--strict", "inputs/nvda.yaml")
    assert strict.returncode == 1
    assert "inputs/nvda.yaml:9:9: warning: company.name: 'NVDA Inc.' is the placeholder `scorecard new` wrote" in (
        strict.stderr
    )
    assert "sources.example-2026-02-05: 'example-2026-02-05' is the example source" in strict.stderr
    [nvda] = [c for c in cards_only(load_all(Settings(inputs=project / "inputs"))) if c.company.ticker == "NVDA"]
    assert reasons(nvda) == [Reason.NO_FIGURES, Reason.PLACEHOLDERS]
    assert nvda.placeholders == ("company.name", "sources.example-2026-02-05", "sources.example-2026-02-05.title")


def test_the_index_and_the_build_output_show_holds(project):
    result = run(project, "build", "--format", "html")
    assert result.returncode == 0, result.stderr
    assert "held: sony (no reported date)" in result.stderr
    assert "held: bloom-energy" not in result.stderr
    index = (project / "build" / "index.html").read_text()
    assert "1 ready to send · 1 held" in index
    assert '<td class="held">Held: no reported date</td>' in index


def test_holds_by_slug_lists_the_reasons_of_every_language_built():
    cards = cards_only(load_all(Settings(inputs=COMPANIES)))
    holds = holds_by_slug(cards, ["en", "zh-Hant"])
    assert [h.reason for h in holds["sony"]] == [Reason.NO_REPORTED_DATE, Reason.MISSING_LANGUAGE]
    assert [h.reason for h in holds["bloom-energy"]] == [Reason.MISSING_LANGUAGE]
    assert holds_by_slug(cards, ["en"]).keys() == {"sony"}


# --- e-mail -----------------------------------------------------------------------------------------


@pytest.fixture
def outbox(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    for name in ("bloom-energy.pdf", "sony.pdf", "nvda.pdf", "season.pdf", "season-book.pdf"):
        (build / name).write_bytes(b"%PDF-1.7\n" + name.encode() * 20 + b"\n%%EOF\n")
    return tmp_path


def composer(tmp_path, cards, include_held=False):
    settings = Settings(inputs=COMPANIES, build=tmp_path / "build", templates=REPO / "templates", email=EmailSettings())
    return Composer(settings, cards, tmp_path / "build" / "outbox", None, now=lambda: NOW, include_held=include_held)


def desk(cards, **kw):
    fields = {"season_summary": False, "pack": False, "per_recipient": None, "subject": None, "where": "d.yaml:2:3"}
    return MailingList("desk", (Recipient("ada@example.com"),), tuple(cards), **(fields | kw))


@pytest.fixture(scope="module")
def cards():
    return {c.company.ticker: c for c in cards_only(load_all(Settings(inputs=COMPANIES)))}


def test_email_leaves_held_scorecards_out_and_says_so(outbox, cards):
    c = composer(outbox, list(cards.values()))
    lists = [desk([cards["BE"], cards["SONY"]])]
    [message] = c.compose(lists[0])
    assert message.attachments == ("BE-Q4-FY2025-scorecard.pdf",)
    assert held_warnings(c, lists, [message]) == ["list 'desk': left out 1 held scorecard (SONY: no reported date)"]


def test_a_list_whose_every_scorecard_is_held_gets_nothing_and_is_named(outbox, cards):
    c = composer(outbox, list(cards.values()))
    lists = [desk([cards["SONY"]])]
    assert c.compose(lists[0]) == []
    warnings = held_warnings(c, lists, [])
    assert warnings[-1].startswith("list 'desk': nothing to send (every scorecard it gets is held")


def test_include_held_sends_them_with_their_reasons(outbox, cards):
    [message] = composer(outbox, list(cards.values()), include_held=True).compose(desk([cards["BE"], cards["SONY"]]))
    assert message.attachments == ("BE-Q4-FY2025-scorecard.pdf", "SONY-Q3-FY2025-scorecard.pdf")
    msg = BytesParser(policy=policy.default).parsebytes(message.data)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert part.count("Held, not ready to send: no reported date.") == 1  # Sony's, not Bloom Energy's


def test_the_subject_counts_only_the_companies_of_the_season(outbox, cards, tmp_path):
    other = card(READY.replace("Q4 FY2025", "Q3 FY2025").replace("2025-12-31", "2025-09-30"), "old")
    empty = card(READY.split("quarters:", maxsplit=1)[0] + "quarters: []\n", "nvda")
    everyone = [*cards.values(), other, empty]
    [message] = composer(outbox, everyone, include_held=True).compose(desk([], season_summary=True, pack=True))
    assert message.subject == "Earnings scorecards and season summary, Q4 2025 season: 2 companies"


def test_overflow_found_by_a_layout_check_holds_it_in_the_index_for_that_language():
    cards = cards_only(load_all(Settings(inputs=COMPANIES)))
    holds = holds_by_slug(cards, ["en"], overflow={("bloom-energy", "en"): [2], ("bloom-energy", "zh-Hant"): [1]})
    assert [(h.reason, h.items) for h in holds["bloom-energy"]] == [(Reason.OVERFLOW, ("2",))]
