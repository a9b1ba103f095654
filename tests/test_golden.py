"""Golden HTML for the example companies. Refresh only with `make update-golden`, then review the diff."""

import os
from pathlib import Path

import pytest
from conftest import REPO

from scorecards.build.corpus import load_all
from scorecards.build.site import holds_by_slug
from scorecards.render.templates import make_env, render_company, render_index
from scorecards.settings import Settings

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
EXAMPLES = sorted(p.stem for p in (REPO / "inputs").glob("*.yaml"))


@pytest.fixture(scope="module")
def rendered():
    settings = Settings(inputs=REPO / "inputs", templates=REPO / "templates")
    loaded = load_all(settings)
    assert [item.problems for item in loaded] == [[] for _ in loaded]
    env = make_env(settings)
    pages = {item.slug: render_company(env, item.card) for item in loaded}
    cards = sorted((item.card for item in loaded), key=lambda c: c.company.name.lower())
    pages["index"] = render_index(env, cards, [], holds=holds_by_slug(cards, ["en"]))
    return pages


# Golden pages in each shipped translation, for two example companies: one in dollars, one in yen.
LOCALES = ["zh-Hant", "zh-Hans"]
LOCALE_EXAMPLES = ["amazon", "sony"]


@pytest.fixture(scope="module")
def rendered_in():
    from scorecards.i18n import load_language

    settings = Settings(inputs=REPO / "inputs", templates=REPO / "templates")
    cards = {item.slug: item.card for item in load_all(settings)}
    pages = {}
    for tag in LOCALES:
        env = make_env(settings, load_language(REPO / "locale", tag))
        for slug in LOCALE_EXAMPLES:
            pages[tag, slug] = render_company(env, cards[slug])
    return pages


@pytest.mark.parametrize("tag", LOCALES)
@pytest.mark.parametrize("name", LOCALE_EXAMPLES)
def test_golden_html_in_each_language(tag, name, rendered_in):
    golden = GOLDEN / tag / f"{name}.html"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered_in[tag, name], "utf-8")
    assert golden.exists(), f"no golden file for {tag}/{name}: run `make update-golden` and review it"
    assert rendered_in[tag, name] == golden.read_text("utf-8"), (
        f"{tag}/{name}.html differs from {golden}; "
        "if the change is intended, run `make update-golden` and review the diff"
    )


def test_the_eight_example_companies_are_shipped():
    assert EXAMPLES == ["alphabet", "amazon", "bloom-energy", "coherent", "meta", "microsoft", "sitime", "sony"]


@pytest.mark.parametrize("name", EXAMPLES + ["index"])
def test_golden_html(name, rendered):
    golden = GOLDEN / f"{name}.html"
    if UPDATE:
        golden.write_text(rendered[name], "utf-8")
    assert golden.exists(), f"no golden file for {name}: run `make update-golden` and review it"
    assert rendered[name] == golden.read_text("utf-8"), (
        f"{name}.html differs from {golden}; if the change is intended, run `make update-golden` and review the diff"
    )
