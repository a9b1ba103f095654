"""Composing the e-mail: subjects from the data, MIME structure, inlined HTML, size limits, determinism.

Stand-in PDFs (a few bytes each) keep these fast; tests/test_send.py mails real ones through a real server.
"""

import datetime as dt
import re
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser

import pytest
from conftest import REPO

from scorecards.build.corpus import cards_only, load_all
from scorecards.deliver.compose import Composer, calendar_quarter, compose_all, season_of
from scorecards.deliver.lists import MailingList, Recipient
from scorecards.deliver.outbox import content_hash, write_outbox
from scorecards.errors import MailError
from scorecards.settings import EmailSettings, Settings

COMPANIES = REPO / "tests" / "inputs" / "companies"
SENDER = Address("Equity research", addr_spec="research@example.com")
NOW = dt.datetime(2026, 2, 6, 7, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def cards():
    return {c.company.ticker: c for c in cards_only(load_all(Settings(inputs=COMPANIES)))}


@pytest.fixture
def project(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    for name in ("bloom-energy.pdf", "sony.pdf", "season.pdf", "season-book.pdf"):
        (build / name).write_bytes(b"%PDF-1.7\n" + name.encode() * 200 + b"\n%%EOF\n")
    return tmp_path


def settings_for(project, **email):
    return Settings(
        inputs=COMPANIES, build=project / "build", templates=REPO / "templates", email=EmailSettings(**email)
    )


def composer(project, cards, sender=SENDER, now=NOW, include_held=True, **email):
    """A composer of the test companies; the Sony file has no reported date, so it is held unless included."""
    return Composer(
        settings_for(project, **email),
        list(cards.values()),
        project / "build" / "outbox",
        sender,
        now=lambda: now,
        include_held=include_held,
    )


def mlist(name="desk", cards=(), recipients=("ada@example.com",), **kw):
    people = tuple(Recipient(r) if isinstance(r, str) else r for r in recipients)
    fields = {
        "season_summary": False,
        "pack": False,
        "per_recipient": None,
        "subject": None,
        "where": "distribution.yaml:2:3",
    } | kw
    return MailingList(name, people, tuple(cards), **fields)


def parse(data):
    return BytesParser(policy=policy.default).parsebytes(data)


def test_the_season_is_the_calendar_quarter_most_companies_reported(cards):
    assert calendar_quarter(dt.date(2025, 12, 27)) == calendar_quarter(dt.date(2026, 1, 3))  # 52/53-week years
    assert calendar_quarter(dt.date(2025, 9, 28)).quarter == 3
    season = season_of(cards.values())
    assert (season.year, season.quarter) == (2025, 4)
    assert season_of([]) is None


def test_one_company_subject_says_what_beat_and_missed(project, cards):
    [message] = composer(project, cards).compose(mlist(cards=[cards["BE"]]))
    assert message.subject == "BE Q4 FY2025 scorecard: revenue beat, EPS (non-GAAP) beat"
    [sony] = composer(project, cards).compose(mlist(cards=[cards["SONY"]]))
    assert sony.subject == "SONY Q3 FY2025 scorecard: net income beat"


@pytest.mark.parametrize(
    "kw, subject",
    [
        ({"tickers": ("BE", "SONY")}, "Earnings scorecards, Q4 2025 season: 2 companies (BE, SONY)"),
        ({"pack": True}, "Earnings scorecards, Q4 2025 season: 2 companies"),
        ({"season_summary": True}, "Earnings season summary, Q4 2025 season: 2 companies"),
        (
            {"tickers": ("BE",), "season_summary": True},
            "Earnings scorecards and season summary, Q4 2025 season: 2 companies",
        ),
        ({"tickers": ("BE",), "subject": "Tonight's scorecard"}, "Tonight's scorecard"),
    ],
)
def test_subjects_of_several_companies_name_the_season_and_the_count(project, cards, kw, subject):
    tickers = kw.pop("tickers", ())
    [message] = composer(project, cards).compose(mlist(cards=[cards[t] for t in tickers], **kw))
    assert message.subject == subject
    assert str(parse(message.data)["Subject"]).strip() == subject


def test_structure_text_html_and_pdfs(project, cards):
    [message] = composer(project, cards).compose(
        mlist(
            cards=[cards["BE"], cards["SONY"]],
            season_summary=True,
            recipients=[Recipient("ada@example.com", "Ada Lovelace"), "bob@example.com"],
        )
    )
    msg = parse(message.data)
    assert msg.get_content_type() == "multipart/mixed"
    body, *attachments = msg.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
        ("application/pdf", "Earnings-season-Q4-2025-summary.pdf"),
        ("application/pdf", "BE-Q4-FY2025-scorecard.pdf"),
        ("application/pdf", "SONY-Q3-FY2025-scorecard.pdf"),
    ]
    build = project / "build"
    assert [a.get_content() for a in attachments] == [
        (build / n).read_bytes() for n in ("season.pdf", "bloom-energy.pdf", "sony.pdf")
    ]
    assert all(a.get_content_disposition() == "attachment" for a in attachments)
    assert str(msg["From"]) == "Equity research <research@example.com>"
    assert [a.addr_spec for a in msg["To"].addresses] == ["ada@example.com", "bob@example.com"]
    assert msg["To"].addresses[0].display_name == "Ada Lovelace"
    assert msg["Date"].datetime == NOW
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", msg["Message-ID"])
    assert msg["X-Scorecard-Key"] == "desk"
    assert all(len(line) <= 78 for line in message.data.split(b"\r\n")), "lines longer than RFC 5322 recommends"
    assert message.data.isascii()  # 7-bit: any server takes it


def test_the_summary_shows_each_company_verdict_and_key_figures(project, cards):
    [message] = composer(project, cards).compose(mlist(cards=[cards["BE"], cards["SONY"]]))
    msg = parse(message.data)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        for expected in [
            "Bloom Energy Corporation",
            "Beat on revenue and EPS (non-GAAP); FY2026 guidance above consensus",
            "$777.7M",
            "$640.07M",
            "$0.45",
            "$0.30",
            "Sony Group Corporation",
            "Beat on net income",
            "¥377.32B",
            "¥348.2B",
            "▲",
            "Beat",
            "BE-Q4-FY2025-scorecard.pdf",
        ]:
            assert expected in part, expected
    assert re.search(r"Revenue, GAAP +\$777\.7M +\$640\.07M +▲ Beat", text)
    assert "Gross margin" not in text  # neither a headline metric nor judged against consensus
    assert "Stock up 10.5% after hours" in text


def test_the_html_part_is_inlined_and_self_contained(project, cards):
    [message] = composer(project, cards).compose(mlist(cards=[cards["BE"]]))
    html = parse(message.data).get_body(("html",)).get_content()
    assert "<style" not in html and "<script" not in html and "<link" not in html
    assert "src=" not in html and "url(" not in html and "http" not in html.replace("http-equiv", "")
    assert "<table" in html and html.count("style=") > 20
    # the result cell keeps its colour and its word and symbol: colour is never the only signal
    assert re.search(
        r'<td class="verdict good"[^>]*style="[^"]*color: #1a7f37[^"]*"[^>]*>'
        r'<span class="sym" aria-hidden="true"[^>]*>▲</span> Beat</td>',
        html,
    )
    assert re.search(r'<td class="num"[^>]*style="[^"]*text-align: right', html)


def test_text_from_yaml_is_escaped_in_html(project, cards):
    [message] = composer(project, cards).compose(mlist(cards=[cards["BE"]], subject="Q4 <b>beats</b> & misses"))
    html = parse(message.data).get_body(("html",)).get_content()
    assert "<b>beats</b>" not in html and "Q4 &lt;b&gt;beats&lt;/b&gt; &amp; misses" in html
    assert parse(message.data)["Subject"] == "Q4 <b>beats</b> & misses"


def test_composing_again_with_nothing_changed_gives_the_same_bytes(project, cards):
    listing = mlist(cards=[cards["BE"], cards["SONY"]], pack=True)
    first = composer(project, cards, now=NOW).compose(listing)
    write_outbox(project / "build" / "outbox", {m.filename: m.data for m in first})
    later = composer(project, cards, now=NOW + dt.timedelta(days=1)).compose(listing)
    assert [m.data for m in later] == [m.data for m in first]  # the Date it was first written with is kept


def test_a_changed_attachment_makes_a_new_message_with_a_new_date(project, cards):
    listing = mlist(cards=[cards["BE"]])
    [first] = composer(project, cards).compose(listing)
    write_outbox(project / "build" / "outbox", {first.filename: first.data})
    (project / "build" / "bloom-energy.pdf").write_bytes(b"%PDF-1.7 corrected\n%%EOF\n")
    [second] = composer(project, cards, now=NOW + dt.timedelta(hours=2)).compose(listing)
    assert content_hash(second.data) != content_hash(first.data)
    assert parse(second.data)["Date"].datetime == NOW + dt.timedelta(hours=2)
    assert parse(second.data)["Message-ID"] != parse(first.data)["Message-ID"]


def test_adding_a_recipient_or_the_sender_does_not_change_the_content(project, cards):
    [one] = composer(project, cards, sender=None).compose(mlist(cards=[cards["BE"]]))
    [two] = composer(project, cards).compose(
        mlist(cards=[cards["BE"]], recipients=["ada@example.com", "b@example.com"])
    )
    assert "From" not in parse(one.data)
    assert content_hash(one.data) == content_hash(two.data)


def test_per_recipient_messages_name_only_their_recipient(project, cards):
    messages = composer(project, cards).compose(
        mlist(cards=[cards["BE"]], per_recipient=True, recipients=["ada@example.com", "Bob.Smith@Example.com"])
    )
    assert [m.filename for m in messages] == ["desk--ada@example.com.eml", "desk--bob.smith@example.com.eml"]
    assert [[a.addr_spec for a in parse(m.data)["To"].addresses] for m in messages] == [
        ["ada@example.com"],
        ["Bob.Smith@Example.com"],
    ]
    assert {m.key for m in messages} == {"desk"}
    assert len({parse(m.data)["Message-ID"] for m in messages}) == 2
    setting = composer(project, cards, per_recipient=True).compose(
        mlist(cards=[cards["BE"]], recipients=["a@example.com"])
    )
    assert [m.filename for m in setting] == ["desk--a@example.com.eml"]


def test_an_oversized_message_is_split_into_parts_and_nothing_is_dropped(project, cards):
    build = project / "build"
    (build / "bloom-energy.pdf").write_bytes(b"%PDF" + bytes(range(256)) * 1000)  # 256 kB each
    (build / "sony.pdf").write_bytes(b"%PDF" + bytes(range(255, -1, -1)) * 1000)
    limit = 0.45  # MB: one PDF (about 350 kB in base64) fits, two do not
    messages = composer(project, cards, max_message_mb=limit).compose(mlist(cards=[cards["BE"], cards["SONY"]]))
    assert [m.filename for m in messages] == ["desk-1of2.eml", "desk-2of2.eml"]
    assert [m.subject for m in messages] == [
        "Earnings scorecards, Q4 2025 season: 2 companies (BE, SONY) (1 of 2)",
        "Earnings scorecards, Q4 2025 season: 2 companies (BE, SONY) (2 of 2)",
    ]
    assert [m.key for m in messages] == ["desk (1 of 2)", "desk (2 of 2)"]
    assert all(len(m.data) <= limit * 1e6 for m in messages)
    sent = [a.get_content() for m in messages for a in parse(m.data).iter_attachments()]
    assert sent == [(build / "bloom-energy.pdf").read_bytes(), (build / "sony.pdf").read_bytes()]
    first = parse(messages[0].data).get_body(("plain",)).get_content()
    assert "Part 1 of 2" in first and "Bloom Energy" in first and "Sony" not in first


def test_an_attachment_too_big_for_any_message_stops_with_what_to_do(project, cards):
    (project / "build" / "season-book.pdf").write_bytes(b"%PDF" + bytes(300_000))
    with pytest.raises(MailError) as caught:
        composer(project, cards, max_message_mb=0.2).compose(mlist(pack=True))
    message = str(caught.value)
    assert message.startswith(
        "distribution.yaml:2:3: list 'desk': Earnings-scorecards-Q4-2025-season.pdf alone makes "
        "a message of 0.4 MB, over the limit of 0.2 MB: raise max_message_mb"
    )
    assert "\n" not in message


@pytest.mark.parametrize("kw, missing", [({"season_summary": True}, "season.pdf"), ({"pack": True}, "season-book.pdf")])
def test_a_season_pdf_that_is_not_built_stops_with_run_make(project, cards, kw, missing):
    (project / "build" / missing).unlink()
    with pytest.raises(MailError) as caught:
        composer(project, cards).compose(mlist(**kw))
    assert str(caught.value) == (
        f"distribution.yaml:2:3: list 'desk' gets the "
        f"{'season summary' if missing == 'season.pdf' else 'whole pack'}, "
        f"but {project / 'build' / missing} does not exist: run `make` to build it"
    )


@pytest.mark.parametrize("name", ["Ada\r\nBcc: evil@example.com", "Ada\nBcc: evil@example.com"])
def test_a_line_break_in_a_name_that_slipped_past_validation_is_refused(project, cards, name):
    listing = mlist(cards=[cards["BE"]], recipients=[Recipient("ada@example.com", name)])
    with pytest.raises(MailError, match="list 'desk': cannot write the message headers"):
        composer(project, cards).compose(listing)


def test_a_line_break_in_a_subject_that_slipped_past_validation_is_flattened(project, cards):
    listing = mlist(cards=[cards["BE"]], subject="Scorecards\r\nBcc: evil@example.com")
    [message] = composer(project, cards).compose(listing)
    msg = parse(message.data)
    assert msg["Subject"] == "Scorecards Bcc: evil@example.com" and "Bcc" not in msg


def test_a_name_that_looks_like_a_header_stays_a_name(project, cards):
    tricky = 'Doe, Jane "JD" Bcc: evil@example.com'
    [message] = composer(project, cards).compose(
        mlist(
            cards=[cards["BE"]],
            recipients=[
                Recipient("jane@example.com", tricky),
                Recipient("zoe@example.com", "Zoë Ünïcode <zoe@example.org>"),
            ],
        )
    )
    msg = parse(message.data)
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        (tricky, "jane@example.com"),
        ("Zoë Ünïcode <zoe@example.org>", "zoe@example.com"),
    ]
    assert "Bcc" not in msg and "Cc" not in msg


def test_two_lists_cannot_write_the_same_file(project, cards):
    c = composer(project, cards)
    with pytest.raises(MailError, match="two messages would be written to build/outbox/desk.eml"):
        compose_all(c, [mlist(cards=[cards["BE"]]), mlist(cards=[cards["SONY"]])])


def test_write_outbox_removes_messages_no_list_makes_any_more(project):
    outbox = project / "build" / "outbox"
    write_outbox(outbox, {"old.eml": b"x", "kept.eml": b"y"})
    written, removed = write_outbox(outbox, {"kept.eml": b"y", "new.eml": b"z"})
    assert (written, removed) == (["new.eml"], ["old.eml"])
    assert sorted(p.name for p in outbox.glob("*.eml")) == ["kept.eml", "new.eml"]


# --- a list in another language -------------------------------------------------------------------


def test_a_list_in_chinese_gets_the_chinese_pdfs_subject_and_summary(project, cards):
    chinese = project / "build" / "zh-Hant"
    chinese.mkdir()
    for name in ("bloom-energy.pdf", "sony.pdf", "season.pdf", "season-book.pdf"):
        (chinese / name).write_bytes(b"%PDF-1.7\n" + "中文".encode() + name.encode() * 100 + b"\n%%EOF\n")
    settings = Settings(
        inputs=COMPANIES,
        build=project / "build",
        templates=REPO / "templates",
        locale=REPO / "locale",
        email=EmailSettings(),
    )
    compose = Composer(
        settings, list(cards.values()), project / "build" / "outbox", SENDER, now=lambda: NOW, include_held=True
    ).compose
    [one] = compose(mlist(cards=[cards["BE"]], language="zh-Hant"))
    assert one.subject == "BE 2025財年第四季計分卡：營收超出預期、每股盈利（經調整）超出預期"
    assert one.attachments == ("BE-Q4-FY2025-scorecard-zh-Hant.pdf",)
    msg = parse(one.data)
    assert str(msg["Subject"]) == one.subject
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content() == (chinese / "bloom-energy.pdf").read_bytes()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        for expected in [
            "營收及每股盈利（經調整）超出預期；2026財年指引高於市場預期",
            "7.777億美元",
            "6.4007億美元",
            "0.45美元",
            "股價盤後上漲10.5%",
            "超出預期",
        ]:
            assert expected in part, expected
    assert 'lang="zh-Hant"' in html and "Beat" not in text and "Stock" not in text
    [season] = compose(mlist(season_summary=True, pack=True, language="zh-Hant"))
    assert season.subject == "業績計分卡及業績期總覽，2025年第四季業績期：2家公司"
    assert season.attachments == (
        "Earnings-season-Q4-2025-summary-zh-Hant.pdf",
        "Earnings-scorecards-Q4-2025-season-zh-Hant.pdf",
    )


def test_a_list_in_a_language_without_a_catalogue_is_refused(project, cards):
    with pytest.raises(MailError, match="list 'desk': no catalogue for language 'fr'"):
        composer(project, cards).compose(mlist(cards=[cards["BE"]], language="fr"))
