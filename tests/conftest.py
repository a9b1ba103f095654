from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def in_repo(monkeypatch):
    """Run with the repository as the working directory (paths in messages are relative)."""
    monkeypatch.chdir(REPO)
    return REPO
