"""PostgreSQL roles: the console runs as an application role that owns nothing.

The log's guards are triggers (ledger.schema), and a table's owner or a superuser can switch
triggers off (`ALTER TABLE ... DISABLE TRIGGER`, `SET session_replication_role = replica`),
drop or replace them. So the database owner runs the migrations, and the console connects as
a role that can do exactly what the append path and the console do: read everything, insert
into the log, move the head, and change the read models and the console's own tables.

SQLite has no roles: its triggers are the whole guard there, and whoever can write the file
can write anything in it; `grant` says so instead of pretending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from ledger.store import driver, migrate
from ledger.tables import LEDGER_TABLES, METADATA, CheckpointCosignature, LedgerState

VERSION_TABLE = "alembic_version"
# Evidence that is added and never changed: the log's tables (guarded by triggers too) and
# the witnesses' cosignatures (whose guard is this grant alone).
APPEND_ONLY = (*LEDGER_TABLES, CheckpointCosignature.__tablename__)
HEAD = LedgerState.__tablename__
READ_ONLY = ("SELECT",)
APPEND = ("SELECT", "INSERT")
MOVE_HEAD = ("SELECT", "UPDATE")
MUTABLE = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Lower case, so that the name needs no quoting in a database URL or in psql.
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"


_INSUFFICIENT_PRIVILEGE = "42501"
_DUPLICATE_OBJECT = "42710"


class RoleError(Exception):
    """The role cannot be set up (or the schema upgraded) as asked; the message says why."""


def privileges(table: str) -> tuple[str, ...]:
    """What the application role may do on `table`: the one home of that decision."""
    if table in APPEND_ONLY:
        return APPEND
    if table == HEAD:
        return MOVE_HEAD
    if table == VERSION_TABLE:
        return READ_ONLY
    if table in METADATA.tables:
        return MUTABLE  # read models and the console's accounts: mutable by design
    return ()


@dataclass(frozen=True)
class Revisions:
    current: str | None
    head: str

    @property
    def pending(self) -> bool:
        return self.current != self.head


def revisions(engine: Engine) -> Revisions:
    """The schema's revision in the database and the newest this code knows (read-only)."""
    config = Config()
    config.set_main_option("script_location", "ledger:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the migrations have a head"
    with engine.connect() as conn:
        try:
            return Revisions(MigrationContext.configure(conn).get_current_revision(), head)
        except ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
                raise
            user = _current_user(engine)
            raise RoleError(f"the role {user} may not read this database's schema revision: "
                            f"the database owner must run `dledger db grant --role {user}` "
                            "first") from None


def can_migrate(conn: Connection) -> bool:
    """Whether the connected role may change the schema: a superuser, a member of the log's
    owner, or (before the first migration) a role that may create tables in the schema."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text(
        "SELECT r.rolsuper OR COALESCE(pg_has_role(current_user, c.relowner, 'USAGE'), "
        "has_schema_privilege(current_schema(), 'CREATE')) FROM pg_roles r "
        "LEFT JOIN pg_class c ON c.oid = to_regclass(:head) WHERE r.rolname = current_user"),
        {"head": HEAD}).scalar())


def ensure_schema(engine: Engine) -> Revisions:
    """Upgrade the schema when it is behind (a no-op when current, needing no DDL rights);
    as a role that may not change it, refuse with who must."""
    found = revisions(engine)
    if not found.pending:
        return found
    with engine.connect() as conn:
        allowed = can_migrate(conn)
    if not allowed:
        raise RoleError(f"the database schema is at revision {found.current or 'none'} and "
                        f"this dledger needs {found.head}; the role {_current_user(engine)} "
                        "may not change it: "
                        "run `dledger db upgrade` as the database owner (with the owner's "
                        "DLEDGER_DATABASE_URL), then start again")
    migrate(engine)
    return revisions(engine)


def _current_user(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_user")).scalar())


@dataclass(frozen=True)
class Grant:
    role: str
    created: bool
    tables: dict[str, tuple[str, ...]]  # every table of the schema, with what the role may do
    sequences: tuple[str, ...]


def grant(engine: Engine, role: str, password: str | None = None) -> Grant:
    """Create `role` if missing (LOGIN and nothing else) and grant it exactly `privileges`
    on this database, revoking anything else it held on the schema's tables. Idempotent;
    safe to run from several processes at once (the role is cluster-wide)."""
    if engine.dialect.name != "postgresql":
        raise RoleError("SQLite has no database roles: nothing to grant. There the triggers are "
                        "the whole guard, and whoever can write the database file can write "
                        "anything in it: protect the file (its folder's owner and mode)")
    if revisions(engine).pending:
        raise RoleError("the schema is not at the newest revision: run `dledger db upgrade` "
                        "first (grants cover the tables that exist)")
    with engine.begin() as conn:
        if not can_migrate(conn):
            raise RoleError("grant as the database owner (the role that owns the ledger's "
                            "tables), with the owner's DLEDGER_DATABASE_URL")
        created = ensure_role(conn, role, password)
        tables, sequences = _grant(conn, conn.dialect.identifier_preparer.quote_identifier(role))
        _check_no_creation(conn, role)
    return Grant(role, created, tables, sequences)


def ensure_role(conn: Connection, role: str, password: str | None = None) -> bool:
    """Create `role` (LOGIN, no other attribute) if missing, or check that the existing one
    has no power beyond its grants; set its password if given. True if it was created.
    Grants nothing (the test services make the tests' role with this before any ledger)."""
    if not _ROLE_NAME.fullmatch(role):
        raise RoleError(f"role name {role!r}: use lower-case letters, digits and '_' "
                        "(at most 63, not starting with a digit)")
    quoted = conn.dialect.identifier_preparer.quote_identifier(role)
    created = _create_role(conn, role, quoted)
    _check_role(conn, role)
    if password is not None:
        _set_password(conn, quoted, password)
    return created


def _create_role(conn: Connection, role: str, quoted: str) -> bool:
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
        return False
    try:
        with conn.begin_nested():
            conn.execute(text(f"CREATE ROLE {quoted} {_ATTRIBUTES}"))
    except IntegrityError:
        return False  # another process created it between our look and our CREATE
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) == _DUPLICATE_OBJECT:  # the same race
            return False
        if getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
            raise RoleError(f"this role may not create roles: as a superuser run CREATE ROLE "
                            f"{quoted} {_ATTRIBUTES}; then grant again") from None
        raise
    return True


def _check_role(conn: Connection, role: str) -> None:
    """Refuse a role that could do more than its grants: one with a power attribute, one
    inheriting another role's rights, or one that owns anything here (its owner's rights
    include switching triggers off)."""
    row = conn.execute(text(
        "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, "
        "r.rolcanlogin, r.rolname = current_user, "
        "(SELECT string_agg(g.rolname, ', ') FROM pg_auth_members m "
        " JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), "
        "(SELECT count(*) FROM pg_class WHERE relowner = r.oid) "
        "+ (SELECT count(*) FROM pg_proc WHERE proowner = r.oid) "
        "+ (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) "
        "+ (SELECT count(*) FROM pg_type WHERE typowner = r.oid) "
        "+ (SELECT count(*) FROM pg_database WHERE datname = current_database() "
        "   AND datdba = r.oid) "
        "FROM pg_roles r WHERE r.rolname = :r"), {"r": role}).one()
    powers = [name for name, held in zip(
        ("SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"), row[:5],
        strict=True) if held]
    if row[6]:
        raise RoleError(f"{role} is the role running this grant: the console's role must be "
                        "another one, which owns nothing")
    if powers:
        raise RoleError(f"the role {role} exists with {', '.join(powers)}: the console's role "
                        "may have none of these; choose another name or, as a superuser, "
                        f"ALTER ROLE {role} NO{' NO'.join(powers)}")
    if row[7]:
        raise RoleError(f"the role {role} is a member of {row[7]} and would hold its rights: "
                        "the console's role must belong to no other role")
    if row[8]:
        raise RoleError(f"the role {role} owns {row[8]} object(s) in this database, and an "
                        "owner can switch the log's triggers off: choose a role that owns "
                        "nothing (REASSIGN OWNED BY it to the database owner first)")
    if not row[5]:
        quoted = conn.dialect.identifier_preparer.quote_identifier(role)
        conn.execute(text(f"ALTER ROLE {quoted} LOGIN"))


def _set_password(conn: Connection, quoted: str, password: str) -> None:
    from psycopg import sql

    # Composed by the driver and sent without parameters, so that no character of the
    # password is taken for a placeholder; in the same transaction as the grant.
    driver(conn.connection).execute(
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.SQL(quoted), sql.Literal(password)))


def _grant(conn: Connection, quoted: str) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    schema = conn.dialect.identifier_preparer.quote_identifier(
        conn.execute(text("SELECT current_schema()")).scalar_one())
    database = conn.dialect.identifier_preparer.quote_identifier(
        conn.execute(text("SELECT current_database()")).scalar_one())
    for statement in (f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {quoted}",
                      f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {quoted}",
                      f"REVOKE ALL ON SCHEMA {schema} FROM {quoted}",
                      f"REVOKE ALL ON DATABASE {database} FROM {quoted}",
                      # Temporary tables come first in every search path: a role that may
                      # make them could shadow the log's tables inside the triggers' queries.
                      f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC",
                      f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
                      f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
                      f"GRANT USAGE ON SCHEMA {schema} TO {quoted}"):
        conn.execute(text(statement))
    names = conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename")).scalars().all()
    tables = {name: privileges(name) for name in names}
    for name, allowed in tables.items():
        if allowed:
            conn.execute(text(f"GRANT {', '.join(allowed)} ON {schema}."
                              f"{conn.dialect.identifier_preparer.quote_identifier(name)} "
                              f"TO {quoted}"))
    # nextval() for the serial keys of the tables the role inserts into by design.
    owned = conn.execute(text(
        "SELECT s.relname, t.relname FROM pg_class s "
        "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
        " AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace "
        "ORDER BY s.relname")).all()
    sequences = tuple(seq for seq, table in owned if privileges(table) == MUTABLE)
    for seq in sequences:
        conn.execute(text(f"GRANT USAGE ON SEQUENCE {schema}."
                          f"{conn.dialect.identifier_preparer.quote_identifier(seq)} "
                          f"TO {quoted}"))
    return tables, sequences


def _check_no_creation(conn: Connection, role: str) -> None:
    """The REVOKEs from PUBLIC only warn when the granting role does not own the database
    or the schema: make sure the role can create nothing, or say who must revoke it."""
    row = conn.execute(text(
        "SELECT has_database_privilege(:r, current_database(), 'TEMPORARY'), "
        "has_database_privilege(:r, current_database(), 'CREATE'), "
        "has_schema_privilege(:r, current_schema(), 'CREATE'), current_database(), "
        "current_schema()"), {"r": role}).one()
    if row[0] or row[1]:
        raise RoleError(f"the role {role} may still create temporary tables or schemas in the "
                        f"database {row[3]} (granted to PUBLIC or to it by another role): as "
                        f"the database's owner run REVOKE TEMPORARY, CREATE ON DATABASE "
                        f"{row[3]} FROM PUBLIC, then grant again")
    if row[2]:
        raise RoleError(f"the role {role} may still create objects in the schema {row[4]}: as "
                        f"the schema's owner run REVOKE CREATE ON SCHEMA {row[4]} FROM PUBLIC, "
                        "then grant again")
