"""`scorecard fetch-sec`: a local HTTP server on 127.0.0.1 stands in for the SEC; nothing leaves the machine."""

import email.utils
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scorecards.errors import FetchError
from scorecards.sources.fetch import RateLimiter, fetch_companyfacts, user_agent

FACTS = (Path(__file__).parent / "fixtures" / "inputs" / "sec" / "CIK0000000042.json").read_bytes()
TICKERS = json.dumps(
    {
        "0": {"cik_str": 42, "ticker": "EXM", "title": "Example Corp"},
        "1": {"cik_str": 7, "ticker": "BRK-B", "title": "Other Co"},
    }
).encode()
AGENT = "Test Runner tests@example.com"

pytestmark = pytest.mark.server


class FakeSec(BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}
    requests: list[tuple[str, dict[str, str]]] = []
    modified = time.time() - 3600  # when the "SEC" last changed its files

    def do_GET(self):
        self.requests.append((self.path, dict(self.headers)))
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        since = self.headers.get("If-Modified-Since")
        if since and email.utils.parsedate_to_datetime(since).timestamp() >= self.modified:
            self.send_response(304)
            self.end_headers()
            return
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def sec(monkeypatch):
    FakeSec.routes = {
        "/files/company_tickers.json": TICKERS,
        "/api/xbrl/companyfacts/CIK0000000042.json": FACTS,
        "/api/xbrl/companyfacts/CIK0000000007.json": b'{"not": "facts"}',
    }
    FakeSec.requests = []
    FakeSec.modified = time.time() - 3600
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSec)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SCORECARD_SEC_DATA_URL", url)
    monkeypatch.setenv("SCORECARD_SEC_WWW_URL", url)
    yield FakeSec
    server.shutdown()
    server.server_close()


def paths(sec):
    return [path for path, _ in sec.requests]


def test_by_ticker_downloads_the_list_of_tickers_then_the_facts(sec, tmp_path):
    got = fetch_companyfacts("exm", tmp_path, AGENT)
    assert (got.cik, got.name, got.action) == (42, "Example Corp", "downloaded")
    assert got.path == tmp_path / "CIK0000000042.json"
    assert got.path.read_bytes() == FACTS  # gzip undone, stored as the SEC sent it
    assert paths(sec) == ["/files/company_tickers.json", "/api/xbrl/companyfacts/CIK0000000042.json"]
    assert all(headers["User-Agent"] == AGENT for _, headers in sec.requests)
    assert (tmp_path / "company_tickers.json").exists()


def test_a_fresh_file_is_not_asked_for_again(sec, tmp_path):
    fetch_companyfacts("EXM", tmp_path, AGENT)
    sec.requests.clear()
    got = fetch_companyfacts("EXM", tmp_path, AGENT)
    assert got.action == "fresh" and sec.requests == []


def test_an_old_file_is_asked_for_if_modified_since_and_kept_when_unchanged(sec, tmp_path):
    fetch_companyfacts("42", tmp_path, AGENT)
    target = tmp_path / "CIK0000000042.json"
    old = time.time() - 2 * 24 * 3600
    os.utime(target, (old, old))
    sec.modified = old - 3600  # the SEC's copy is older than ours
    sec.requests.clear()
    got = fetch_companyfacts("42", tmp_path, AGENT)
    assert got.action == "not modified" and got.name == "Example Corp"
    [(path, headers)] = sec.requests
    assert email.utils.parsedate_to_datetime(headers["If-Modified-Since"]).timestamp() == pytest.approx(old, abs=1)
    assert time.time() - target.stat().st_mtime < 60  # fresh again for another day


def test_an_old_file_is_downloaded_again_when_the_sec_has_a_newer_one(sec, tmp_path):
    fetch_companyfacts("42", tmp_path, AGENT)
    target = tmp_path / "CIK0000000042.json"
    old = time.time() - 2 * 24 * 3600
    os.utime(target, (old, old))
    target.write_bytes(b"{}")
    os.utime(target, (old, old))
    assert fetch_companyfacts("42", tmp_path, AGENT).action == "downloaded"
    assert target.read_bytes() == FACTS


def test_force_downloads_a_fresh_file(sec, tmp_path):
    fetch_companyfacts("42", tmp_path, AGENT)
    sec.requests.clear()
    assert fetch_companyfacts("CIK0000000042", tmp_path, AGENT, force=True).action == "downloaded"
    assert paths(sec) == ["/api/xbrl/companyfacts/CIK0000000042.json"]  # a CIK needs no ticker list


def test_an_unknown_ticker(sec, tmp_path):
    with pytest.raises(FetchError, match="has no 'NOPE'"):
        fetch_companyfacts("NOPE", tmp_path, AGENT)


def test_a_cik_the_sec_has_no_facts_for(sec, tmp_path):
    with pytest.raises(FetchError, match="the SEC has no XBRL financial data for CIK 99 .*404"):
        fetch_companyfacts("99", tmp_path, AGENT)
    assert not (tmp_path / "CIK0000000099.json").exists()


def test_an_answer_that_is_not_companyfacts_is_not_kept(sec, tmp_path):
    with pytest.raises(FetchError, match="not a companyfacts file"):
        fetch_companyfacts("BRK.B", tmp_path, AGENT)
    assert not (tmp_path / "CIK0000000007.json").exists()


def test_no_server_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SCORECARD_SEC_DATA_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(FetchError, match="cannot reach http://127.0.0.1:9/api/xbrl/companyfacts/CIK0000000042.json"):
        fetch_companyfacts("42", tmp_path, AGENT)


def test_user_agent_from_the_environment_or_the_setting(monkeypatch):
    monkeypatch.delenv("SCORECARD_SEC_USER_AGENT", raising=False)
    assert user_agent("Jane Doe jane@example.com") == "Jane Doe jane@example.com"
    monkeypatch.setenv("SCORECARD_SEC_USER_AGENT", AGENT)
    assert user_agent("Jane Doe jane@example.com") == AGENT
    monkeypatch.delenv("SCORECARD_SEC_USER_AGENT")
    with pytest.raises(FetchError, match="set SCORECARD_SEC_USER_AGENT="):
        user_agent(None)
    with pytest.raises(FetchError, match="no e-mail address"):
        user_agent("scorecards")


def test_at_most_ten_requests_a_second():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(21):
        limiter.wait()
        starts.append(now[0])
    assert starts[-1] - starts[0] == pytest.approx(2.0)
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(starts, starts[1:], strict=False))
    assert slept[0] == pytest.approx(0.1)


def test_fetch_sec_command(sec, tmp_path):
    env = {**os.environ, "SCORECARD_SEC_USER_AGENT": AGENT}
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "fetch-sec", "EXM", "NOPE"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "inputs/sec/CIK0000000042.json: Example Corp, CIK 42: downloaded" in result.stdout
    assert "use it with `cik: 42` under company:" in result.stdout
    assert "error: NOPE: the SEC's list of tickers has no 'NOPE'" in result.stderr
    assert (tmp_path / "inputs" / "sec" / "CIK0000000042.json").read_bytes() == FACTS


def test_fetch_sec_without_a_user_agent_says_how_to_set_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SCORECARD_SEC_USER_AGENT"}
    env["SCORECARD_SEC_DATA_URL"] = env["SCORECARD_SEC_WWW_URL"] = "http://127.0.0.1:9"
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "fetch-sec", "EXM"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "error: the SEC requires every request to say who is asking: set SCORECARD_SEC_USER_AGENT=" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_answer_that_unpacks_beyond_any_companyfacts_is_not_kept(sec, tmp_path, monkeypatch):
    # 3 MB of digits gzip to a few KB: the answer is unpacked to at most the limit, never whole
    monkeypatch.setattr("scorecards.sources.fetch.MAX_FILE_BYTES", 2**20)
    sec.routes["/api/xbrl/companyfacts/CIK0000000042.json"] = b'{"cik": 42, "pad": "' + b"0" * 3 * 2**20 + b'"}'
    with pytest.raises(
        FetchError, match=r"/api/xbrl/companyfacts/CIK0000000042.json: the answer unpacks to more than 1 MB; not kept"
    ):
        fetch_companyfacts("42", tmp_path, AGENT)
    assert not (tmp_path / "CIK0000000042.json").exists()
