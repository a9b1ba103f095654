"""The catalogue of broken files: each with the exact messages, lines and columns expected."""

from pathlib import Path

import pytest

from scorecards.build.corpus import read_company
from scorecards.settings import Settings

HERE = Path(__file__).parent
BAD = sorted((HERE / "inputs" / "bad").glob("*.yaml"))
GOOD = sorted((HERE / "inputs" / "good").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_file_reports_exactly(path, in_repo):
    relative = path.relative_to(in_repo)
    loaded = read_company(relative, Settings())
    expected = path.with_suffix(".expected").read_text("utf-8").splitlines()
    assert loaded.card is None
    assert [str(p) for p in loaded.problems] == expected


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_file_has_no_problems(path, in_repo):
    loaded = read_company(path.relative_to(in_repo), Settings())
    assert loaded.problems == []
    assert loaded.card is not None
    assert loaded.card.company.ticker == "EXM"
    assert str(loaded.card.quarters[0].figures[0].actual.amount.mantissa) == "777.7"


def test_every_problem_in_a_file_is_reported_at_once(in_repo):
    loaded = read_company(Path("tests/inputs/bad/many-problems.yaml"), Settings())
    fields = [p.field for p in loaded.problems]
    assert fields == ["company.sector", "quarters[0].figures"]


def test_catalogue_covers_every_expected_file():
    expected = {p.stem for p in (HERE / "inputs" / "bad").glob("*.expected")}
    assert expected == {p.stem for p in BAD}
