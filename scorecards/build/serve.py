"""``scorecard serve``: build, serve build/ on 127.0.0.1, rebuild on every save and reload the open page.

One watcher and one small HTTP server in the same process (mkdocs' ``serve``). The pages on disk are never
changed: the server adds a script to each HTML page it sends, which polls the build counter and reloads the page
once a rebuild has run, and it answers a broken company's page with that company's located errors instead.
"""

from __future__ import annotations

import contextlib
import gc
import html
import json
import logging
import os
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import watchfiles

from scorecards.build.pipeline import FORMATS, Report, build
from scorecards.errors import ScorecardError
from scorecards.settings import SETTINGS_FILES, Settings, load_settings

logger = logging.getLogger(__name__)

VERSION_PATH = "/__scorecards__/version"
RELOAD = string.Template("""<script>
(function () {
  var shown = $version;  // the build this page comes from
  setInterval(function () {
    fetch("$endpoint", {cache: "no-store"})
      .then(function (answer) { return answer.json(); })
      .then(function (now) { if (now.version !== shown) location.reload(); })
      .catch(function () {});  // the server is stopped or busy: ask again
  }, 500);
})();
</script>""")
PAGE = string.Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title></head>
<body style="margin: 0">$alerts</body></html>""")
ALERT = string.Template("""<section role="alert" style="font: 15px/1.45 system-ui, sans-serif; color: #1b1f24;
 background: #fff4f4; border: 2px solid #b42318; border-radius: 6px; padding: 1rem 1.25rem; margin: 1rem; $style">
<h1 style="font-size: 1.2rem; margin: 0 0 .5rem; color: #b42318">$heading</h1>
<ul style="margin: 0; padding-left: 1.2rem; white-space: pre-wrap; overflow-wrap: anywhere">$items</ul>
<p style="margin: .6rem 0 0">Fix it and save: this page reloads by itself.</p></section>""")
BANNER = "position: fixed; top: 0; left: 0; right: 0; z-index: 2147483647; max-height: 45vh; overflow: auto;"


@dataclass(frozen=True)
class Shown:
    """What the server shows besides the build folder's files: the build counter the open pages poll, and the
    errors of the last build, by company (slug) and those of no one company (``general``)."""

    root: Path
    version: int = 0
    by_slug: dict[str, list[str]] = field(default_factory=dict)
    general: tuple[str, ...] = ()


def shown_after(report: Report, logged: list[str], settings: Settings, version: int) -> Shown:
    """A build's errors (never its warnings): a problem of inputs/<slug>.yaml in that company's page, the others
    and the errors it logged (a template's, a PDF's) in every page."""
    inputs = settings.inputs.resolve()
    companies = {name.rsplit("/", 1)[-1] for name in [*report.built, *report.fresh, *report.failed]}
    by_slug: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in (p for p in report.problems if not p.warning):
        path = Path(problem.path)
        if path.suffix == ".yaml" and path.stem in companies and path.parent.resolve() == inputs:
            by_slug.setdefault(path.stem, []).append(str(problem))
        else:
            general.append(str(problem))
    general += [message for message in logged if message not in {str(p) for p in report.problems}]
    return Shown(settings.build.resolve(), version, by_slug, tuple(dict.fromkeys(general)))


class _Logged(logging.Handler):
    """The error messages logged while it is attached (to the package's logger, during a build)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _alert(heading: str, lines: Iterable[str], style: str = "") -> str:
    items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
    return ALERT.substitute(heading=html.escape(heading), items=items, style=style)


def _reload(shown: Shown) -> str:
    return RELOAD.substitute(version=shown.version, endpoint=VERSION_PATH)


def _error_page(slug: str, errors: list[str], shown: Shown) -> str:
    """The page of a company not built: its file's errors, and the build's others."""
    title = f"{slug}.yaml: not built, {len(errors)} error{'s' if len(errors) != 1 else ''}" if errors else "Not built"
    alerts = [_alert(title, errors)] if errors else []
    alerts += [_alert("Errors of the build", shown.general)] if shown.general else []
    return PAGE.substitute(title=html.escape(title), alerts="".join(alerts) + _reload(shown))


def _with_reload(page: str, shown: Shown) -> str:
    """The page with the reload script (and the build's other errors on top) added before its ``</body>``."""
    added = (_alert("Errors of the build", shown.general, BANNER) if shown.general else "") + _reload(shown)
    head, body_end, tail = page.rpartition("</body>")
    return f"{head}{added}{body_end}{tail}" if body_end else page + added


class Handler(SimpleHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        shown = self.server.shown
        port = self.server.server_port
        if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            self.send_error(HTTPStatus.FORBIDDEN, "only http://127.0.0.1 or http://localhost")  # DNS rebinding
            return
        if any(part.startswith(".") or part == "outbox" for part in PurePosixPath(path).parts):
            self.send_error(HTTPStatus.NOT_FOUND)  # records, caches, the e-mails with their recipients
            return
        if path == VERSION_PATH:
            self._send(json.dumps({"version": shown.version}).encode(), "application/json")
            return
        file = Path(self.translate_path(self.path))
        if file.is_dir() and path.endswith("/"):
            file /= "index.html"
        if file.suffix != ".html":
            super().do_GET()  # PDFs, stylesheets, data files as they are; a folder without its "/" redirected
            return
        page = PurePosixPath(path)  # /<slug>.html or /<language>/<slug>.html
        errors = shown.by_slug.get(page.stem, []) if len(page.parts) <= 3 else []
        try:
            text = None if errors else file.read_text("utf-8")
        except OSError:  # not built: moved aside, or never built
            text = None
        if text is None and not (errors or shown.general):
            super().do_GET()  # 404
            return
        body = _error_page(page.stem, errors, shown) if text is None else _with_reload(text, shown)
        self._send(body.encode(), "text/html; charset=utf-8")

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        logger.debug(format, *args)  # twice a second per open page: never on the terminal


class Server(ThreadingHTTPServer):
    """Serves ``shown.root`` on 127.0.0.1 (``port`` 0: any free port)."""

    def __init__(self, port: int, shown: Shown) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.shown = shown

    def finish_request(self, request: Any, client_address: Any) -> None:
        Handler(request, client_address, self, directory=str(self.shown.root))

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # the browser left (a reload, a closed tab)
            return
        super().handle_error(request, client_address)


class _Relevant(watchfiles.DefaultFilter):
    """The default filter (editors' swap files, caches), and of the current folder only the settings files."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        where = Path(path)
        return super().__call__(change, path) and (where.parent != Path.cwd() or where.name in SETTINGS_FILES)


def _watched(settings: Settings) -> list[Path]:
    """The folders to watch, each by itself (a watched file is lost once an editor saves by renaming over it)."""
    roots = [settings.inputs.resolve(), settings.templates.resolve(), settings.locale.resolve()]
    folders = [Path.cwd(), *(path for root in roots for path in [root, *root.rglob("*")] if path.is_dir())]
    return sorted(set(folders))


def _saved_since(folders: list[Path], when: float) -> Path | None:
    """A watched file saved after ``when`` (a build's start), if any."""
    relevant = _Relevant()
    for folder in folders:
        for path in folder.iterdir():
            with contextlib.suppress(OSError):  # gone meanwhile
                saved = path.stat().st_mtime
                if path.is_file() and when < saved <= time.time() and relevant(watchfiles.Change.modified, str(path)):
                    return path
    return None


def _named(changes: set[tuple[watchfiles.Change, str]]) -> str:
    """'inputs/sony.yaml', or 'inputs/sony.yaml (and 1 more)': a file still there first (not an editor's temporary)."""
    paths = sorted({path for _, path in changes}, key=lambda path: (not os.path.exists(path), path))
    return os.path.relpath(paths[0]) + (f" (and {len(paths) - 1} more)" if len(paths) > 1 else "")


def _rebuild(
    server: Server, load: Callable[[], Settings], settings: Settings, jobs: int | None, cause: str
) -> Settings:
    """Build with the settings as they are now (or, if they cannot be read, keep the last good ones, to watch)."""
    version = server.shown.version + 1
    logged, package = _Logged(), logging.getLogger("scorecards")
    package.addHandler(logged)
    try:
        settings = load()
        report = build(settings, FORMATS, jobs)
    except ScorecardError as exc:
        logger.error("cannot build: %s", exc)
        server.shown = Shown(settings.build.resolve(), version, {}, tuple(str(exc).splitlines()))
        return settings
    except Exception as exc:  # a bug: shown in the page and logged with its traceback; serving goes on
        logger.exception("the build failed")
        server.shown = Shown(settings.build.resolve(), version, {}, (f"the build failed: {type(exc).__name__}: {exc}",))
        return settings
    finally:
        package.removeHandler(logged)
        gc.unfreeze()  # a build keeps its scorecards out of the collector's sight for good; here they are garbage
        gc.collect()  # once the next build is made
    server.shown = shown_after(report, logged.messages, settings, version)
    counts = f"{len(report.built)} built, {len(report.fresh)} up to date"
    if report.ok:
        logger.info("%s: %s", cause, counts)
    else:
        logger.error("%s: %s, %d failed (%s)", cause, counts, len(report.failed), ", ".join(report.failed))
    return settings


def serve(
    load: Callable[[], Settings] = load_settings,
    port: int = 8000,
    jobs: int | None = None,
    stop: threading.Event | None = None,
    ready: Callable[[str], object] | None = None,
) -> None:
    """Build, serve the build folder on http://127.0.0.1:``port``/ and rebuild after every change to the inputs,
    the templates or the settings, until Ctrl-C or ``stop`` is set; ``ready`` is called with the URL once served."""
    stop = stop or threading.Event()
    try:
        server = Server(port, Shown(Settings().build.resolve()))
    except OSError as exc:
        raise ScorecardError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror} (choose another with --port)") from None
    thread = threading.Thread(target=server.serve_forever, name="scorecards-serve")
    try:
        built_from = time.time()  # files saved after this are not in the build
        settings = _rebuild(server, load, Settings(), jobs, "first build")
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}/"
        logger.info("Serving %s/ on %s (Ctrl-C to stop)", os.path.relpath(server.shown.root), url)
        if ready is not None:
            ready(url)
        while not stop.is_set():
            folders = _watched(settings)
            saved = _saved_since(folders, built_from)  # while the build ran, before the watcher was watching
            if saved:
                built_from = time.time()
                settings = _rebuild(server, load, settings, jobs, f"rebuilt after change to {os.path.relpath(saved)}")
                continue
            for changes in watchfiles.watch(*folders, watch_filter=_Relevant(), stop_event=stop, recursive=False):
                built_from = time.time()
                settings = _rebuild(server, load, settings, jobs, f"rebuilt after change to {_named(changes)}")
                if _watched(settings) != folders:
                    break  # a folder added or removed, or the settings name others: watch anew
    except KeyboardInterrupt:
        logger.info("stopped")
    finally:
        if thread.ident is not None:  # started
            server.shutdown()
            thread.join()
        server.server_close()
