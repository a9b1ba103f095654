"""Call transcripts: speaker turns, quotes checked against what was said, topics counted."""

import shutil
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.corpus import load_all, read_company
from scorecards.model.scorecard import TopicCount
from scorecards.render.templates import make_env, render_company
from scorecards.settings import DEFAULT_TOPICS, Settings
from scorecards.sources.transcripts import (
    check_quote,
    companies_mentioning,
    count_topics,
    matches,
    parse_transcript,
    period_slug,
    transcript_path,
)

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
TRANSCRIPT = FIXTURES / "transcripts" / "exm-q4-fy2024.txt"
TOPICS = {topic: list(terms) for topic, terms in DEFAULT_TOPICS.items()}


@pytest.fixture(scope="module")
def call():
    return parse_transcript(TRANSCRIPT.read_text("utf-8"), str(TRANSCRIPT))


def test_file_names_spell_the_period_in_lower_case_with_hyphens(tmp_path):
    assert period_slug("Q4 FY2025") == "q4-fy2025"
    assert period_slug("FY2025") == "fy2025"
    assert transcript_path(tmp_path, "sitime", "Q4 FY2025") == tmp_path / "sitime-q4-fy2025.txt"


def test_turns_by_speaker_and_role(call):
    assert [(t.speaker, t.role) for t in call.turns] == [
        ("Operator", None),
        ("Jane Doe", "Chief Executive Officer"),
        ("John Roe", "Chief Financial Officer"),
        ("Operator", None),
        ("Ann Analyst", "Example Research"),
        ("Jane Doe", "Chief Executive Officer"),
    ]
    assert call.turns[1].line == 7
    assert "earnings call, 6 February" not in call.text  # the header is not what was said


def test_a_sentence_ending_in_a_colon_is_not_a_speaker():
    call = parse_transcript(
        "Jane Doe - CEO:\nWe see three drivers:\nprice, volume and mix.\nJohn O'Neil -- CFO:\nThanks."
    )
    assert [t.speaker for t in call.turns] == ["Jane Doe", "John O'Neil"]
    assert "We see three drivers:" in call.turns[0].text


@pytest.mark.parametrize(
    "quote",
    [
        "Demand for our AI data center products has never been stronger.",
        "demand for our AI data center products has never been stronger",  # first letter, end punctuation
        "Demand  for our AI data\ncenter products has never been stronger.",  # spacing
        "“Demand for our AI data center products has never been stronger.”",  # typographic quotes
        "Demand for our AI data center products ... never been stronger.",  # words left out
        "Most of it. AI is now our largest end market",
    ],
)
def test_quotes_that_were_said(call, quote):
    assert check_quote(call, quote, "Jane Doe").found


@pytest.mark.parametrize(
    "quote",
    [
        "Demand for our AI data center products has never been higher.",  # a word changed
        "demand for our ai data center products has never been stronger",  # case beyond the first letter
        "We expect capital expenditure of about $80 million in 2025",  # a figure changed
        "never been stronger ... Demand for our AI data center products",  # out of order
    ],
)
def test_quotes_that_were_not_said(call, quote):
    assert not check_quote(call, quote, "Jane Doe").found


def test_typographic_dashes_and_apostrophes_match_plain_ones():
    said = "We're confident -- and I mean it -- that 2025 is our year."
    assert matches("We’re confident — and I mean it — that 2025 is our year.", said)
    assert matches("We're confident—and I mean it—that 2025 is our year", said)


def test_a_quote_said_by_someone_else(call):
    check = check_quote(call, "Gross margin was 61% in the quarter.", "Jane Doe")
    assert check.found and not check.speaker_ok and check.said_by == "John Roe (Chief Financial Officer)"
    assert check_quote(call, "Gross margin was 61% in the quarter.", "Roe").speaker_ok


def test_a_misquote_gets_the_closest_passage(call):
    check = check_quote(
        call, "We expect capital expenditure of about $80 million in 2025, mostly for new test capacity.", "John Roe"
    )
    assert not check.found
    assert check.nearest == "We expect capital expenditure of about $75 million in 2025, mostly for new test capacity."


def test_topics_are_counted_as_whole_words_once_per_place(call):
    counts = {c.topic: c.mentions for c in count_topics(call, TOPICS)}
    # AI: 'AI data center', 'AI systems', 'artificial intelligence', 'AI is now'; capex: 'capital
    # expenditure', 'Capex'; data centre: 'data center', 'data centre'
    assert counts == {"AI": 4, "capex": 2, "data centre": 2, "tariffs": 1, "backlog": 2}


def test_acronyms_match_in_capitals_only_and_words_whole():
    call = parse_transcript("A — CEO:\nSaid: ai, AI's, AI-driven; Aiden, TRAIN; tariff tariffs tariffed.")
    counts = {c.topic: c.mentions for c in count_topics(call, {"AI": ["AI"], "tariffs": ["tariff", "tariffs"]})}
    assert counts == {"AI": 2, "tariffs": 2}


def test_companies_mentioning_a_topic_across_scorecards(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "inputs")
    settings = Settings(inputs=tmp_path / "inputs")
    [loaded] = load_all(settings)
    summary = companies_mentioning([loaded.card])
    assert [(t.topic, t.companies, t.mentions, t.transcripts) for t in summary] == [
        ("AI", ("EXM",), 4, 1),
        ("capex", ("EXM",), 2, 1),
        ("data centre", ("EXM",), 2, 1),
        ("tariffs", ("EXM",), 1, 1),
        ("backlog", ("EXM",), 2, 1),
    ]
    assert companies_mentioning([]) == ()


# --- in a scorecard ---


@pytest.fixture
def project(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "inputs")
    return tmp_path / "inputs"


def test_verified_quotes_and_topics_reach_the_scorecard(project):
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.problems == []
    q = loaded.card.latest
    assert [quote.verified for quote in q.quotes] == [True, True]
    assert q.topics[0] == TopicCount("AI", 4)
    assert q.transcript == str(project / "transcripts" / "exm-q4-fy2024.txt")


def test_a_misquote_is_a_warning_at_the_quote(project):
    path = project / "exm.yaml"
    path.write_text(path.read_text().replace("about $75 million", "about $80 million"))
    loaded = read_company(path, Settings())
    [warning] = loaded.problems
    assert str(warning) == (
        f"{path}:35:48: warning: quarters[0].call.quotes[1].text: not found in the call transcript "
        f"{project}/transcripts/exm-q4-fy2024.txt (the closest passage reads “We expect capital expenditure of about "
        "$75 million in 2025, mostly for new test capacity.”)"
    )
    assert [quote.verified for quote in loaded.card.latest.quotes] == [True, False]


def test_a_quote_given_to_the_wrong_speaker_is_a_warning(project):
    path = project / "exm.yaml"
    path.write_text(path.read_text().replace("{speaker: John Roe, role: CFO", "{speaker: Jane Doe, role: CEO"))
    [warning] = read_company(path, Settings()).problems
    assert "quarters[0].call.quotes[1].speaker: in " in str(warning)
    assert "this is said by John Roe (Chief Financial Officer), not Jane Doe" in str(warning)


def test_a_transcript_named_for_no_quarter_is_a_warning(project):
    (project / "transcripts" / "exm-q4-2024.txt").write_text("Jane Doe:\nHello.\n")
    [warning] = read_company(project / "exm.yaml", Settings()).problems
    assert str(warning) == (
        f"{project}/transcripts/exm-q4-2024.txt:1: warning: matches no quarter of exm "
        "(name a transcript after the company file and the period: exm-q4-fy2024.txt)"
    )


def test_without_a_transcript_nothing_is_checked_or_shown(project):
    (project / "transcripts" / "exm-q4-fy2024.txt").unlink()
    loaded = read_company(project / "exm.yaml", Settings())
    assert loaded.problems == [] and loaded.card.latest.topics == ()
    assert not any(quote.verified for quote in loaded.card.latest.quotes)


def test_topics_come_from_the_setting(project):
    loaded = read_company(project / "exm.yaml", Settings(topics={"margins": ["gross margin", "margin"]}))
    assert loaded.card.latest.topics == (TopicCount("margins", 1),)


def test_the_page_shows_topics_and_verified_quotes(project):
    settings = Settings(inputs=project, templates=REPO / "templates")
    [loaded] = load_all(settings)
    html = render_company(make_env(settings), loaded.card)
    assert (
        "<strong>Topics on the call:</strong> AI&nbsp;4 · capex&nbsp;2 · data centre&nbsp;2 · tariffs&nbsp;1 · "
        "backlog&nbsp;2" in html
    )
    assert html.count("✓ verified against the call transcript") == 2


def test_a_changed_transcript_rebuilds_the_page(project):
    """The build's fingerprint covers the transcript (and the filing and consensus rows)."""
    first = read_company(project / "exm.yaml", Settings()).inputs_digest
    (project / "transcripts" / "exm-q4-fy2024.txt").write_text(TRANSCRIPT.read_text() + "\nOperator:\nThank you.\n")
    assert read_company(project / "exm.yaml", Settings()).inputs_digest not in ("", first)


def test_the_build_renders_a_page_again_when_its_transcript_changes(tmp_path):
    import subprocess
    import sys

    shutil.copytree(FIXTURES, tmp_path / "inputs")
    shutil.copytree(REPO / "templates", tmp_path / "templates")

    def build():
        result = subprocess.run(
            [sys.executable, "-m", "scorecards", "build", "--format", "html"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr

    assert "render  exm (html)" in build()
    assert "render  exm" not in build()
    transcript = tmp_path / "inputs" / "transcripts" / "exm-q4-fy2024.txt"
    transcript.write_text(transcript.read_text() + "\nOperator:\nWe also discussed tariffs.\n")
    assert "render  exm (html)" in build()
    assert "tariffs&nbsp;2" in (tmp_path / "build" / "exm.html").read_text()
