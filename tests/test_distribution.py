"""distribution.yaml: read with positions, checked like the company files, every problem located."""

import textwrap
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.corpus import cards_only, load_all
from scorecards.deliver.lists import load_distribution
from scorecards.errors import InputError, MailError
from scorecards.settings import Settings

COMPANIES = REPO / "tests" / "inputs" / "companies"


@pytest.fixture(scope="module")
def cards():
    """Bloom Energy (BE, Industrials) and Sony (SONY, Consumer Discretionary), computed; no PDFs needed."""
    return cards_only(load_all(Settings(inputs=COMPANIES)))


def load(tmp_path, cards, text):
    path = tmp_path / "distribution.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return load_distribution(path, cards)


def problems(tmp_path, cards, text):
    with pytest.raises(InputError) as caught:
        load(tmp_path, cards, text)
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


def test_lists_resolve_to_the_companies_they_ask_for(tmp_path, cards):
    lists, warnings = load(
        tmp_path,
        cards,
        """
        lists:
          everyone:
            recipients: [a@example.com, {name: Bea, email: b@example.com}]
            scorecards: all
          industrials:
            recipients: [c@example.com]
            sectors: [Industrials]
            per_recipient: true
          sony:
            recipients: [d@example.com]
            tickers: [sony]
            subject: Sony, as promised
          board:
            recipients: [e@example.com]
            season_summary: true
            pack: true
        """,
    )
    assert warnings == []
    by_name = {m.name: m for m in lists}
    assert [c.company.ticker for c in by_name["everyone"].cards] == ["BE", "SONY"]  # by company name
    assert [(r.name, r.email) for r in by_name["everyone"].recipients] == [
        (None, "a@example.com"),
        ("Bea", "b@example.com"),
    ]
    assert [c.company.ticker for c in by_name["industrials"].cards] == ["BE"]
    assert by_name["industrials"].per_recipient is True and by_name["everyone"].per_recipient is None
    assert [c.company.ticker for c in by_name["sony"].cards] == ["SONY"]
    assert by_name["sony"].subject == "Sony, as promised"
    board = by_name["board"]
    assert board.cards == () and board.season_summary and board.pack
    assert board.where == f"{tmp_path / 'distribution.yaml'}:13:3"


def test_every_problem_is_reported_at_once_and_located(tmp_path, cards):
    found = problems(
        tmp_path,
        cards,
        """
        lists:
          tech:
            recipients:
              - {name: Ada, email: ada@example}
              - {name: Bob, emial: bob@example.com}
            tickers: [BE, AMZM]
            sectors: [Industrial]
          Bad Name:
            recipients: [x@example.com]
            scorecards: all
          nothing:
            recipients: [y@example.com]
          dupes:
            recipients: [z@example.com, Z@example.com]
            scorecards: everything
        """,
    )
    assert found == [
        "distribution.yaml:4:28: lists.tech.recipients[0].email: 'ada@example' is not an e-mail address "
        "(write an address such as ada@example.com; a name goes in name:)",
        "distribution.yaml:5:9: lists.tech.recipients[1]: missing required field 'email'",
        "distribution.yaml:5:21: lists.tech.recipients[1].emial: unknown key 'emial' (did you mean 'email'?)",
        "distribution.yaml:7:15: lists.tech.sectors[0]: 'Industrial' is not allowed here (did you mean 'Industrials'?)",
        "distribution.yaml:8:3: lists.Bad Name: 'Bad Name' cannot name a list "
        "(list names are lower-case letters, digits and hyphens, e.g. tech-desk)",
        # the lists valid on their own are still checked against the companies, so every problem shows at once
        "distribution.yaml:11:3: lists.nothing: list 'nothing' gets nothing "
        "(add scorecards: all, sectors, tickers, season_summary: true or pack: true)",
        "distribution.yaml:15:17: lists.dupes.scorecards: 'everything' is not allowed here (one of: all)",
    ]


def test_cross_checks_against_the_companies(tmp_path, cards):
    found = problems(
        tmp_path,
        cards,
        """
        lists:
          tech:
            recipients: [ada@example.com, bob@example.com, ADA@example.com]
            tickers: [BE, AMZM, SONI]
          nothing:
            recipients: [y@example.com]
          energy:
            recipients: [e@example.com]
            sectors: [Energy]
        """,
    )
    assert found == [
        "distribution.yaml:3:52: lists.tech.recipients[2]: ADA@example.com is already on this list (line 3) "
        "(remove one of them)",
        "distribution.yaml:4:19: lists.tech.tickers[1]: unknown ticker 'AMZM' (companies: BE, SONY)",
        "distribution.yaml:4:25: lists.tech.tickers[2]: unknown ticker 'SONI' (did you mean 'SONY'?)",
        "distribution.yaml:5:3: lists.nothing: list 'nothing' gets nothing "
        "(add scorecards: all, sectors, tickers, season_summary: true or pack: true)",
        "distribution.yaml:7:3: lists.energy: list 'energy' gets nothing: no company matches it "
        "(check its sectors against the companies' sectors)",
        "distribution.yaml:9:15: warning: lists.energy.sectors[0]: no company is in Energy "
        "(the list gets nothing for this sector)",
    ]


def test_a_sector_without_companies_is_only_a_warning_when_the_list_gets_something_else(tmp_path, cards):
    lists, warnings = load(
        tmp_path,
        cards,
        """
        lists:
          mixed:
            recipients: [e@example.com]
            sectors: [Energy, Industrials]
        """,
    )
    assert [c.company.ticker for c in lists[0].cards] == ["BE"]
    assert [p.message for p in warnings] == ["no company is in Energy"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", '"Ada\\nBcc: evil@example.com"'),
        ("name", '"Ada\\r\\nBcc: evil@example.com"'),
        ("subject", '"Scorecards\\nBcc: evil@example.com"'),
        ("subject", "|\n      Scorecards\n      Bcc: evil@example.com"),
    ],
)
def test_a_line_break_in_a_name_or_subject_is_refused_where_it_is_written(tmp_path, cards, field, value):
    recipient = f"{{name: {value}, email: ada@example.com}}" if field == "name" else "ada@example.com"
    subject = f"\n    subject: {value}" if field == "subject" else ""
    text = f"lists:\n  tech:\n    recipients: [{recipient}]\n    scorecards: all{subject}\n"
    path = tmp_path / "distribution.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_distribution(path, cards)
    [problem] = caught.value.problems
    assert problem.field == ("lists.tech.recipients[0].name" if field == "name" else "lists.tech.subject")
    assert problem.message == "must be one line of text, without line breaks or control characters"
    assert (problem.line, problem.col) == ((3, 25) if field == "name" else (5, 14))


def test_yaml_problems_are_located_too(tmp_path, cards):
    found = problems(
        tmp_path,
        cards,
        """
        lists:
          tech:
            recipients: [a@example.com]
            scorecards: all
          tech:
            recipients: [b@example.com]
            scorecards: all
        """,
    )
    assert found == [
        "distribution.yaml:5:3: lists.tech: duplicate key 'tech' (first written on line 2) "
        "(remove one of them; YAML would silently keep only the last)"
    ]


def test_a_missing_file_says_where_to_write_it(tmp_path, cards):
    with pytest.raises(MailError, match="does not exist: write the distribution lists there"):
        load_distribution(tmp_path / "distribution.yaml", cards)


def test_the_shipped_example_is_valid(in_repo):
    settings = Settings()
    loaded = load_all(settings)
    lists, warnings = load_distribution(Path("distribution.yaml"), cards_only(loaded))
    assert warnings == []
    assert {m.name for m in lists} >= {"research", "technology", "portfolio-managers", "management", "archive"}
    addresses = [r.email for m in lists for r in m.recipients]
    assert addresses and all(a.endswith("@example.com") for a in addresses)


def test_a_list_can_name_its_language(tmp_path, cards):
    from scorecards.deliver.lists import languages_wanted

    lists, _ = load(
        tmp_path,
        cards,
        """
        lists:
          hong-kong:
            recipients: [hk@example.com]
            scorecards: all
            language: zh_hant
          desk:
            recipients: [desk@example.com]
            pack: true
        """,
    )
    assert [(m.name, m.language) for m in lists] == [("hong-kong", "zh-Hant"), ("desk", None)]
    assert languages_wanted(tmp_path / "distribution.yaml") == ["zh-Hant"]
    assert problems(
        tmp_path,
        cards,
        """
        lists:
          hong-kong:
            recipients: [hk@example.com]
            pack: true
            language: Chinese please
        """,
    ) == [
        "distribution.yaml:5:15: lists.hong-kong.language: 'Chinese please' is not in the expected form "
        "(a language tag such as zh-Hant, zh-Hans or en)"
    ]
