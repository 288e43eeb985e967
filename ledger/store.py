"""Database engines for the ledger: SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with synchronous=FULL, so a commit is on disk when it returns. Writers
start with BEGIN IMMEDIATE (they take the write lock before reading the head, so two processes
never append on the same head); readers use plain deferred transactions and never block them.

PostgreSQL connections plan every prepared statement for its parameters
(plan_cache_mode=force_custom_plan). psycopg prepares a statement on the server after a few
executions, and the server would then soon switch to one generic plan, made from the
statistics of that moment: on a new ledger, tables that look empty, so a lookup of one unit
by its key scans the whole `units` table from then on, slower with every append, until an
ANALYZE replaces the plan. The append path must not depend on autovacuum running; a custom
plan costs a few tens of microseconds of planning and always uses the index.
SQLAlchemy provides the engines, pooling and migrations; the ledger's own transactions run on
the pooled DBAPI connection (`Tx`), the console's queries through SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from psycopg import pq
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolProxiedConnection

SQLITE_BUSY_TIMEOUT_S = 120
WRITE_OPTIONS = {"dledger_write": True}
PG_SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan"  # see the module docstring


def open_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:///PATH or postgresql+psycopg://...) set up for the ledger."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        given = parsed.query.get("options")  # libpq options in the URL are kept, ours after
        options = " ".join(o for o in (given, PG_SESSION_OPTIONS) if isinstance(o, str))
        return create_engine(url, pool_pre_ping=True, connect_args={"options": options})
    raise ValueError(f"database URL {url!r}: use sqlite:///PATH or postgresql+psycopg://...")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transactions into our own hands (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """SQLAlchemy-level transactions (migrations, the console's own tables): deferred, unless
    the connection was given `execution_options(**WRITE_OPTIONS)` to write without upgrading
    a read lock (which SQLite refuses at once when another writer got in between)."""
    immediate = conn.get_execution_options().get("dledger_write", False)
    driver(conn.connection).execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def driver(raw: PoolProxiedConnection) -> Any:
    """The driver's own connection (sqlite3's or psycopg's) inside SQLAlchemy's pooled one."""
    connection = raw.driver_connection
    if connection is None:
        raise RuntimeError("the pooled database connection is closed: open a new transaction")
    return connection


@dataclass(frozen=True)
class Tx:
    """A transaction on one pooled DBAPI connection, for the ledger's own SQL.

    The ledger's statements are few and hot: SQLAlchemy's Connection costs more per
    transaction than SQLite's own work, so the ledger speaks to the driver directly, in SQL
    written with '?' placeholders that runs on both databases (see `execute`).
    """

    connection: Any  # SQLAlchemy's PoolProxiedConnection: the DBAPI connection, pooled
    dialect: str  # "sqlite" or "postgresql"


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Tx]:
    """A ledger transaction: committed if the block succeeds, rolled back if it raises.

    A write transaction holds the ledger's write lock from its first statement: on SQLite
    BEGIN IMMEDIATE; on PostgreSQL the caller locks the head row (SELECT ... FOR UPDATE, see
    `ledger.log`). A read transaction sees one snapshot on both databases (SQLite's WAL
    snapshot; PostgreSQL REPEATABLE READ), so an audit is never confused by appends.
    """
    raw = engine.raw_connection()
    tx = Tx(raw, engine.dialect.name)
    try:
        if tx.dialect == "sqlite":
            driver(raw).execute("BEGIN IMMEDIATE" if write else "BEGIN")
        elif not write:
            raw.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield tx
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()


def write_transaction(engine: Engine) -> AbstractContextManager[Tx]:
    return transaction(engine, write=True)


def read_transaction(engine: Engine) -> AbstractContextManager[Tx]:
    return transaction(engine)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (creating it on an empty database)."""
    config = Config()
    config.set_main_option("script_location", "ledger:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def is_initialised(engine: Engine) -> bool:
    return inspect(engine).has_table("ledger_state")


def execute(tx: Tx, statement: str, params: Any = ()) -> Any:
    """Run SQL written with '?' placeholders in `tx`; returns the DBAPI cursor.

    A list of tuples runs as executemany.
    """
    if tx.dialect != "sqlite":
        statement = statement.replace("?", "%s")
    cursor = tx.connection.cursor()
    if isinstance(params, list):
        cursor.executemany(statement, params)
    else:
        cursor.execute(statement, params)
    return cursor


def insert_rows(tx: Tx, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows: executemany on SQLite (in-process, cheap per row); on PostgreSQL
    COPY (one stream instead of a round trip's worth of protocol per row), or executemany
    inside a pipeline (which COPY cannot join, and which sends the rows without waiting)."""
    if not rows:
        return
    if tx.dialect == "sqlite" or _pipelined(tx):
        execute(tx, f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                f"({placeholders(len(columns))})", rows)
        return
    cursor = driver(tx.connection).cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def pipelined(tx: Tx) -> Iterator[None]:
    """Inside the block, PostgreSQL gets each statement without waiting for the answer to
    the one before (psycopg's pipeline mode): the writes of an append cost one round trip,
    not one each. A statement whose rows are read waits for its answer; an error surfaces
    at the latest when the block ends. On SQLite (in-process) the block runs as it is."""
    if tx.dialect == "sqlite":
        yield
        return
    with driver(tx.connection).pipeline():
        yield


def _pipelined(tx: Tx) -> bool:
    return bool(driver(tx.connection).pgconn.pipeline_status != pq.PipelineStatus.OFF)


def stream(tx: Tx, statement: str, params: Any = (), batch: int = 2000) -> Iterator[Any]:
    """Rows of a large query, fetched in batches (a server-side cursor on PostgreSQL), so
    that scanning millions of entries takes constant memory. Several may be open at once."""
    if tx.dialect != "sqlite":
        statement = statement.replace("?", "%s")
        cursor = tx.connection.driver_connection.cursor(name=f"dledger_{uuid.uuid4().hex}")
    else:
        cursor = tx.connection.cursor()
    cursor.execute(statement, params)
    try:
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def scalar(cursor: Any) -> Any:
    """The first column of the cursor's first row, or None when there is no row."""
    row = cursor.fetchone()
    return None if row is None else row[0]


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    """Slices of `items`, so that IN (...) lists stay under the drivers' parameter limits."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def placeholders(n: int) -> str:
    return ", ".join("?" * n)
