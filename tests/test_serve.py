"""scorecard serve: the pages as the server sends them, and a real browser reloading as the files are saved."""

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.pipeline import Report
from scorecards.build.serve import VERSION_PATH, Server, Shown, serve, shown_after
from scorecards.errors import Problem, ScorecardError
from scorecards.settings import Settings

PAGE = '<!DOCTYPE html>\n<html><body><p class="figure">¥3.714T</p></body>\n</html>\n'
PDF = b"%PDF-1.7\n% not a real PDF, but it has </body> in it\n%%EOF\n"
BROKEN = Problem("inputs/sony.yaml", 20, 25, "quarters[0].results.revenue.actual", "'3.8QQ' <b>is</b> not an amount")


def get(url):
    """(status, content type, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def wait_until(condition, timeout=120, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.1)


@pytest.fixture
def site(tmp_path):
    """A server on a free port of 127.0.0.1 over a build folder of two pages, a PDF and an index."""
    root = tmp_path / "build"
    (root / "zh-Hant").mkdir(parents=True)
    for page in ["index.html", "sony.html", "bloom-energy.html", "zh-Hant/sony.html"]:
        (root / page).write_text(PAGE, "utf-8")
    (root / "sony.pdf").write_bytes(PDF)
    server = Server(0, Shown(root, version=1))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,))  # stopped within 0.05 s
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_html_pages_are_sent_with_the_reload_script_and_stay_unchanged_on_disk(site):
    server, url = site
    status, kind, body = get(url + "/sony.html")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    text = body.decode()
    assert text.startswith(PAGE.split("</body>", maxsplit=1)[0])  # the page as built, up to where the script goes
    assert re.search(rf'var shown = 1;.*fetch\("{VERSION_PATH}".*location\.reload\(\).*</script></body>', text, re.S)
    assert 'role="alert"' not in text  # no errors: no banner
    assert (server.shown.root / "sony.html").read_text("utf-8") == PAGE
    assert "location.reload()" in get(url + "/")[2].decode()  # a folder's index.html too


def test_the_version_endpoint_gives_the_build_counter(site):
    server, url = site
    status, kind, body = get(url + VERSION_PATH)
    assert (status, kind, json.loads(body)) == (200, "application/json", {"version": 1})
    server.shown = Shown(server.shown.root, version=2)
    assert json.loads(get(url + VERSION_PATH)[2]) == {"version": 2}
    assert "var shown = 2;" in get(url + "/sony.html")[2].decode()


def test_a_broken_company_page_lists_its_located_problems_escaped(site):
    server, url = site
    server.shown = Shown(server.shown.root, 3, {"sony": [str(BROKEN)]})
    for page in ["/sony.html", "/zh-Hant/sony.html"]:
        status, _, body = get(url + page)
        text = body.decode()
        assert status == 200
        assert "<title>sony.yaml: not built, 1 error</title>" in text
        assert (
            "<code>inputs/sony.yaml:20:25: quarters[0].results.revenue.actual: "
            "&#x27;3.8QQ&#x27; &lt;b&gt;is&lt;/b&gt; not an amount</code>" in text
        )
        assert "¥3.714T" not in text  # not the stale scorecard
        assert "var shown = 3;" in text
    assert "¥3.714T" in get(url + "/bloom-energy.html")[2].decode()  # the other company is as built


def test_errors_of_no_one_company_are_shown_on_every_page(site):
    server, url = site
    (server.shown.root / "bloom-energy.html").unlink()  # not built: the errors, not a 404
    server.shown = Shown(server.shown.root, 4, {}, ("scorecard.toml: page_size: Input should be 'A4' or 'Letter'",))
    for page in ["/", "/sony.html", "/zh-Hant/sony.html", "/bloom-energy.html"]:
        status, _, body = get(url + page)
        assert status == 200
        assert "scorecard.toml: page_size: Input should be &#x27;A4&#x27; or &#x27;Letter&#x27;" in body.decode()
        assert "var shown = 4;" in body.decode()
    assert "¥3.714T" in get(url + "/sony.html")[2].decode()  # above the page, which is still there


def test_other_files_are_sent_as_they_are(site):
    server, url = site
    server.shown = Shown(server.shown.root, 5, {"sony": [str(BROKEN)]}, ("a template error",))
    assert get(url + "/sony.pdf") == (200, "application/pdf", PDF)
    assert get(url + "/season.html")[0] == 200  # not built, but there are errors to show
    server.shown = Shown(server.shown.root, 6)
    assert get(url + "/season.html")[0] == 404


def test_a_port_in_use_is_an_error_to_act_on(site):
    server, _ = site
    with pytest.raises(ScorecardError, match=rf"cannot serve on 127\.0\.0\.1:{server.server_port}: .*--port"):
        serve(port=server.server_port)


def test_problems_are_shown_in_their_company_page_or_in_every_page(tmp_path):
    settings = Settings(inputs=tmp_path / "inputs", build=tmp_path / "build")
    here = str(tmp_path / "inputs")
    report = Report(
        fresh=["bloom-energy"],
        failed=["sony", "zh-Hant/sony"],
        problems=[
            Problem(f"{here}/sony.yaml", 20, 25, "quarters[0].results.revenue.actual", "not an amount"),
            Problem(f"{here}/bloom-energy.yaml", 3, 5, "company.sector", "unknown sector", warning=True),
            Problem(f"{here}/fx.yaml", 2, 1, "rates.JPY", "not a number"),
            Problem(f"{here}/consensus/sony.csv", 4, 0, "", "unknown metric"),
        ],
    )
    logged = [str(report.problems[0]), "inputs/sony.yaml: cannot render in zh-Hant: UndefinedError: 'x'"]
    shown = shown_after(report, logged, settings, 7)
    assert shown.root == (tmp_path / "build").resolve()
    assert shown.version == 7
    assert shown.by_slug == {"sony": [f"{here}/sony.yaml:20:25: quarters[0].results.revenue.actual: not an amount"]}
    assert shown.general == (
        f"{here}/fx.yaml:2:1: rates.JPY: not a number",
        f"{here}/consensus/sony.csv:4: unknown metric",
        "inputs/sony.yaml: cannot render in zh-Hant: UndefinedError: 'x'",
    )


@pytest.fixture
def project(tmp_path):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(REPO / "tests" / "inputs" / "companies", tmp_path / "inputs")
    return tmp_path


@contextlib.contextmanager
def serving_in_a_thread():
    """``serve`` in a thread of this process (one PDF worker: no pool), from the current folder; yields its URL
    once the first build is done, and on leaving stops it and checks it ended without an exception."""
    stop, urls = threading.Event(), queue.Queue()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(serve, port=0, jobs=1, stop=stop, ready=urls.put)
        try:
            wait_until(lambda: not urls.empty() or running.done(), what="the first build")
            assert not running.done(), running.exception()
            yield urls.get_nowait()
        finally:
            stop.set()
        running.result(timeout=60)  # ends once stopped, and raised nothing


@pytest.mark.slow
def test_a_settings_error_shows_on_every_page_until_it_is_fixed(project, monkeypatch):
    monkeypatch.chdir(project)
    with serving_in_a_thread() as url:
        (project / "scorecard.toml").write_text('page_size = "A5"\n', "utf-8")
        wait_until(lambda: b"scorecard.toml: page_size" in get(url + "sony.html")[2], what="the settings error")
        assert "¥3.714T" in get(url + "sony.html")[2].decode()  # the page as last built, below the error
        (project / "scorecard.toml").write_text('page_size = "Letter"\n', "utf-8")
        wait_until(lambda: b'role="alert"' not in get(url + "sony.html")[2], what="the page without the error")
    assert "scorecards-serve" not in [thread.name for thread in threading.enumerate()]


@pytest.mark.slow
def test_a_save_made_while_the_first_build_runs_is_built_too(project, monkeypatch):
    """The watcher starts once the first build is done: a file saved while it ran, after it was read (here, as
    the build ends), is still noticed and built."""
    import scorecards.build.serve as serving

    monkeypatch.chdir(project)
    yaml = project / "inputs" / "sony.yaml"
    builds = []

    def build_then_save(*args, **kwargs):
        report = real_build(*args, **kwargs)
        if not builds:
            yaml.write_text(yaml.read_text("utf-8").replace("3.714T", "3.815T"), "utf-8")
        builds.append(report)
        return report

    real_build = serving.build
    monkeypatch.setattr(serving, "build", build_then_save)
    with serving_in_a_thread() as url:
        wait_until(lambda: "¥3.815T" in get(url + "sony.html")[2].decode(), what="the save built")
    assert [report.built for report in builds] == [["bloom-energy", "sony"], ["sony"]]


CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def revenue(driver):
    """The revenue actual in the open scorecard."""
    from selenium.webdriver.common.by import By

    return driver.find_element(By.XPATH, "//tr[th[normalize-space()='Revenue']]/td[contains(@class, 'actual')]").text


def cwd_of_processes():
    """The working folder of every process we may look at."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):  # ended meanwhile, or not ours to look at
            found.append(Path(os.readlink(proc / "cwd")))
    return found


@pytest.mark.slow
def test_the_open_page_follows_each_save(project):
    """A user's round: serve, open a scorecard, change a figure, break the file, mend it, Ctrl-C."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"]:
        if not Path(program).exists():
            pytest.skip(f"{program} is not installed")
    yaml = project / "inputs" / "sony.yaml"
    original = yaml.read_text("utf-8")
    assert "revenue: {actual: 3.714T" in original
    output = project / "serve.out"
    with output.open("w") as out:  # as a user starts it, on a port that is free
        command = [sys.executable, "-m", "scorecards", "serve", "--port", "0"]
        server = subprocess.Popen(command, cwd=project, stdout=out, stderr=subprocess.STDOUT)
    driver = None
    try:
        wait_until(lambda: "http://" in output.read_text() or server.poll() is not None, what="the first build")
        url = re.search(r"http://127\.0\.0\.1:\d+/", output.read_text())
        assert url, output.read_text()
        options = webdriver.ChromeOptions()
        for argument in CHROMIUM_FLAGS:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.get(url[0] + "sony.html")
        assert revenue(driver) == "¥3.714T"
        wait = WebDriverWait(driver, 90, ignored_exceptions=[NoSuchElementException, StaleElementReferenceException])

        yaml.write_text(original.replace("3.714T", "3.815T"), "utf-8")
        wait.until(lambda d: revenue(d) == "¥3.815T", "the new figure in the open page")

        broken = original.replace("3.714T", "3.8QQ")
        line = next(n for n, text in enumerate(broken.splitlines(), 1) if "3.8QQ" in text)
        where = f"sony.yaml:{line}:{broken.splitlines()[line - 1].index('3.8QQ') + 1}:"
        yaml.write_text(broken, "utf-8")
        wait.until(lambda d: where in d.find_element(By.TAG_NAME, "body").text, f"{where} in the open page")
        shown = driver.find_element(By.TAG_NAME, "body").text
        assert "quarters[0].results.revenue.actual: '3.8QQ' has an unknown scale or unit 'QQ'" in shown
        assert "¥" not in shown  # the error, not the last good scorecard

        yaml.write_text(original, "utf-8")
        wait.until(lambda d: revenue(d) == "¥3.714T", "the mended scorecard in the open page")

        server.send_signal(signal.SIGINT)  # Ctrl-C
        assert server.wait(timeout=60) == 0, output.read_text()
        assert "stopped" in output.read_text()
        wait_until(lambda: project.resolve() not in cwd_of_processes(), 60, "the build's processes to end")
    finally:
        if driver is not None:
            driver.quit()
        if server.poll() is None:
            server.kill()
            server.wait()


def test_only_this_machine_s_names_and_no_hidden_files_or_outbox(site, tmp_path):
    """A page elsewhere that makes a name resolve to 127.0.0.1 (DNS rebinding) gets nothing; nor does anyone get
    the build's records or the outbox's e-mails (their recipients)."""
    server, url = site
    (tmp_path / "build" / "outbox").mkdir()
    (tmp_path / "build" / "outbox" / "clients.eml").write_text("To: someone@example.com\n")
    (tmp_path / "build" / ".records.json").write_text("{}")
    request = urllib.request.Request(url + "/sony.html", headers={"Host": "attacker.example:80"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    assert get(f"http://localhost:{server.server_port}/sony.html")[0] == 200
    assert get(url + "/outbox/clients.eml")[0] == 404
    assert get(url + "/.records.json")[0] == 404
