import os
from pathlib import Path

import pytest

# Builds the tests start run in their own processes and leave no build server behind (scorecards/server.py);
# tests/test_server.py turns the server on where it tests it.
os.environ["SCORECARDS_SERVER"] = "0"

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def in_repo(monkeypatch):
    """Run with the repository as the working directory (paths in messages are relative)."""
    monkeypatch.chdir(REPO)
    return REPO
