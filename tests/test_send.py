"""Sending through a real SMTP server on 127.0.0.1 (aiosmtpd): STARTTLS with a certificate made here, AUTH,
implicit TLS, refusals, a connection dropped mid-batch, and the ledger that keeps anyone getting a message twice.

Nothing here reaches beyond the loopback interface.
"""

import datetime as dt
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import REPO

from scorecards.build.corpus import cards_only, load_all
from scorecards.deliver.compose import fill_outbox
from scorecards.deliver.outbox import LEDGER, Ledger, content_hash, describe, read_outbox
from scorecards.deliver.send import account, load_config, parse_sender, send_outbox
from scorecards.errors import InputError, MailError, SendError
from scorecards.settings import EmailSettings, Settings

pytestmark = pytest.mark.slow

USER, PASSWORD = "analyst", "s3cret"
SENDER = "Equity research <research@example.com>"
DISTRIBUTION = """\
lists:
  everyone:
    recipients: [{name: Ada Lovelace, email: ada@example.com}, bob@example.com]
    scorecards: all
  be-desk:
    recipients: [carol@example.com, dave@example.com]
    tickers: [BE]
    per_recipient: true
"""
# be-desk--carol, be-desk--dave, everyone (ada, bob): three messages, four deliveries, sent in this order
DELIVERIES = {
    ("be-desk", "carol@example.com"),
    ("be-desk", "dave@example.com"),
    ("everyone", "ada@example.com"),
    ("everyone", "bob@example.com"),
}


# --- a real SMTP server ----------------------------------------------------------------------


class Mailbox:
    """The test server's handler: what it accepted, and how it misbehaves when told to."""

    def __init__(self):
        self.accepted = []  # (envelope sender, recipient, message bytes)
        self.refuse = {}  # recipient -> the server's reply
        self.drop_at = None  # hang up instead of answering this DATA (1-based)
        self.data_count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.drop_at == self.data_count:
            server.transport.close()  # the message is not taken, and the client never hears back
            return "421 4.3.0 closing"
        for rcpt in envelope.rcpt_tos:
            self.accepted.append((envelope.mail_from, rcpt, envelope.content))
        return f"250 2.0.0 Ok: queued as Q{self.data_count}"

    def received(self):
        """(list key, recipient) of every message accepted."""
        return [(parse(data)["X-Scorecard-Key"], rcpt) for _, rcpt, data in self.accepted]


class LoopbackController(Controller):
    """Listens on a port the system picks, so parallel runs never collide."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scorecards test server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def smtp_server(certificate):
    """start(mode) -> (port, Mailbox): 'starttls' (required), 'tls' (implicit) or 'none'; with AUTH unless
    auth=False."""
    started = []

    def start(mode="starttls", auth=True, **options):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        mailbox = Mailbox()
        options |= {"hostname": "127.0.0.1", "port": 0, "ready_timeout": 10}
        if mode == "starttls":
            options |= {"tls_context": context, "require_starttls": True}
        elif mode == "tls":
            options |= {"ssl_context": context}
        if auth:
            # aiosmtpd counts only STARTTLS as TLS for AUTH; an implicit-TLS session is encrypted from the start
            options |= {"authenticator": authenticator, "auth_required": True, "auth_require_tls": mode == "starttls"}
        controller = LoopbackController(mailbox, **options)
        controller.start()
        started.append(controller)
        return controller.port, mailbox

    yield start
    for controller in started:
        controller.stop()


# --- a project with real PDFs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The two test companies built once, PDFs and all."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "tests" / "inputs" / "companies", root / "inputs")
    sony = root / "inputs" / "sony.yaml"  # given a reported date, so that both are ready to send (test_readiness.py)
    sony.write_text(
        sony.read_text().replace(
            "    period_end: 2025-12-31\n", "    period_end: 2025-12-31\n    reported: 2026-02-05\n"
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def project(built, tmp_path):
    """A copy of the built project with a distribution list and an outbox composed, nothing sent."""
    root = tmp_path / "project"
    shutil.copytree(built, root)
    (root / "distribution.yaml").write_text(DISTRIBUTION)
    compose(root)
    return root


def settings_of(root):
    return Settings(
        inputs=root / "inputs",
        build=root / "build",
        templates=root / "templates",
        email=EmailSettings(distribution=root / "distribution.yaml"),
    )


def compose(root, sender=SENDER):
    settings = settings_of(root)
    cards = cards_only(load_all(settings))
    return fill_outbox(settings, cards, parse_sender(sender, "test") if sender else None)


def environment(port, certificate, tmp_path, **changes):
    env = {
        "SCORECARD_SMTP_HOST": "127.0.0.1",
        "SCORECARD_SMTP_PORT": str(port),
        "SCORECARD_SMTP_SECURITY": "starttls",
        "SCORECARD_SMTP_USER": USER,
        "SCORECARD_SMTP_PASSWORD": PASSWORD,
        "SCORECARD_SMTP_FROM": SENDER,
        "SCORECARD_SMTP_CA_FILE": str(certificate[0]),
        "SCORECARD_SMTP_TIMEOUT": "10",
        "SCORECARD_SMTP_CONFIG": str(tmp_path / "no-such-smtp.toml"),
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def send(root, env, resend=False):
    lines = []
    report = send_outbox(settings_of(root), load_config(env, project=root), resend, progress=lines.append)
    return report, lines


def ledger(root):
    """The ledger as {"sent": {message key: {recipient: entry fields}}}; None if there is none."""
    path = root / "build" / "outbox" / LEDGER
    if not path.exists():
        return None
    entries = Ledger.load(path).entries
    return {"sent": {key: {rcpt: asdict(e) for rcpt, e in by_rcpt.items()} for key, by_rcpt in entries.items()}}


def parse(data):
    return BytesParser(policy=policy.default).parsebytes(data)


def cli(root, env, *args):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    return subprocess.run(
        [sys.executable, "-m", "scorecards", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean | env,
    )


# --- delivering --------------------------------------------------------------------------------


def test_each_recipient_gets_each_message_once_and_exactly_what_the_outbox_holds(
    project, smtp_server, certificate, tmp_path
):
    port, box = smtp_server("starttls")
    env = environment(port, certificate, tmp_path)
    report, lines = send(project, env)
    assert report.ok and len(report.sent) == 4 and report.already == 0
    assert Counter(box.received()) == Counter(DELIVERIES)
    assert {sender for sender, _, _ in box.accepted} == {"research@example.com"}

    held = {(m.key, r.addr_spec): m for m in read_outbox(project / "build" / "outbox") for r in m.recipients}
    for _, rcpt, data in box.accepted:
        msg = parse(data)
        assert data.replace(b"\r\n", b"\n") == held[msg["X-Scorecard-Key"], rcpt].raw.replace(b"\r\n", b"\n")
        assert str(msg["From"]) == SENDER
        assert msg.get_content_type() == "multipart/mixed"
        attachments = {a.get_filename(): a for a in msg.iter_attachments()}
        assert all(a.get_content_type() == "application/pdf" for a in attachments.values())
        assert (
            attachments["BE-Q4-FY2025-scorecard.pdf"].get_content()
            == (project / "build" / "bloom-energy.pdf").read_bytes()
        )
        if msg["X-Scorecard-Key"] == "everyone":
            assert (
                attachments["SONY-Q3-FY2025-scorecard.pdf"].get_content()
                == (project / "build" / "sony.pdf").read_bytes()
            )
            assert msg["Subject"] == "Earnings scorecards, Q4 2025 season: 2 companies (BE, SONY)"
            assert [a.addr_spec for a in msg["To"].addresses] == ["ada@example.com", "bob@example.com"]
        else:
            assert list(attachments) == ["BE-Q4-FY2025-scorecard.pdf"]
            assert msg["Subject"] == "BE Q4 FY2025 scorecard: revenue beat, EPS (non-GAAP) beat"
            assert [a.addr_spec for a in msg["To"].addresses] == [rcpt]
        assert msg.get_body(("html",)).get_content().count("Bloom Energy Corporation") == 1

    record = ledger(project)["sent"]
    assert {(key, rcpt) for key, by_rcpt in record.items() for rcpt in by_rcpt} == DELIVERIES
    entry = record["everyone"]["ada@example.com"]
    assert entry["server"] == f"127.0.0.1:{port}" and entry["reply"].startswith("250 2.0.0 Ok: queued as Q")
    everyone = held["everyone", "ada@example.com"]
    assert entry["message_id"] == everyone.message_id and entry["content"] == everyone.content
    assert dt.datetime.fromisoformat(entry["sent_at"]).tzinfo is not None
    assert len(lines) == 4 and lines[0].startswith(
        "  sent     be-desk--carol@example.com.eml to carol@example.com: 250"
    )

    again, lines = send(project, env)
    assert again.ok and again.sent == [] and again.already == 4 and lines == []
    assert len(box.accepted) == 4
    assert account(again)[-1] == (
        "3 messages for 4 recipients: 0 sent now, 4 sent before. Nothing to send "
        "(`scorecard send --resend` sends everything again)"
    )


def test_a_changed_scorecard_goes_again_only_in_the_messages_that_carry_it(project, smtp_server, certificate, tmp_path):
    port, box = smtp_server("starttls")
    env = environment(port, certificate, tmp_path)
    assert send(project, env)[0].ok
    sony = project / "build" / "sony.pdf"
    sony.write_bytes(sony.read_bytes() + b"\n% corrected\n")
    compose(project)
    lines, to_send, sent = describe(project / "build" / "outbox")
    assert (to_send, sent) == (2, 2)
    assert any(line.startswith("  everyone.eml: ") and line.endswith("to send to 2 of 2, changed]") for line in lines)
    report, _ = send(project, env)
    assert report.ok and report.already == 2
    assert Counter(box.received()) == Counter(DELIVERIES) + Counter(
        {("everyone", "ada@example.com"): 1, ("everyone", "bob@example.com"): 1}
    )
    resent, _ = send(project, env, resend=True)
    assert resent.ok and len(resent.sent) == 4 and len(box.accepted) == 10


def test_a_connection_dropped_mid_batch_is_finished_by_the_next_send_without_duplicates(
    project, smtp_server, certificate, tmp_path
):
    port, box = smtp_server("starttls")
    env = environment(port, certificate, tmp_path)
    box.drop_at = 2  # the server hangs up on the second message (dave's) without taking it
    first = cli(project, env, "send")
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert first.stdout.splitlines() == [
        "  sent     be-desk--carol@example.com.eml to carol@example.com: 250 2.0.0 Ok: queued as Q1"
    ]
    assert first.stderr.splitlines() == [
        f"  STOPPED  the connection to 127.0.0.1:{port} dropped while sending to dave@example.com "
        "(be-desk--dave@example.com.eml) (Connection unexpectedly closed)",
        "3 messages for 4 recipients: 1 sent now, 0 sent before, 3 not tried. The 3 not sent stay in the outbox: "
        "fix what is said above, then run `make send` again; it sends only those",
    ]
    assert box.received() == [("be-desk", "carol@example.com")]
    assert list(ledger(project)["sent"]) == ["be-desk"] and list(ledger(project)["sent"]["be-desk"]) == [
        "carol@example.com"
    ]

    second = cli(project, env, "send")
    assert second.returncode == 0, second.stderr
    assert Counter(box.received()) == Counter(DELIVERIES)  # everyone once, no one twice
    third = cli(project, env, "send")
    assert third.returncode == 0 and "0 sent now, 4 sent before. Nothing to send" in third.stdout
    assert len(box.accepted) == 4


def test_a_refused_recipient_is_reported_the_rest_are_sent_and_only_it_is_tried_again(
    project, smtp_server, certificate, tmp_path
):
    port, box = smtp_server("starttls")
    box.refuse = {
        "bob@example.com": "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
        "dave@example.com": "450 4.2.1 Mailbox busy, try again later",
    }
    env = environment(port, certificate, tmp_path)
    report, lines = send(project, env)
    assert not report.ok and len(report.sent) == 2
    assert [d.reply for d in report.refused] == [
        "bob@example.com (everyone.eml): refused: 550 5.1.1 <bob@example.com>: Recipient address rejected: User "
        "unknown (fix the address in the distribution list, then `make email` and `make send`)"
    ]
    assert [d.reply for d in report.deferred] == [
        "dave@example.com (be-desk--dave@example.com.eml): refused: 450 4.2.1 Mailbox busy, try again later "
        "(try again later)"
    ]
    assert "  REFUSED  bob@example.com (everyone.eml): refused: 550" in "\n".join(lines)
    assert set(box.received()) == {("be-desk", "carol@example.com"), ("everyone", "ada@example.com")}
    assert account(report)[-1].startswith(
        "3 messages for 4 recipients: 2 sent now, 0 sent before, 1 refused, "
        "1 deferred by the server. The 2 not sent stay in the outbox"
    )

    box.refuse = {"bob@example.com": box.refuse["bob@example.com"]}
    again, _ = send(project, env)
    assert [d.recipient.addr_spec for d in again.sent] == ["dave@example.com"] and len(again.refused) == 1
    assert Counter(box.received()) == Counter(DELIVERIES - {("everyone", "bob@example.com")})


def test_a_failed_login_says_what_to_fix_and_sends_nothing(project, smtp_server, certificate, tmp_path):
    port, box = smtp_server("starttls")
    result = cli(project, environment(port, certificate, tmp_path, SCORECARD_SMTP_PASSWORD="wrong"), "send")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: 127.0.0.1:{port} refused the login for 'analyst': 535 5.7.8 Authentication credentials invalid "
        "(check SCORECARD_SMTP_USER and SCORECARD_SMTP_PASSWORD)"
    ]
    assert box.accepted == [] and ledger(project) is None


def test_a_server_without_starttls_is_refused_when_starttls_is_required(project, smtp_server, certificate, tmp_path):
    port, box = smtp_server("none", auth=False)
    with pytest.raises(SendError) as caught:
        send(project, environment(port, certificate, tmp_path, SCORECARD_SMTP_USER=None, SCORECARD_SMTP_PASSWORD=None))
    assert str(caught.value).startswith(
        f"127.0.0.1:{port} does not offer STARTTLS, and SCORECARD_SMTP_SECURITY "
        "requires it: nothing was sent in the clear."
    )
    assert box.accepted == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # it is TLS: implicit
def test_implicit_tls(project, smtp_server, certificate, tmp_path):
    port, box = smtp_server("tls")
    report, _ = send(project, environment(port, certificate, tmp_path, SCORECARD_SMTP_SECURITY="tls"))
    assert report.ok and Counter(box.received()) == Counter(DELIVERIES)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_plain_connection_only_when_asked_for_by_name(project, smtp_server, certificate, tmp_path):
    port, box = smtp_server("none")
    report, _ = send(project, environment(port, certificate, tmp_path, SCORECARD_SMTP_SECURITY="none"))
    assert report.ok and Counter(box.received()) == Counter(DELIVERIES)


def test_an_untrusted_certificate_is_refused(project, smtp_server, certificate, tmp_path):
    port, box = smtp_server("starttls")
    with pytest.raises(
        SendError,
        match=r"the certificate of 127.0.0.1 could not be verified \(.*\): if the server "
        r"uses a private certificate authority, set SCORECARD_SMTP_CA_FILE",
    ):
        send(project, environment(port, certificate, tmp_path, SCORECARD_SMTP_CA_FILE=None))
    assert box.accepted == []


def test_a_message_over_the_servers_size_limit_is_refused_with_what_to_do(project, smtp_server, certificate, tmp_path):
    sizes = {m.key: len(m.raw) for m in read_outbox(project / "build" / "outbox")}
    limit = sizes["be-desk"] + 1000  # the one-PDF messages fit, the two-PDF one does not
    assert sizes["everyone"] > limit
    port, box = smtp_server("starttls", data_size_limit=limit)
    report, _ = send(project, environment(port, certificate, tmp_path))
    assert len(report.sent) == 2 and len(report.refused) == 2
    assert (
        f"everyone.eml): the message is {sizes['everyone'] / 1e6:.1f} MB, and 127.0.0.1 takes at most "
        f"{limit / 1e6:.1f} MB (lower max_message_mb"
    ) in report.refused[0].reply
    assert set(box.received()) == {("be-desk", "carol@example.com"), ("be-desk", "dave@example.com")}


def test_the_sender_is_added_at_send_time_when_the_outbox_was_written_without_one(
    project, smtp_server, certificate, tmp_path
):
    compose(project, sender=None)
    held = {m.key: m for m in read_outbox(project / "build" / "outbox")}
    assert all(m.sender is None for m in held.values())
    port, box = smtp_server("starttls")
    assert send(project, environment(port, certificate, tmp_path))[0].ok
    for _, _, data in box.accepted:
        assert str(parse(data)["From"]) == SENDER
        assert content_hash(data) == held[parse(data)["X-Scorecard-Key"]].content


def test_an_outbox_written_for_another_sender_is_not_sent(project, certificate, tmp_path):
    env = environment(1, certificate, tmp_path, SCORECARD_SMTP_FROM="other@example.com")
    with pytest.raises(
        SendError,
        match=r"\.eml is from research@example.com, but the sender is now "
        r"other@example.com \(SCORECARD_SMTP_FROM\): run `make email`",
    ):
        send(project, env)


def test_a_name_that_looks_like_a_header_reaches_only_its_address(project, smtp_server, certificate, tmp_path):
    (project / "distribution.yaml").write_text(
        "lists:\n  tricky:\n    recipients:\n"
        "      - {name: 'Eve, Bcc: evil@example.com, \"Cc\" mallory@example.com', email: eve@example.com}\n"
        "    tickers: [BE]\n"
    )
    compose(project)
    port, box = smtp_server("starttls")
    assert send(project, environment(port, certificate, tmp_path))[0].ok
    [(_, rcpt, data)] = box.accepted
    msg = parse(data)
    assert rcpt == "eve@example.com" and [a.addr_spec for a in msg["To"].addresses] == ["eve@example.com"]
    assert "Bcc" not in msg and "Cc" not in msg


def test_a_line_break_in_the_yaml_stops_make_email_at_its_line(project):
    (project / "distribution.yaml").write_text(
        'lists:\n  tricky:\n    recipients:\n      - {name: "Eve\\r\\nBcc: evil@example.com", email: eve@example.com}\n'
        "    tickers: [BE]\n"
    )
    result = cli(project, {}, "email")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: distribution.yaml:4:16: lists.tricky.recipients[0].name: must be one line of text, without line breaks "
        "or control characters (write it on one line; a header written across lines could add headers of its own)"
    ]


def test_scorecard_email_from_the_command_line(project, tmp_path):
    shutil.rmtree(project / "build" / "outbox")
    env = {"SCORECARD_SMTP_CONFIG": str(tmp_path / "none.toml")}
    first = cli(project, env, "email")
    assert first.returncode == 0, first.stderr
    # (`scorecard email` first builds whatever is out of date: nothing here, unless the code changed meanwhile)
    assert "build/outbox/: 3 messages (3 written, 0 removed); nothing was sent" in first.stdout.splitlines()
    assert "  everyone.eml: Earnings scorecards, Q4 2025 season: 2 companies (BE, SONY) [2 PDFs, " in first.stdout
    assert first.stdout.splitlines()[-1].startswith("4 to send, 0 sent before: open the .eml files in a mail client")
    assert "no sender is configured (SCORECARD_SMTP_FROM)" in first.stderr
    before = {p.name: p.read_bytes() for p in (project / "build" / "outbox").glob("*.eml")}
    second = cli(project, env | {"SCORECARD_SMTP_FROM": SENDER}, "email")
    assert second.returncode == 0 and "(3 written, 0 removed)" in second.stdout  # now with a From line
    third = cli(project, env | {"SCORECARD_SMTP_FROM": SENDER}, "email")
    assert "(0 written, 0 removed)" in third.stdout
    after = {p.name: p.read_bytes() for p in (project / "build" / "outbox").glob("*.eml")}
    assert after.keys() == before.keys()
    assert all(content_hash(after[n]) == content_hash(before[n]) for n in before)


def test_an_empty_outbox_and_a_damaged_ledger_are_errors(project, certificate, tmp_path):
    env = environment(1, certificate, tmp_path)
    (project / "build" / "outbox" / LEDGER).write_text("{not json")
    with pytest.raises(
        MailError,
        match="ledger .* is damaged .*: restore it from a backup; deleting it would make "
        "`make send` send every message again",
    ):
        send(project, env)
    for path in (project / "build" / "outbox").glob("*.eml"):
        path.unlink()
    with pytest.raises(SendError, match=r"holds no messages: run `make email` first"):
        send(project, env)


# --- settings ----------------------------------------------------------------------------------


def test_config_defaults_and_the_environment_over_the_file(tmp_path):
    home = tmp_path / "home"
    (home / "scorecards").mkdir(parents=True)
    config = home / "scorecards" / "smtp.toml"
    config.write_text('host = "smtp.example.com"\nfrom = "research@example.com"\nuser = "me"\npassword = "pw"\n')
    config.chmod(0o600)
    project = tmp_path / "project"
    project.mkdir()
    base = {"XDG_CONFIG_HOME": str(home)}
    loaded = load_config(base, project)
    assert (loaded.host, loaded.port, loaded.security, loaded.user, loaded.password) == (
        "smtp.example.com",
        587,
        "starttls",
        "me",
        "pw",
    )
    assert loaded.sender.addr_spec == "research@example.com" and "pw" not in repr(loaded)
    assert loaded.name("host") == f"host in {config}"
    assert load_config(base | {"SCORECARD_SMTP_PORT": "465"}, project).security == "tls"
    assert load_config(base | {"SCORECARD_SMTP_SECURITY": "tls"}, project).port == 465
    assert load_config(base | {"SCORECARD_SMTP_SECURITY": "none"}, project).port == 25
    env = load_config(base | {"SCORECARD_SMTP_HOST": "mail.example.org", "SCORECARD_SMTP_USER": "you"}, project)
    assert (env.host, env.user, env.name("host")) == ("mail.example.org", "you", "SCORECARD_SMTP_HOST")
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('host = "other.example.com"\n')
    assert load_config({"SCORECARD_SMTP_CONFIG": str(elsewhere)}, project).host == "other.example.com"


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"SCORECARD_SMTP_PORT": "smtp"},
            "SCORECARD_SMTP_PORT: 'smtp' is not a port number (587 for STARTTLS, 465 for TLS)",
        ),
        (
            {"SCORECARD_SMTP_SECURITY": "ssl"},
            "SCORECARD_SMTP_SECURITY: 'ssl' is not a connection security: use starttls",
        ),
        ({"SCORECARD_SMTP_FROM": "research"}, "SCORECARD_SMTP_FROM: 'research' is not one e-mail address"),
        ({"SCORECARD_SMTP_FROM": "a@example.com, b@example.com"}, "is not one e-mail address"),
        ({"SCORECARD_SMTP_TIMEOUT": "soon"}, "SCORECARD_SMTP_TIMEOUT: 'soon' is not a number of seconds"),
    ],
)
def test_config_mistakes_are_one_line_errors(tmp_path, env, message):
    with pytest.raises(SendError) as caught:
        load_config(env | {"SCORECARD_SMTP_CONFIG": str(tmp_path / "none.toml")}, tmp_path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_config_file_in_the_project_or_readable_by_others_is_refused(tmp_path):
    inside = tmp_path / "smtp.toml"
    inside.write_text('host = "smtp.example.com"\n')
    with pytest.raises(SendError, match="is inside the project: move it out"):
        load_config({"SCORECARD_SMTP_CONFIG": str(inside)}, tmp_path)
    outside = tmp_path / "home" / "smtp.toml"
    outside.parent.mkdir()
    outside.write_text('host = "smtp.example.com"\npassword = "pw"\n')
    outside.chmod(0o644)
    project = tmp_path / "project"
    project.mkdir()
    with pytest.raises(SendError, match=r"holds a password but other users can read it: run `chmod 600 "):
        load_config({"SCORECARD_SMTP_CONFIG": str(outside)}, project)
    outside.write_text('host = "smtp.example.com"\nsecurty = "tls"\n')
    with pytest.raises(SendError, match=r"smtp.toml: securty: unknown key \(known: host, port, user, password, from"):
        load_config({"SCORECARD_SMTP_CONFIG": str(outside)}, project)


def test_what_is_missing_is_said_before_connecting(project, tmp_path):
    base = {"SCORECARD_SMTP_CONFIG": str(tmp_path / "none.toml")}
    cases = [
        ({}, "no SMTP server: set SCORECARD_SMTP_HOST"),
        ({"SCORECARD_SMTP_HOST": "127.0.0.1"}, "no sender: set SCORECARD_SMTP_FROM"),
        (
            {"SCORECARD_SMTP_HOST": "127.0.0.1", "SCORECARD_SMTP_FROM": SENDER, "SCORECARD_SMTP_USER": "me"},
            "SCORECARD_SMTP_USER is set but no password",
        ),
        (
            {
                "SCORECARD_SMTP_HOST": "127.0.0.1",
                "SCORECARD_SMTP_FROM": SENDER,
                "SCORECARD_SMTP_CA_FILE": str(tmp_path / "missing-ca.pem"),
            },
            "SCORECARD_SMTP_CA_FILE: .*missing-ca.pem does not exist",
        ),
        (
            {
                "SCORECARD_SMTP_HOST": "192.0.2.1",
                "SCORECARD_SMTP_FROM": SENDER,
                "SCORECARD_SMTP_USER": "me",
                "SCORECARD_SMTP_PASSWORD": "pw",
                "SCORECARD_SMTP_SECURITY": "none",
            },
            "refusing to send the password for me unencrypted to 192.0.2.1",
        ),
    ]
    for env, message in cases:
        with pytest.raises(SendError, match=message):
            send(project, base | env)


# --- a list of thousands: Bcc, an append-only ledger, kills at any moment (issue 23) -------------------


def bcc_list(root, count, tickers="[BE]"):
    """One list of ``count`` recipients in Bcc, composed into the outbox (replacing the other lists)."""
    recipients = "\n".join(f"      - r{i:05d}@example.com" for i in range(count))
    (root / "distribution.yaml").write_text(
        f"lists:\n  big:\n    recipients:\n{recipients}\n    tickers: {tickers}\n    bcc: true\n"
    )
    shutil.rmtree(root / "build" / "outbox")
    compose(root)
    return {f"r{i:05d}@example.com" for i in range(count)}


def test_a_bcc_list_is_one_message_each_recipient_sees_only_the_lists_name(project, smtp_server, certificate, tmp_path):
    everyone = bcc_list(project, 3)
    (held,) = read_outbox(project / "build" / "outbox")
    assert held.name == "big.eml" and {r.addr_spec for r in held.recipients} == everyone
    assert b"\r\nBcc: r00000@example.com, r00001@example.com, r00002@example.com\r\n" in held.raw
    port, box = smtp_server("none", auth=False)
    report, _ = send(
        project,
        environment(
            port,
            certificate,
            tmp_path,
            SCORECARD_SMTP_SECURITY="none",
            SCORECARD_SMTP_USER=None,
            SCORECARD_SMTP_PASSWORD=None,
        ),
    )
    assert report.ok and len(report.sent) == 3
    assert sorted(rcpt for _, rcpt, _ in box.accepted) == sorted(everyone)  # one transaction each
    for _, _, data in box.accepted:
        assert b"@example.com, r0" not in data and data.count(b"r00000@example.com") == 0  # no one's address
        assert str(parse(data)["To"]) == "big:;"
        assert data == held.raw.replace(b"Bcc: r00000@example.com, r00001@example.com, r00002@example.com\r\n", b"")
    assert "X-Scorecard-Key: big" in data.decode()


def test_bcc_and_per_recipient_together_is_a_located_error(project):
    (project / "distribution.yaml").write_text(
        "lists:\n  big:\n    recipients: [a@example.com]\n    tickers: [BE]\n    bcc: true\n    per_recipient: true\n"
    )
    with pytest.raises(InputError) as caught:
        compose(project)
    assert str(caught.value) == (
        f"{project}/distribution.yaml:5:5: lists.big.bcc: bcc: true and per_recipient: true both keep the recipients "
        "from seeing each other (keep one: bcc sends one message to the whole list, per_recipient one message each)"
    )


def test_the_ledger_is_appended_a_line_per_delivery_and_compacted_on_open(tmp_path):
    """A torn last line (a kill as it was written) is the delivery in flight: dropped, and the file compacted before
    the next line is appended; a damaged line before the last is an error; the old ledger.json is carried over."""
    from scorecards.deliver.outbox import OLD_LEDGER, Entry

    path = tmp_path / LEDGER
    message = SimpleNamespace(key="big", content="sha256:1", message_id="<m@x>", name="big.eml", subject="S")
    ledger = Ledger.load(path)
    ledger.open()
    for i in range(3):
        ledger.record(message, Address("", addr_spec=f"R{i}@example.com"), "127.0.0.1:25", "250 ok")
    ledger.close()
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 4 and lines[0] == b'{"version": 2}\n'
    assert ledger.bytes_written == path.stat().st_size  # created by compaction, then one line per delivery
    assert json.loads(lines[3])["recipient_key"] == "r2@example.com"

    path.write_bytes(b"".join(lines[:3]) + lines[3][:40])  # the last line torn
    again = Ledger.load(path)
    assert set(again.entries["big"]) == {"r0@example.com", "r1@example.com"} and again.stale
    again.open()
    again.close()
    assert path.read_bytes() == b"".join(lines[:3])  # compacted: the torn line gone, nothing else changed

    path.write_bytes(b"".join(lines[:2]) + lines[3][:40] + b"\n" + lines[2])  # a damaged line inside
    with pytest.raises(MailError, match=r"ledger .* is damaged \(line 3: .*\): restore it from a backup"):
        Ledger.load(path)
    path.write_bytes(b"".join(lines[:2]) + lines[1] + lines[2])  # a line twice (a resend): compacted on open
    twice = Ledger.load(path)
    assert twice.stale
    twice.open()
    twice.close()
    assert path.read_bytes() == b"".join(lines[:3])

    path.unlink()
    old = {
        "version": 1,
        "sent": {
            "big": {"r0@example.com": asdict(Entry("c", "<m>", "big.eml", "S", "r0@example.com", "t", "s", "250"))}
        },
    }
    (tmp_path / OLD_LEDGER).write_text(json.dumps(old))
    carried = Ledger.load(path)
    entry = Entry("c", "<m>", "big.eml", "S", "r0@example.com", "t", "s", "250")
    assert carried.sent("big", "R0@example.com") == entry
    carried.open()
    carried.close()
    assert not (tmp_path / OLD_LEDGER).exists()
    assert Ledger.load(path).entries == carried.entries


def test_a_send_killed_at_any_moment_leaves_a_ledger_that_loads_and_repeats_at_most_the_delivery_in_flight(
    project, smtp_server, certificate, tmp_path
):
    """`scorecard send` to a real server, killed with SIGKILL at random moments, one kill followed by a torn last
    ledger line; each re-run sends only what the ledger lacks: every recipient gets the message, and no more than one
    per kill gets it twice (accepted by the server, killed before the line was written)."""
    import random
    import signal
    import time

    everyone = bcc_list(project, 400)
    port, box = smtp_server("none", auth=False)
    env = environment(
        port,
        certificate,
        tmp_path,
        SCORECARD_SMTP_SECURITY="none",
        SCORECARD_SMTP_USER=None,
        SCORECARD_SMTP_PASSWORD=None,
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    path = project / "build" / "outbox" / LEDGER
    chance = random.Random(23)
    kills = 0
    for round_ in range(4):
        before = len(box.accepted)
        process = subprocess.Popen(
            [sys.executable, "-m", "scorecards", "send"],
            cwd=project,
            env=clean | env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        wanted = chance.randint(20, 90)  # deliveries into this run, then the kill
        while len(box.accepted) < before + wanted and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(chance.random() * 0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        recorded = Ledger.load(path)  # loads, whatever the moment
        if round_ == 1:  # as if killed while writing the last line
            whole = path.read_bytes()
            path.write_bytes(whole[: whole.rstrip(b"\n").rfind(b"\n") + 1 + 25])
            kills += 1
            assert len(Ledger.load(path).entries["big"]) == len(recorded.entries["big"]) - 1
    finish = cli(project, env, "send")
    assert finish.returncode == 0, finish.stderr
    received = Counter(rcpt for _, rcpt, _ in box.accepted)
    assert set(received) == everyone
    twice = [rcpt for rcpt, n in received.items() if n > 1]
    assert len(twice) <= kills and all(received[r] == 2 for r in twice)
    assert set(Ledger.load(path).entries["big"]) == everyone
    last = cli(project, env, "send")
    assert "0 sent now, 400 sent before. Nothing to send" in last.stdout


def test_a_bcc_line_of_thousands_is_written_folded_and_read_back_whole(tmp_path):
    from email.message import EmailMessage

    from scorecards.deliver.outbox import bcc_value, read_message

    addresses = [f"reader{i:05d}@example.com" for i in range(2000)] + ["a.very.long.name.indeed@sub.example.co.uk"]
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"], msg["To"], msg["X-Scorecard-Key"] = "S", "big:;", "big"
    msg.set_raw("Bcc", bcc_value(addresses))
    msg.set_content("body")
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert max(len(line) for line in head) <= 78 and all(line[:1] in b" BSTXMC" for line in head)
    (tmp_path / "big.eml").write_bytes(raw)
    held = read_message(tmp_path / "big.eml")
    assert [a.addr_spec for a in held.recipients] == addresses and held.hidden
    assert b"reader" not in held.wire and held.wire.endswith(b"\r\n\r\nbody\r\n")
    edited = raw.replace(b"Bcc: reader00000@example.com,", b'Bcc: "Reader, Zero" <reader00000@example.com>,')
    (tmp_path / "edited.eml").write_bytes(edited)  # by hand, with a name: read by the email package's parser
    assert [a.addr_spec for a in read_message(tmp_path / "edited.eml").recipients] == addresses
