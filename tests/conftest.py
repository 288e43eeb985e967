"""Fixtures shared by the whole suite: where the public vectors live, and the services.

Under CI=true a missing vectors folder or PostgreSQL server is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ledger.log import Ledger

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing, and CI=true makes that a failure")
    pytest.skip(f"{what} is missing")


# The public test vectors, the project's own copy (tests/vectors/README.md says where each
# file comes from).
VECTORS = REPO / "tests" / "vectors"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    if not (VECTORS / "rfc6962").is_dir():
        _missing(f"the test vectors folder {VECTORS}")
    return VECTORS


PG_URL = os.environ.get("DLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    try:
        admin = psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _missing(f"the PostgreSQL server at {PG_URL} ({exc})")
    name = f"dledger_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_pg_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on SQLite (a file on disk) and on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def empty_ledger(db_url: str) -> Iterator[Ledger]:
    """A ledger with no entry at all (for the log's own format: chain, tree, checkpoints)."""
    from ledger.log import Ledger
    from ledger.store import migrate, open_engine

    engine = open_engine(db_url)
    migrate(engine)
    yield Ledger(engine)
    engine.dispose()


@pytest.fixture
def ledger(empty_ledger: Ledger) -> Ledger:
    """A plant's ledger as `dledger init` makes it: entry 0 puts the default catalogue in
    force, so a test's own first entry is index 1."""
    publish_default_catalogue(empty_ledger)
    return empty_ledger


def publish_default_catalogue(ledger: Ledger) -> None:
    """Entry 0 of a test ledger, as `dledger init` makes it: the default catalogue in force."""
    from ledger import catalogue

    ledger.publish_catalogue(catalogue.load(), "default", operator="A-0001")
