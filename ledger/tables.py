"""The database tables, as SQLModel models.

Ledger tables (`ledger_entries`, `ledger_nodes`, `ledger_checkpoints`) are append-only: the
database refuses UPDATE and DELETE on them (triggers in schema.sql). `ledger_state` is the one
mutable row, the log's head, locked by every append. Projections (`units`, `lots`, `stations`)
are read models derived from the entries and can be rebuilt at any time.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# Every table of the product, the ledger's and the console's: SQLModel's metadata, with stable
# constraint names, so schema.sql, Alembic and the models agree.
METADATA = SQLModel.metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
})

LEDGER_TABLES = ("ledger_entries", "ledger_nodes", "ledger_checkpoints")

# SQLite makes only "INTEGER PRIMARY KEY" the table's rowid (64-bit there too); any other
# spelling adds a second index and more pages written per append.
EntryIndex = BigInteger().with_variant(Integer(), "sqlite")


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for SQLAlchemy queries: SQLModel sets `__table__` when
    the class is made, and its type hints do not declare it."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model (declare it with table=True)")
    return table


def label_type(length: int = 130) -> String:
    """Labels compare byte-wise on both databases, so a prefix range (label >= 'CN33' AND
    label < 'CN33\uffff') finds exactly the labels starting with it. Every column holding a
    unit label or lot id uses it, so joins between them can use each other's indexes; entry
    subjects too, so that `subject >= 'cert:' AND subject < 'cert;'` finds every certificate."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class LedgerEntry(SQLModel, table=True):
    """One leaf of the log: the exact entry bytes, with columns to find it by."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index(None, "subject", "idx"),
    )
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    event_id: str = Field(sa_column=Column(String(36), nullable=False))
    type: str = Field(sa_column=Column(String(40), nullable=False))
    subject: str = Field(sa_column=Column(label_type(140), nullable=False))
    station: str = Field(sa_column=Column(String(32), nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerNode(SQLModel, table=True):
    """A completed perfect subtree: (level, idx) covers leaves [idx*2^level, (idx+1)*2^level)."""

    __tablename__ = "ledger_nodes"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the only index needed
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerCheckpoint(SQLModel, table=True):
    """Every checkpoint the plant ever signed, as the signed note text."""

    __tablename__ = "ledger_checkpoints"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    key_id: str = Field(sa_column=Column(String(8), primary_key=True))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    signed_at: str = Field(sa_column=Column(String(24), nullable=False))


class CheckpointCosignature(SQLModel, table=True):
    """A witness's cosignature (C2SP tlog-cosignature line, as it returned it) on one of the
    plant's checkpoints; certificates carry it after the plant's signature."""

    __tablename__ = "checkpoint_cosignatures"
    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    key_id: str = Field(sa_column=Column(String(8), primary_key=True))  # the plant key's
    witness: str = Field(sa_column=Column(String(255), primary_key=True))
    witness_key_id: str = Field(sa_column=Column(String(8), primary_key=True))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
    line: str = Field(sa_column=Column(Text, nullable=False))
    received_at: str = Field(sa_column=Column(String(24), nullable=False))


class LedgerState(SQLModel, table=True):
    """The log's head: size, last leaf hash and the frontier (the perfect subtrees of `size`)."""

    __tablename__ = "ledger_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    head: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    frontier: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Unit(SQLModel, table=True):
    """Projection: an appliance unit and where it is in its dismantling."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("trade_in_code"), Index(None, "received_at", "label"),
                      Index(None, "category", "completed_at"), Index(None, "serial"),
                      Index(None, "state", "received_at", "label"),
                      Index(None, "set_with"),  # the units naming one (ledger/rules/sets.py)
                      # the units completed in a range with what the dashboard reads of each
                      # (cycle time, mass balance), without a visit to the table per unit
                      Index("ix_units_completed_at_figures", "completed_at", "category",
                            "received_at", "gross_g", "outputs_g", "refrigerant_g"))
    label: str = Field(sa_column=Column(label_type(), primary_key=True))
    category: str = Field(sa_column=Column(String(64), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    trade_in_code: str | None = Field(sa_column=Column(String(64), nullable=True))
    intake_station: str = Field(sa_column=Column(String(32), nullable=False))
    received_at: str = Field(sa_column=Column(String(24), nullable=False))
    completed_at: str | None = Field(sa_column=Column(String(24), nullable=True))
    gross_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    refrigerant_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    outputs_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    serial: str | None = Field(sa_column=Column(String(500), nullable=True))
    nameplate_refrigerant: str | None = Field(sa_column=Column(String(20), nullable=True))
    nameplate_charge_g: int | None = Field(sa_column=Column(BigInteger, nullable=True))
    completed_station: str | None = Field(sa_column=Column(String(32), nullable=True))
    zone: str | None = Field(sa_column=Column(String(64), nullable=True))  # where it is stored
    aside_since: str | None = Field(sa_column=Column(String(24), nullable=True))  # set aside
    # the label its effective intake names as the other half of its desktop set (set_with)
    set_with: str | None = Field(sa_column=Column(label_type(), nullable=True))


class UnitMove(SQLModel, table=True):
    """Projection: one row per unit.stored (or unit.set_aside into a zone) entry, so the book
    can say where each unit stood at any moment (a stock count's)."""

    __tablename__ = "unit_moves"
    __table_args__ = (Index(None, "label", "at"),)
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    label: str = Field(sa_column=Column(label_type(), nullable=False))
    zone: str = Field(sa_column=Column(String(64), nullable=False))
    station: str = Field(sa_column=Column(String(32), nullable=False))
    at: str = Field(sa_column=Column(String(24), nullable=False))


class UnitOutput(SQLModel, table=True):
    """Projection: what came out of a unit, one row per material.output or weighed or counted
    component.removed entry (the entry's index is the key)."""

    __tablename__ = "unit_outputs"
    __table_args__ = (Index(None, "label"), Index(None, "lot", "idx"), Index(None, "at"))
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    label: str = Field(sa_column=Column(label_type(), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # material or component
    code: str = Field(sa_column=Column(String(64), nullable=False))  # fraction or component
    lot: str | None = Field(sa_column=Column(label_type(), nullable=True))
    mass_g: int | None = Field(sa_column=Column(BigInteger, nullable=True))
    count: int | None = Field(sa_column=Column(Integer, nullable=True))
    station: str = Field(sa_column=Column(String(32), nullable=False))
    at: str = Field(sa_column=Column(String(24), nullable=False))


class RefrigerantRecovery(SQLModel, table=True):
    """Projection: one row per refrigerant.recovered entry, for kg and CO2e by gas and day."""

    __tablename__ = "refrigerant_recoveries"
    __table_args__ = (Index(None, "label"),
                      Index(None, "cylinder", "idx"),  # a cylinder's latest recovery
                      # a range's recoveries with what low-recovery alerts read of each
                      Index("ix_refrigerant_recoveries_at_figures", "at", "label", "refrigerant",
                            "recovered_g", "nameplate_charge_g", "station"))
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    label: str = Field(sa_column=Column(label_type(), nullable=False))
    refrigerant: str = Field(sa_column=Column(String(20), nullable=False))
    recovered_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    nameplate_charge_g: int | None = Field(sa_column=Column(BigInteger, nullable=True))
    cylinder: str = Field(sa_column=Column(String(64), nullable=False))
    station: str = Field(sa_column=Column(String(32), nullable=False))
    at: str = Field(sa_column=Column(String(24), nullable=False))
    # the cylinder's gross after it: the next recovery's "before" continues from it
    cylinder_gross_after_g: int | None = Field(sa_column=Column(BigInteger, nullable=True))


class Scale(SQLModel, table=True):
    """Projection: a scale's latest calibration check and latest passing one."""

    __tablename__ = "scales"
    scale: str = Field(sa_column=Column(String(130), primary_key=True))
    last_check_at: str = Field(sa_column=Column(String(24), nullable=False))
    last_check_passed: bool = Field(sa_column=Column(Boolean, nullable=False))
    last_pass_at: str | None = Field(sa_column=Column(String(24), nullable=True))
    last_index: int = Field(sa_column=Column(BigInteger, nullable=False))


class ScaleCheck(SQLModel, table=True):
    """Projection: every calibration check, so the rules find a scale's latest passing check
    before a weighing (ledger/rules/flags.py) with one index look-up."""

    __tablename__ = "scale_checks"
    __table_args__ = (Index(None, "scale", "passed", "at"),)
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    scale: str = Field(sa_column=Column(String(130), nullable=False))
    at: str = Field(sa_column=Column(String(24), nullable=False))
    passed: bool = Field(sa_column=Column(Boolean, nullable=False))


class CatalogueVersion(SQLModel, table=True):
    """Projection: each catalogue.published entry; the one in force at entry i is the latest
    below i (or, for entries written before any, the first: see docs/rules.md)."""

    __tablename__ = "catalogues"
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    version: str = Field(sa_column=Column(String(500), nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    published_at: str = Field(sa_column=Column(String(24), nullable=False))


class RuleFlag(SQLModel, table=True):
    """Projection: the flags the rules compute for a unit (at completion) or a lot (at
    receipt), with the latest review of each. `flag_key` is '' for a flag without one."""

    __tablename__ = "rule_flags"
    __table_args__ = (Index(None, "raised_at"), Index(None, "resolution", "raised_at"))
    subject: str = Field(sa_column=Column(label_type(140), primary_key=True))
    code: str = Field(sa_column=Column(String(32), primary_key=True))
    flag_key: str = Field(sa_column=Column(String(130), primary_key=True))
    params: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    raised_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    raised_at: str = Field(sa_column=Column(String(24), nullable=False))
    resolution: str | None = Field(sa_column=Column(String(16), nullable=True))
    review_index: int | None = Field(sa_column=Column(BigInteger, nullable=True))


class Refusal(SQLModel, table=True):
    """Projection: what stations refused and recorded (attempt.refused), by time."""

    __tablename__ = "refusals"
    __table_args__ = (Index(None, "at", "rule"),)
    idx: int = Field(sa_column=Column(EntryIndex, primary_key=True, autoincrement=False))
    station: str = Field(sa_column=Column(String(32), nullable=False))
    operator: str = Field(sa_column=Column(String(64), nullable=False))
    at: str = Field(sa_column=Column(String(24), nullable=False))
    rule: str = Field(sa_column=Column(String(64), nullable=False))
    attempted: str = Field(sa_column=Column(String(64), nullable=False))
    about: str = Field(sa_column=Column(label_type(140), nullable=False))


class Lot(SQLModel, table=True):
    """Projection: a bin or lot of one output fraction, from opening to the receiver's receipt."""

    __tablename__ = "lots"
    __table_args__ = (Index(None, "first_index"), Index(None, "state", "first_index"))
    lot: str = Field(sa_column=Column(label_type(), primary_key=True))
    fraction: str = Field(sa_column=Column(String(64), nullable=False))
    hazardous: bool = Field(sa_column=Column(Boolean, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    net_g: int | None = Field(sa_column=Column(BigInteger, nullable=True))
    manifest_no: str | None = Field(sa_column=Column(String(64), nullable=True))
    receiver: str | None = Field(sa_column=Column(String(500), nullable=True))
    first_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    zone: str | None = Field(sa_column=Column(String(64), nullable=True))
    shipped_at: str | None = Field(sa_column=Column(String(24), nullable=True))


class Station(SQLModel, table=True):
    """Projection: a station's registered public key and whether it may still sign events."""

    __tablename__ = "stations"
    station: str = Field(sa_column=Column(String(32), primary_key=True))
    public_key: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(500), nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    registered_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seen_at: str | None = Field(sa_column=Column(String(24), nullable=True))
    last_seen_index: int | None = Field(sa_column=Column(BigInteger, nullable=True))


class HourlyTotal(SQLModel, table=True):
    """Projection: the dashboard's sums per UTC hour, so a long range adds up a few rows per
    hour instead of reading every unit, output and recovery in it (ledger/hourly.py).

    `figure` says which read-model rows a row sums and which key columns it uses ('' where
    unused): `received` units by intake station (at received_at); `completed` units by
    category and completing station (at completed_at); `recovered` refrigerant recoveries
    by gas (`code`) and station; `output` unit outputs by kind, code, lot and station;
    `yield` the outputs of completed units by category, kind, code and lot (at the unit's
    completed_at). `n` counts the rows summed; a row exists only while n > 0.
    """

    __tablename__ = "hourly_totals"
    __table_args__ = {"sqlite_with_rowid": False}  # clustered by the key: ranges per figure
    figure: str = Field(sa_column=Column(String(16), primary_key=True))
    hour: str = Field(sa_column=Column(String(13), primary_key=True))  # UTC 'YYYY-MM-DDTHH'
    category: str = Field(sa_column=Column(String(64), primary_key=True))
    station: str = Field(sa_column=Column(String(32), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), primary_key=True))
    code: str = Field(sa_column=Column(String(64), primary_key=True))
    lot: str = Field(sa_column=Column(label_type(), primary_key=True))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    gross_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    outputs_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    refrigerant_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    mass_g: int = Field(sa_column=Column(BigInteger, nullable=False))
    count: int = Field(sa_column=Column(BigInteger, nullable=False))
    nameplate_g: int = Field(sa_column=Column(BigInteger, nullable=False))


PROJECTION_TABLES = ("units", "lots", "stations", "scales", "unit_outputs", "unit_moves",
                     "refrigerant_recoveries", "hourly_totals", "scale_checks", "catalogues",
                     "rule_flags", "refusals")


# -- Console accounts ------------------------------------------------------------------------
# The console's (web/) users and its login throttle. They live here because this package owns
# the one database schema; the code that uses them is web/accounts.py. Not ledger data: these
# rows are mutable (passwords change, users are deactivated, failures are pruned).

CONSOLE_ROLES = ("worker", "manager", "inspector", "admin")
_ROLE_LIST = ", ".join(f"'{role}'" for role in CONSOLE_ROLES)


class ConsoleUser(SQLModel, table=True):
    """A person who signs in to the console, with one role."""

    __tablename__ = "console_users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST})", name="role"),
    )
    name: str = Field(sa_column=Column(String(64), primary_key=True))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    active: bool = Field(sa_column=Column(Boolean, nullable=False))
    created_at: str = Field(sa_column=Column(String(24), nullable=False))
    language: str | None = Field(sa_column=Column(String(16), nullable=True))
    # Incremented by sign-out, password change and deactivation: sessions that began in an
    # earlier generation are refused (web/auth.py; migration 0012).
    session_generation: int = Field(default=0, sa_column=Column(
        Integer, nullable=False, server_default="0"))


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, kept for the throttle window (shared by every worker process)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index(None, "name", "at"), Index(None, "address", "at"))
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    name: str = Field(sa_column=Column(String(64), nullable=False))
    address: str = Field(sa_column=Column(String(64), nullable=False))
    at: str = Field(sa_column=Column(String(24), nullable=False))


# -- Station heartbeats ----------------------------------------------------------------------
# What each station said about itself when it last called the console (ledger/heartbeats.py;
# migration 0013): operational state, not ledger data, so not in the log. One row per station,
# replaced by each heartbeat; the Stations page shows it as last contact and outbox backlog.


class StationHeartbeat(SQLModel, table=True):
    """A station's latest signed heartbeat, as the console received it."""

    __tablename__ = "station_heartbeats"
    station: str = Field(sa_column=Column(String(32), primary_key=True))
    received_at: str = Field(sa_column=Column(String(24), nullable=False))  # console's clock
    sent_at: str = Field(sa_column=Column(String(24), nullable=False))  # station's clock
    pending: int = Field(sa_column=Column(BigInteger, nullable=False))  # awaiting delivery
    held: int = Field(sa_column=Column(BigInteger, nullable=False))  # refused, kept
    agent_version: str = Field(sa_column=Column(String(64), nullable=False))
