"""Scorecards kept between builds (build/.cache/cards): used only when nothing they rest on has changed."""

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.cache import CardCache
from scorecards.build.corpus import read_company
from scorecards.render.exports import card_lines
from scorecards.settings import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"  # a company taking from its filing, consensus and transcript


@pytest.fixture
def inputs(tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "inputs")
    return tmp_path / "inputs"


def cache_in(tmp_path, base="settings and code"):
    return CardCache(tmp_path / "build" / ".cache" / "cards", base)


def test_a_kept_scorecard_is_the_one_the_file_gives(tmp_path, inputs):
    (inputs / "transcripts" / "exm-q4-2024.txt").write_text("Jane Doe:\nHello.\n")  # a warning: matches no quarter
    settings = Settings(inputs=inputs)
    fresh = read_company(inputs / "exm.yaml", settings, cache=cache_in(tmp_path))
    assert fresh.doc is not None and [p.warning for p in fresh.problems] == [True]
    first = cache_in(tmp_path)
    read_company(inputs / "exm.yaml", settings, cache=first)
    first.save({"exm"})
    assert (tmp_path / "build" / ".cache" / "cards" / "exm.pickle").exists()
    kept = read_company(inputs / "exm.yaml", settings, cache=cache_in(tmp_path))
    assert kept.doc is None  # not parsed again
    assert kept.card == fresh.card
    assert kept.problems == fresh.problems and kept.inputs_digest == fresh.inputs_digest != ""
    assert kept.lines is None  # no build has made its lines yet


def test_lines_made_by_a_build_are_kept_with_the_scorecard(tmp_path, inputs):
    settings = Settings(inputs=inputs)
    cache = cache_in(tmp_path)
    read_company(inputs / "exm.yaml", settings, cache=cache)
    cache.save({"exm"})
    cache = cache_in(tmp_path)
    item = read_company(inputs / "exm.yaml", settings, cache=cache)
    item.lines = card_lines(item.card)
    cache.save({"exm"})
    again = read_company(inputs / "exm.yaml", settings, cache=cache_in(tmp_path))
    assert again.lines == item.lines and "EXM" in again.lines.csv


def key_after(tmp_path, inputs, change):
    cache = cache_in(tmp_path)
    before = cache.key((inputs / "exm.yaml").read_bytes(), inputs)
    change()
    return before, cache_in(tmp_path).key((inputs / "exm.yaml").read_bytes(), inputs)


@pytest.mark.parametrize("change", ["file", "transcript added", "consensus rewritten", "filing touched"])
def test_a_change_to_what_the_scorecard_rests_on_changes_the_key(tmp_path, inputs, change):
    def alter():
        if change == "file":
            (inputs / "exm.yaml").write_text((inputs / "exm.yaml").read_text() + "\n# edited\n")
        elif change == "transcript added":
            (inputs / "transcripts" / "exm-q3-fy2024.txt").write_text("Jane Doe:\nHello.\n")
        elif change == "consensus rewritten":
            path = inputs / "consensus" / "exm.csv"
            path.write_text(path.read_text() + "\n")
        else:
            path = inputs / "sec" / "CIK0000000042.json"
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))

    before, after = key_after(tmp_path, inputs, alter)
    assert before != after


def test_other_settings_or_code_change_the_key(tmp_path, inputs):
    raw = (inputs / "exm.yaml").read_bytes()
    assert cache_in(tmp_path, "one").key(raw, inputs) != cache_in(tmp_path, "two").key(raw, inputs)
    assert cache_in(tmp_path, "one").key(raw, inputs) == cache_in(tmp_path, "one").key(raw, inputs)


def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path, inputs):
    settings = Settings(inputs=inputs)
    cache = cache_in(tmp_path)
    read_company(inputs / "exm.yaml", settings, cache=cache)
    cache.save({"exm"})
    entry = tmp_path / "build" / ".cache" / "cards" / "exm.pickle"
    key = cache.key((inputs / "exm.yaml").read_bytes(), inputs)
    entry.write_bytes(key.encode() + b"\nnot a pickle")
    assert cache_in(tmp_path).get("exm", key) is None
    entry.write_bytes(b"0" * 64 + b"\n" + b"anything")
    assert cache_in(tmp_path).get("exm", key) is None
    item = read_company(inputs / "exm.yaml", settings, cache=cache_in(tmp_path))
    assert item.doc is not None and item.card is not None  # read again


def test_a_file_taking_a_filing_from_elsewhere_is_not_kept(tmp_path, inputs):
    elsewhere = inputs / "elsewhere"  # inside inputs/ (a filing outside it is refused), outside inputs/sec/
    elsewhere.mkdir()
    shutil.move(inputs / "sec" / "CIK0000000042.json", elsewhere / "facts.json")
    text = (inputs / "exm.yaml").read_text()
    assert "cik:" in text
    (inputs / "exm.yaml").write_text(text.replace("cik:", "companyfacts: elsewhere/facts.json\n  cik:", 1))
    cache = cache_in(tmp_path)
    item = read_company(inputs / "exm.yaml", Settings(inputs=inputs), cache=cache)
    # a filing outside the folder of company files is refused (issue 23), so nothing rests on it unseen
    assert item.card is None
    assert [p.field for p in item.errors] == ["company.companyfacts"] and "is outside" in item.errors[0].message
    cache.save({"exm"})
    assert not (tmp_path / "build" / ".cache" / "cards" / "exm.pickle").exists()


def test_entries_of_companies_gone_are_dropped(tmp_path, inputs):
    cache = cache_in(tmp_path)
    read_company(inputs / "exm.yaml", Settings(inputs=inputs), cache=cache)
    cache.save({"exm"})
    cache_in(tmp_path).save(set())
    assert list((tmp_path / "build" / ".cache" / "cards").glob("*.pickle")) == []


def build(root):
    result = subprocess.run(
        [sys.executable, "-m", "scorecards", "build", "--format", "html"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def project(root, inputs):
    shutil.copytree(inputs, root / "inputs")
    shutil.copytree(REPO / "templates", root / "templates")
    return root


def test_a_build_after_one_file_changed_writes_what_a_first_build_writes(tmp_path):
    """The season's pages and data files from kept scorecards and kept lines are those of a build from nothing."""
    again = project(tmp_path / "again", REPO / "inputs")
    build(again)
    kept = again / "build" / ".cache" / "cards"
    assert sorted(p.stem for p in kept.glob("*.pickle")) == sorted(p.stem for p in (REPO / "inputs").glob("*.yaml"))
    amazon = (kept / "amazon.pickle").stat().st_mtime_ns
    sony = again / "inputs" / "sony.yaml"
    text = sony.read_text()
    changed = text.replace("name: Sony Group Corporation", "name: Sony Group Corp.", 1)
    assert changed != text
    sony.write_text(changed)
    second = build(again)
    assert "render  sony (html)" in second.stderr and "render  amazon" not in second.stderr  # the build's log
    assert (kept / "amazon.pickle").stat().st_mtime_ns == amazon  # taken as it was, with its lines
    first = build(project(tmp_path / "first", again / "inputs"))
    for name in ("season.csv", "season.json", "season.xlsx", "season.html", "sony.html", "index.html"):
        assert (again / "build" / name).read_bytes() == (tmp_path / "first" / "build" / name).read_bytes(), name

    def problems(result):
        return [line for line in result.stderr.splitlines() if not line.startswith("  ")]  # not what it rendered

    assert problems(second) == problems(first)  # the kept scorecards' warnings are shown again


def test_the_schema_is_made_again_only_when_the_code_changed_or_it_is_gone(tmp_path):
    root = project(tmp_path / "p", REPO / "tests" / "inputs" / "companies")
    build(root)
    schema = root / "build" / "scorecard.schema.json"
    assert json.loads(schema.read_text())["title"] == "Earnings scorecard"
    made = schema.stat().st_mtime_ns
    records = json.loads((root / "build" / ".records.json").read_text())
    company = next((root / "inputs").glob("*.yaml"))
    company.write_text(company.read_text() + "\n# edited\n")
    build(root)
    assert schema.stat().st_mtime_ns == made  # neither made again nor taken for an orphan
    schema.unlink()
    build(root)
    assert json.loads(schema.read_text())["title"] == "Earnings scorecard"
    records[str(Path("build") / "scorecard.schema.json")] = "other code"
    (root / "build" / ".records.json").write_text(json.dumps(records))
    schema.write_text("{}")
    build(root)
    assert json.loads(schema.read_text())["title"] == "Earnings scorecard"


def test_a_kept_scorecard_stays_pickled_until_asked_for(tmp_path, inputs):
    settings = Settings(inputs=inputs)
    first = cache_in(tmp_path)
    fresh = read_company(inputs / "exm.yaml", settings, cache=first)
    first.save({"exm"})
    kept = read_company(inputs / "exm.yaml", settings, cache=cache_in(tmp_path))
    assert kept.kept is not None and kept.valid and kept.ticker == fresh.card.company.ticker == "EXM"
    assert kept.kept is not None  # asking for its ticker or validity took nothing out
    assert kept.card == fresh.card and kept.kept is None


def test_a_kept_scorecard_found_damaged_when_taken_out_is_read_again(tmp_path, inputs):
    """The head says the entry is whole, its body does not unpickle: the file is read again and kept anew."""
    settings = Settings(inputs=inputs)
    first = cache_in(tmp_path)
    fresh = read_company(inputs / "exm.yaml", settings, cache=first)
    first.save({"exm"})
    entry = tmp_path / "build" / ".cache" / "cards" / "exm.pickle"
    data = entry.read_bytes()
    body = pickle.dumps((fresh.card, None), protocol=5)
    assert data.endswith(body)
    entry.write_bytes(data[: -len(body)] + b"\x80" + b"\0" * (len(body) - 1))  # same length, not a pickle
    cache = cache_in(tmp_path)
    item = read_company(inputs / "exm.yaml", settings, cache=cache)
    assert item.kept is not None and item.doc is None
    assert item.card == fresh.card and item.doc is not None  # read again on the way
    cache.save({"exm"})
    assert read_company(inputs / "exm.yaml", settings, cache=cache_in(tmp_path)).card == fresh.card  # kept anew


def test_the_changed_company_is_rendered_before_the_others_are_taken_out(tmp_path, monkeypatch):
    """After one file changed, its page (and PDF job) comes first; the other kept scorecards are unpickled after."""
    import scorecards.build.pages as render
    from scorecards.build.cache import Kept
    from scorecards.build.pipeline import build

    root = project(tmp_path / "p", REPO / "tests" / "inputs" / "companies")
    monkeypatch.chdir(root)
    assert build(load_settings(), formats=("html",)).built == ["bloom-energy", "sony"]
    changed = root / "inputs" / "sony.yaml"
    changed.write_text(changed.read_text().replace("name: Sony Group Corporation", "name: Sony Group Corp.", 1))
    events = []
    unpack, render_company = Kept.unpack, render.render_company
    monkeypatch.setattr(Kept, "unpack", lambda self: events.append(("unpack", self.ticker)) or unpack(self))
    monkeypatch.setattr(
        render,
        "render_company",
        lambda env, card: events.append(("render", card.company.ticker)) or render_company(env, card),
    )
    assert build(load_settings(), formats=("html",)).built == ["sony"]
    assert events == [("render", "SONY"), ("unpack", "BE")]  # sony read anew, then Bloom Energy's taken out
