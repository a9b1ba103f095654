"""The command line, run as a user runs it: in a project folder, through `python -m scorecards`."""

import json
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

COMPANIES = REPO / "tests" / "inputs" / "companies"


@pytest.fixture
def project(tmp_path):
    """A scorecard project with the repository's templates and two test companies."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(COMPANIES, tmp_path / "inputs")
    return tmp_path


def run(project, *args):
    return subprocess.run(
        [sys.executable, "-m", "scorecards", *args], cwd=project, capture_output=True, text=True, timeout=120
    )


def test_validate_good_files(project):
    result = run(project, "validate")
    assert result.returncode == 0, result.stderr
    assert "2 files checked: 0 errors, 0 warnings" in result.stdout


def test_validate_reports_located_errors_and_exits_1(project):
    (project / "inputs" / "broken.yaml").write_text((REPO / "tests/inputs/bad/unknown-key.yaml").read_text())
    result = run(project, "validate")
    assert result.returncode == 1
    assert (
        "inputs/broken.yaml:17:29: quarters[0].results.revenue.concensus: unknown key 'concensus' "
        "(did you mean 'consensus'?)" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_validate_a_missing_path_is_a_usage_error(project):
    result = run(project, "validate", "inputs/nope.yaml")
    assert result.returncode == 2
    assert "inputs/nope.yaml does not exist" in result.stderr


def test_new_writes_a_file_that_validates(project):
    result = run(project, "new", "nvda")
    assert result.returncode == 0, result.stderr
    text = (project / "inputs" / "nvda.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../build/scorecard.schema.json")
    assert "ticker: NVDA" in text
    assert run(project, "validate", "inputs/nvda.yaml").returncode == 0
    again = run(project, "new", "NVDA")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_schema_describes_the_format(project):
    result = run(project, "schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Earnings scorecard"
    assert set(schema["required"]) == {"company", "sources"}
    assert "consensus" in schema["$defs"]["FigureIn"]["properties"]


def test_examples_validate_against_the_json_schema(in_repo):
    jsonschema = pytest.importorskip("jsonschema")
    from scorecards.load.yaml import load_yaml
    from scorecards.model.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    for path in sorted((in_repo / "inputs").glob("*.yaml")) + sorted(COMPANIES.glob("*.yaml")):
        data = json.loads(json.dumps(load_yaml(path).data, default=str))
        errors = list(validator.iter_errors(data))
        assert errors == [], f"{path}: {errors[:1]}"


def test_build_with_a_broken_file_builds_the_rest_and_keeps_the_old_output(project):
    assert run(project, "build", "--format", "html").returncode == 0
    sony = project / "inputs" / "sony.yaml"
    sony.write_text(sony.read_text().replace("actual: 515.0B", "actual: 515,0B"))
    result = run(project, "build", "--format", "html")
    assert result.returncode == 1
    # inside { } YAML splits at the comma: the stray '0B' is reported where it stands, with a hint
    assert (
        "inputs/sony.yaml:21:38: quarters[0].results.operating_income.0B: unknown key '0B' "
        "(inside { } a comma separates entries: write 12.3B, or quote an amount with a comma)"
    ) in result.stderr
    assert (project / "build" / "bloom-energy.html").exists()
    assert not (project / "build" / "sony.html").exists()
    assert (project / "build" / "stale" / "sony.html").exists()
    index = (project / "build" / "index.html").read_text()
    assert "Not built: 1 error in inputs/sony.yaml" in index
    assert "scorecards: 0 built, 1 up to date, 1 failed (sony)" in result.stderr
