"""The templates an output rests on: each template's references are found by parsing it once, then kept."""

import shutil

import pytest
from conftest import REPO

from scorecards.render import templates
from scorecards.render.templates import make_env, template_files
from scorecards.settings import Settings


def test_references_are_kept_between_builds(tmp_path, monkeypatch):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    settings = Settings(templates=tmp_path / "templates", build=tmp_path / "build")
    used = template_files(make_env(settings), "company.html")
    assert used[0] == "company.html" and {"base.html", "macros.html", "charts.html"} <= set(used)
    assert "index.html" not in used and "season.html" not in used

    # a later build (a new process: nothing in memory) finds them without parsing a template
    monkeypatch.setattr(templates, "_known", {})
    env = make_env(settings)
    monkeypatch.setattr(env, "parse", lambda *args: pytest.fail("parsed again"))
    assert template_files(env, "company.html") == used

    # an edited template is parsed again: what it names now counts
    macros = tmp_path / "templates" / "macros.html"
    macros.write_text(macros.read_text("utf-8") + '{% include "filing.html" %}\n', "utf-8")
    monkeypatch.setattr(templates, "_known", {})
    assert "filing.html" in template_files(make_env(settings), "company.html")


def test_damaged_references_are_found_again(tmp_path, monkeypatch):
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    settings = Settings(templates=tmp_path / "templates", build=tmp_path / "build")
    used = template_files(make_env(settings), "season.html")
    kept = next((tmp_path / "build" / ".cache" / "jinja").glob(f"*/{templates.REFERENCES}"))
    for damage in (b"{not json", b'{"a": 3}', b"[]"):
        kept.write_bytes(damage)
        monkeypatch.setattr(templates, "_known", {})
        assert template_files(make_env(settings), "season.html") == used
