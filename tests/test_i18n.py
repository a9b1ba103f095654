"""Languages: the catalogues are complete, and numbers, money and dates follow the reader's conventions."""

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from conftest import REPO

from scorecards.errors import SettingsError
from scorecards.i18n import ENGLISH, available, canonical_tag, load_language
from scorecards.model.amounts import parse_amount
from scorecards.model.metrics import Kind
from scorecards.model.scorecard import Value
from scorecards.render.filters import amount, date, move, tick

LOCALE = REPO / "locale"
SHIPPED = ["en", "zh-Hans", "zh-Hant"]


def test_the_three_languages_are_shipped():
    assert available(LOCALE) == SHIPPED


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every message in the templates and the code, extracted afresh as `make translations` does."""
    pybabel = Path(sys.executable).parent / "pybabel"
    if not pybabel.exists():
        pytest.skip("needs pybabel (Babel's command line) beside the Python running the tests")
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    result = subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-k", "N_", "--no-location", "-o", str(target), "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with target.open("rb") as f:
        return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f) if m.id}


def catalogue(tag):
    with (LOCALE / tag / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=tag.replace("-", "_"))


@pytest.mark.parametrize("tag", SHIPPED)
def test_catalogue_is_complete_and_current(tag, extracted):
    cat = catalogue(tag)
    messages = [m for m in cat if m.id]
    ids = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in messages}
    assert sorted(extracted - ids, key=str) == [], (
        "in the templates or code but not in the catalogue: run `make translations`"
    )
    assert sorted(ids - extracted, key=str) == [], "in the catalogue but used nowhere: run `make translations`"
    assert [m.id for m in messages if m.fuzzy] == [], "fuzzy: check the translation, then remove the fuzzy flag"
    untranslated = [m.id for m in messages if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []
    problems = [(m.id, [str(e) for e in errors]) for m, errors in cat.check()]
    assert problems == [], "placeholders must match the message's"


def test_english_catalogue_says_what_the_message_ids_say():
    """The message ids are the English pages' text: a build without the catalogue reads the same."""
    for m in catalogue("en"):
        if m.id:
            assert m.string == (m.id if isinstance(m.id, str) else tuple(m.id)), m.id


def test_no_english_words_left_in_the_chinese_catalogues():
    import re

    names = {"FactSet", "Zacks", "Coherent"}  # names stay as they are
    for tag in ("zh-Hant", "zh-Hans"):
        for m in catalogue(tag):
            if not m.id:
                continue
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            for text in strings:
                words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)[sd]", "", text))) - names
                assert words == set(), (tag, m.id, text)


def test_language_tags_and_errors(tmp_path):
    assert canonical_tag("zh_hant") == "zh-Hant" and canonical_tag("EN") == "en"
    assert load_language(tmp_path, "en") is ENGLISH  # English needs no catalogue
    with pytest.raises(SettingsError, match="no catalogue for language 'zh-Hant'"):
        load_language(tmp_path, "zh-Hant")
    broken = tmp_path / "fr" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    shutil.copy(LOCALE / "zh-Hans" / "LC_MESSAGES" / "messages.po", broken)
    assert load_language(tmp_path, "fr").gettext("Revenue") == "营收"


def test_fuzzy_messages_are_not_used(tmp_path):
    folder = tmp_path / "zh-Hant" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    text = (LOCALE / "zh-Hant" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    text = text.replace('msgid "Revenue"\n', '#, fuzzy\nmsgid "Revenue"\n')
    (folder / "messages.po").write_text(text, "utf-8")
    fuzzy = load_language(tmp_path, "zh-Hant")
    assert fuzzy.gettext("Revenue") == "Revenue"
    assert fuzzy.digest != load_language(LOCALE, "zh-Hant").digest


# --- numbers, money and dates ------------------------------------------------------------------

HANT = load_language(LOCALE, "zh-Hant")
HANS = load_language(LOCALE, "zh-Hans")


def v(text, kind=Kind.MONEY, currency="USD", derived=False):
    return Value(parse_amount(text), kind, currency, derived)


@pytest.mark.parametrize(
    "text, kind, currency, hant, hans",
    [
        ("213.39B", Kind.MONEY, "USD", "2,133.9億美元", "2,133.9亿美元"),
        ("777.7M", Kind.MONEY, "USD", "7.777億美元", "7.777亿美元"),
        ("640.07M", Kind.MONEY, "USD", "6.4007億美元", "6.4007亿美元"),
        ("515.0B", Kind.MONEY, "JPY", "5,150億日圓", "5,150亿日元"),
        ("3.714T", Kind.MONEY, "JPY", "3.714兆日圓", "3.714万亿日元"),
        ("12.300T", Kind.MONEY, "JPY", "12.300兆日圓", "12.300万亿日元"),
        ("6B", Kind.MONEY, "USD", "60億美元", "60亿美元"),
        ("12K", Kind.COUNT, "USD", "1.2萬", "1.2万"),
        ("8.0M", Kind.COUNT, "USD", "800萬", "800万"),
        ("9999", Kind.MONEY, "USD", "9,999美元", "9,999美元"),
        ("0.45", Kind.PER_SHARE, "USD", "0.45美元", "0.45美元"),
        ("-2.4B", Kind.MONEY, "USD", "−24億美元", "−24亿美元"),
        ("~200B", Kind.MONEY, "USD", "約2,000億美元", "约2,000亿美元"),
        (">72B", Kind.MONEY, "USD", "逾720億美元", "超过720亿美元"),
        ("35.9%", Kind.PERCENT, "USD", "35.9%", "35.9%"),
        ("-7.4pp", Kind.PERCENT, "USD", "−7.4個百分點", "−7.4个百分点"),
        ("-74bp", Kind.PERCENT, "USD", "−0.74個百分點", "−0.74个百分点"),
        (">4x", Kind.MULTIPLE, "USD", "逾4倍", "超过4倍"),
        ("1.2B", Kind.MONEY, "EUR", "12億歐元", "12亿欧元"),
    ],
)
def test_chinese_amounts_in_myriads_with_every_written_digit(text, kind, currency, hant, hans):
    assert amount(v(text, kind, currency), lang=HANT) == hant
    assert amount(v(text, kind, currency), lang=HANS) == hans


def test_scale_conversion_is_exact():
    for text in ["777.7M", "640.07M", "0.001B", "123456789.123456789", "3.714T", "1.000000001T"]:
        shown = amount(v(text), lang=HANT).removesuffix("美元")
        unit = {"兆": 12, "億": 8, "萬": 4}.get(shown[-1], 0)
        digits = shown.rstrip("兆億萬").replace(",", "")
        assert Decimal(digits).scaleb(unit) == parse_amount(text).value, text


def test_signed_amounts_and_moves_in_chinese():
    assert amount(v("137.63M"), signed=True, lang=HANT) == "+1.3763億美元"
    assert move(v("+10.5%", Kind.PERCENT), lang=HANT) == "上漲10.5%"
    assert move(v("<-10%", Kind.PERCENT), lang=HANT) == "下跌逾10%"
    assert move(v("~-4%", Kind.PERCENT), lang=HANS) == "下跌约4%"


def test_dates_and_axis_ticks():
    assert date(dt.date(2026, 2, 5), lang=HANT) == "2026年2月5日"
    assert date(dt.date(2026, 2, 5), lang=HANS) == "2026年2月5日"
    assert date(dt.date(2026, 2, 5)) == "5 Feb 2026"
    assert tick(Decimal("2E+11"), "USD", lang=HANT) == "2,000億"
    assert tick(Decimal("2E+11"), "USD") == "$200B"
    assert tick(Decimal("20"), "%", lang=HANS) == "20%"
