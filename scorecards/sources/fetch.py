"""Downloading companyfacts files from the SEC into inputs/sec/.

The SEC's rules for automated access (https://www.sec.gov/os/accessing-edgar-data): every
request names who is asking in its User-Agent ("Name email@example.com"), and no more than ten
requests a second. We keep both: the User-Agent comes from ``SCORECARD_SEC_USER_AGENT`` or the
``sec_user_agent`` setting, and requests are spaced at least 0.1 s apart.

Freshness: a cached file younger than ``sec_refresh_hours`` (default 24) is used without asking.
An older one is asked for with ``If-Modified-Since`` (its modification time); the SEC answers
304 when nothing changed, and the file is kept and its time renewed. ``--force`` downloads anyway.

Tests point the base addresses at a local server: ``SCORECARD_SEC_DATA_URL`` (default
https://data.sec.gov) and ``SCORECARD_SEC_WWW_URL`` (default https://www.sec.gov).
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scorecards.errors import FetchError, FilingError
from scorecards.files import write_atomic
from scorecards.sources.sec import MAX_FILE_BYTES, cik_file_name, parse_companyfacts, read_limited

DATA_URL = "https://data.sec.gov"
WWW_URL = "https://www.sec.gov"
USER_AGENT_ENV = "SCORECARD_SEC_USER_AGENT"
DATA_URL_ENV = "SCORECARD_SEC_DATA_URL"
WWW_URL_ENV = "SCORECARD_SEC_WWW_URL"
TICKERS_FILE = "company_tickers.json"
MAX_PER_SECOND = 10
TIMEOUT = 60
RETRIES = 3  # for 429 / 503: the SEC's "slow down"


class RateLimiter:
    """At most ``per_second`` calls a second, across threads: each waits for its slot."""

    def __init__(
        self,
        per_second: int = MAX_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = 1.0 / per_second
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


_LIMITER = RateLimiter()


@dataclass(frozen=True)
class Fetched:
    """What fetch-sec did for one company."""

    cik: int
    name: str
    path: Path
    action: str  # 'downloaded', 'not modified', 'fresh'


def user_agent(setting: str | None) -> str:
    """The User-Agent the SEC requires: from the environment, else the setting; an error if neither."""
    value = (os.environ.get(USER_AGENT_ENV) or setting or "").strip()
    if not value:
        raise FetchError(
            f"the SEC requires every request to say who is asking: set {USER_AGENT_ENV}="
            '"Your Name you@example.com" (or sec_user_agent in [tool.scorecard])'
        )
    if "@" not in value:
        raise FetchError(
            f"the User-Agent '{value}' has no e-mail address; the SEC asks for a name and an e-mail, "
            'e.g. "Jane Doe jane@example.com"'
        )
    return value


def base_urls() -> tuple[str, str]:
    return (os.environ.get(DATA_URL_ENV, DATA_URL).rstrip("/"), os.environ.get(WWW_URL_ENV, WWW_URL).rstrip("/"))


def fetch_companyfacts(
    identifier: str,
    folder: Path,
    agent: str,
    *,
    refresh_hours: float = 24,
    force: bool = False,
    limiter: RateLimiter = _LIMITER,
) -> Fetched:
    """Download one company's companyfacts file (by ticker or CIK) into ``folder`` unless the copy there is fresh."""
    data_url, www_url = base_urls()
    cik = _cik(identifier, folder, agent, www_url, refresh_hours, force, limiter)
    target = folder / cik_file_name(cik)
    status, body = _get_cached(
        f"{data_url}/api/xbrl/companyfacts/{cik_file_name(cik)}",
        target,
        agent,
        refresh_hours,
        force,
        limiter,
        missing=f"the SEC has no XBRL financial data for CIK {cik}",
    )
    if body is not None:
        try:
            facts = parse_companyfacts(body, str(target))
        except FilingError as exc:
            raise FetchError(f"the SEC's answer for CIK {cik} is not a companyfacts file: {exc}") from None
        if facts.cik != cik:
            raise FetchError(f"asked the SEC for CIK {cik}, got the facts of CIK {facts.cik}")
        write_atomic(target, body)
        return Fetched(cik, facts.name, target, status)
    name = _entity_name(target) or f"CIK {cik}"
    return Fetched(cik, name, target, status)


def _cik(
    identifier: str, folder: Path, agent: str, www_url: str, refresh_hours: float, force: bool, limiter: RateLimiter
) -> int:
    text = identifier.strip()
    digits = re.sub(r"^CIK", "", text, flags=re.IGNORECASE)
    if digits.isdigit():
        if not 0 < int(digits) < 10**10:
            raise FetchError(f"'{identifier}' is not a CIK (one to ten digits)")
        return int(digits)
    if not re.fullmatch(r"[A-Za-z0-9.\-]{1,10}", text):
        raise FetchError(f"'{identifier}' is neither a ticker nor a CIK")
    target = folder / TICKERS_FILE
    _, body = _get_cached(
        f"{www_url}/files/{TICKERS_FILE}",
        target,
        agent,
        refresh_hours,
        force,
        limiter,
        missing="the SEC's list of tickers is not where it should be",
    )
    if body is not None:
        _tickers(body, target)  # check it before keeping it
        write_atomic(target, body)
    try:
        table = _tickers(read_limited(target), target)
    except FilingError as exc:
        raise FetchError(str(exc)) from None
    wanted = text.upper().replace(".", "-")
    if wanted not in table:
        raise FetchError(
            f"the SEC's list of tickers has no '{text.upper()}' (give the CIK instead; "
            "foreign listings such as 6758 are not in it)"
        )
    return table[wanted]


def _tickers(raw: bytes, path: Path) -> dict[str, int]:
    try:
        data = json.loads(raw)
        rows = data.values() if isinstance(data, dict) else data
        return {str(row["ticker"]).upper().replace(".", "-"): int(row["cik_str"]) for row in rows}
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        raise FetchError(
            f"{path}: not the SEC's company_tickers.json (expected ticker and cik_str per company)"
        ) from None


def _entity_name(path: Path) -> str | None:
    try:
        return str(json.loads(read_limited(path)).get("entityName") or "") or None
    except (FilingError, ValueError, AttributeError, RecursionError):
        return None


def _get_cached(
    url: str, target: Path, agent: str, refresh_hours: float, force: bool, limiter: RateLimiter, *, missing: str
) -> tuple[str, bytes | None]:
    """('fresh' | 'not modified', None) when the cached copy stands, ('downloaded', body) otherwise."""
    headers = {"User-Agent": agent, "Accept-Encoding": "gzip, deflate", "Accept": "application/json"}
    if target.exists() and not force:
        age = time.time() - target.stat().st_mtime
        if age < refresh_hours * 3600:
            return "fresh", None
        headers["If-Modified-Since"] = email.utils.formatdate(target.stat().st_mtime, usegmt=True)
    for attempt in range(RETRIES):
        limiter.wait()
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                body = response.read(MAX_FILE_BYTES + 1)
                if len(body) > MAX_FILE_BYTES:
                    raise FetchError(f"{url}: the answer is larger than {MAX_FILE_BYTES // 2**20} MB; not kept")
                return "downloaded", _decoded(body, response.headers.get("Content-Encoding", ""), url)
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                os.utime(target)  # unchanged: fresh for another period
                return "not modified", None
            if exc.code in (429, 503) and attempt + 1 < RETRIES:
                time.sleep(_retry_after(exc.headers.get("Retry-After"), attempt))
                continue
            raise FetchError(_http_message(exc.code, url, missing)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"cannot reach {url}: {reason}") from None
    raise FetchError(f"{url}: the SEC kept asking to slow down; try again in a few minutes")  # pragma: no cover


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        return min(float(value), 60.0) if value else 2.0**attempt
    except ValueError:
        return 2.0**attempt


def _decoded(body: bytes, encoding: str, url: str) -> bytes:
    """The answer decompressed, to at most MAX_FILE_BYTES (a small answer may unpack to gigabytes)."""
    kind = encoding.strip().lower()
    if kind not in ("gzip", "deflate"):
        return body
    unpacker = zlib.decompressobj(zlib.MAX_WBITS | 16 if kind == "gzip" else zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_FILE_BYTES + 1)
    except zlib.error as exc:
        raise FetchError(f"{url}: the answer could not be decompressed: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise FetchError(f"{url}: the answer unpacks to more than {MAX_FILE_BYTES // 2**20} MB; not kept")
    if not unpacker.eof:
        raise FetchError(f"{url}: the answer could not be decompressed: it is cut short")
    return data


def _http_message(code: int, url: str, missing: str) -> str:
    if code == 404:
        return f"{missing} ({url}: 404 not found)"
    if code == 403:
        return (
            f"the SEC refused the request ({url}: 403); it refuses requests without a real name and e-mail "
            f"in the User-Agent, and clients that exceed ten requests a second"
        )
    return f"{url}: the SEC answered {code}"
