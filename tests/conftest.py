"""Fixtures shared by the whole suite: where the public vectors live, and the services.

Under CI=true a missing vectors folder or PostgreSQL server is a failure, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing, and CI=true makes that a failure")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The `shared/` folder beside the checkout (override with DLEDGER_SHARED)."""
    path = Path(os.environ.get("DLEDGER_SHARED", REPO.parent / "shared"))
    if not (path / "vectors").is_dir():
        _missing(f"the shared vectors folder {path / 'vectors'}")
    return path


@pytest.fixture(scope="session")
def vectors_dir(shared_dir: Path) -> Path:
    return shared_dir / "vectors"
