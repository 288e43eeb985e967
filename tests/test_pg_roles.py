"""PostgreSQL roles (issue 13, break 11): the console connects as an application role that
owns nothing, so the database refuses it every way around the log's triggers (switching
them off, dropping or replacing them, truncating, shadowing the tables they read), while the
append path, checkpoints, projections and the console work as that role.

The role is cluster-wide (scripts/test-services.sh makes it, DLEDGER_TEST_PG_APP_URL), its
grants are per database: every test grants it on its own fresh database, so the tests run
twice and in parallel.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import PG_URL, _missing, publish_default_catalogue
from factories import SigningStation, calibration, received
from sqlalchemy import Engine, exc, make_url, text
from test_log_guards import REFUSALS

from dledger.cli import main
from ledger.instance import KEY_FILE, write_config
from ledger.keys import new_plant_signer, write_key
from ledger.log import Ledger
from ledger.note import new_signer
from ledger.projections import rebuild
from ledger.roles import RoleError, ensure_role, ensure_schema, grant, privileges, revisions
from ledger.store import migrate, open_engine, write_transaction
from ledger.tables import SQLModel

APP_URL = os.environ.get("DLEDGER_TEST_PG_APP_URL") or make_url(PG_URL).set(
    username="dledger_app", password=None).render_as_string(hide_password=False)
APP_ROLE = make_url(APP_URL).username
assert APP_ROLE
INSUFFICIENT_PRIVILEGE = "42501"
TRIGGER_WORDS = ("append-only", "may be inserted", "never inserted", "only grows",
                 "never deleted")


def _on(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def owner(pg_url: str) -> Iterator[Engine]:
    """The database owner's engine on a fresh database at the newest schema, the console's
    role granted on it."""
    engine = open_engine(pg_url)
    migrate(engine)
    publish_default_catalogue(Ledger(engine))
    grant(engine, APP_ROLE)
    yield engine
    engine.dispose()


@pytest.fixture
def app_url(owner: Engine) -> str:
    url = _on(APP_URL, str(owner.url.database))
    try:
        psycopg.connect(url.replace("+psycopg", ""), connect_timeout=5).close()
    except psycopg.OperationalError as error:
        _missing(f"the application role's login {make_url(url)!r} ({error})")
    return url


@pytest.fixture
def app_ledger(app_url: str) -> Iterator[Ledger]:
    """The log as the console's role sees it, grown a little and checkpointed."""
    engine = open_engine(app_url)
    ledger = Ledger(engine)
    ledger.append([calibration(), calibration(), calibration()])
    ledger.checkpoint(new_signer("ledger.test-plant.example/ROLES"))
    yield ledger
    engine.dispose()


def test_the_app_role_appends_checkpoints_and_rebuilds(app_ledger):
    station = SigningStation("ST-60")
    app_ledger.append([station.registration()])
    label = "CN3301-2026-0600001"
    app_ledger.append([station.submit("unit.received", f"unit:{label}", received(label))])
    signed = app_ledger.checkpoint(new_signer("ledger.test-plant.example/ROLES"))
    assert signed.checkpoint.size == app_ledger.size() == 6
    with write_transaction(app_ledger.engine) as conn:
        assert rebuild(conn) == 6  # the read models are deleted and derived again
    with app_ledger.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM units")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM scale_checks")).scalar() == 3


def _refused(ledger: Ledger, statement: str) -> exc.DBAPIError:
    before = [ledger.entry(i) for i in range(ledger.size())]
    with pytest.raises(exc.DBAPIError) as refused, ledger.engine.begin() as conn:
        conn.execute(text(statement))
    assert [ledger.entry(i) for i in range(ledger.size())] == before
    ledger.append([calibration()])  # the append path still works, the guards still hold
    with ledger.engine.connect() as conn:
        assert set(conn.execute(text(
            "SELECT tgenabled FROM pg_trigger WHERE NOT tgisinternal")).scalars()) == {"O"}
    return refused.value


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_the_app_role_is_refused_every_change_of_the_log(app_ledger, case):
    statement = REFUSALS[case].format(replace="INSERT", upsert=" ON CONFLICT DO NOTHING",
                                      blob="'\\x00'::bytea")
    error = _refused(app_ledger, statement)
    assert error.orig.sqlstate == INSUFFICIENT_PRIVILEGE or \
        any(words in str(error) for words in TRIGGER_WORDS), error


BYPASSES = {
    "switch the triggers off for the session": "SET session_replication_role = replica",
    "disable the triggers": "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
    "disable the head's guard": "ALTER TABLE ledger_state DISABLE TRIGGER ledger_state_guard",
    "drop the append-only trigger": "DROP TRIGGER ledger_entries_append_only ON ledger_entries",
    "drop the insert guard": "DROP TRIGGER ledger_entries_insert_guard ON ledger_entries",
    "truncate the entries": "TRUNCATE ledger_entries",
    "truncate the head": "TRUNCATE ledger_state",
    "replace the refusing function": "CREATE OR REPLACE FUNCTION ledger_refuse_change() "
                                     "RETURNS trigger LANGUAGE plpgsql AS "
                                     "$$ BEGIN RETURN NULL; END $$",
    "replace the insert guard": "CREATE OR REPLACE FUNCTION ledger_entries_insert_guard() "
                                "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "drop the entries": "DROP TABLE ledger_entries",
    "take the entries over": "ALTER TABLE ledger_entries OWNER TO {role}",
    "rename the entries": "ALTER TABLE ledger_entries RENAME TO old_entries",
    "rewrite inserts with a rule": "CREATE RULE no_guard AS ON INSERT TO ledger_entries "
                                   "DO INSTEAD NOTHING",
    "upsert over an entry": "INSERT INTO ledger_entries SELECT * FROM ledger_entries "
                            "WHERE idx = 1 ON CONFLICT (idx) DO UPDATE SET station = 'X'",
    # Without the grant option GRANT only warns; the update after it is what is refused.
    "grant itself updates": "DO $$ BEGIN GRANT UPDATE ON ledger_entries TO {role}; "
                            "UPDATE ledger_entries SET station = 'X' WHERE idx = 1; END $$",
    "become the owner": "SET ROLE postgres",
    "make itself a superuser": "ALTER ROLE {role} SUPERUSER",
    # Temporary tables come first in the search path, so they would shadow the tables the
    # insert guards read (a fake head) and let a junk entry in.
    "shadow the head with a temporary table": "CREATE TEMP TABLE ledger_state (id int, "
                                              "size bigint)",
    "create a table": "CREATE TABLE shadow (idx bigint)",
    "create a schema": "CREATE SCHEMA shadow",
    "delete a cosignature": "DELETE FROM checkpoint_cosignatures",
    "rewind the schema revision": "UPDATE alembic_version SET version_num = '0001'",
}


@pytest.mark.parametrize("case", BYPASSES, ids=list(BYPASSES))
def test_the_app_role_cannot_alter_or_bypass_the_guards(app_ledger, case):
    error = _refused(app_ledger, BYPASSES[case].format(role=APP_ROLE))
    assert error.orig.sqlstate == INSUFFICIENT_PRIVILEGE, error


def test_the_grant_is_exact_and_idempotent(owner):
    with owner.begin() as conn:  # a right it should not hold, given by hand
        conn.execute(text(f"GRANT UPDATE, TRUNCATE ON ledger_entries TO {APP_ROLE}"))
    first, again = grant(owner, APP_ROLE), grant(owner, APP_ROLE)
    assert not first.created and not again.created  # the role exists: the fixture made it
    assert first.tables == again.tables
    with owner.connect() as conn:
        held: dict[str, set[str]] = {}
        for table, privilege in conn.execute(text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND table_catalog = current_database()"),
                {"r": APP_ROLE}):
            held.setdefault(table, set()).add(privilege)
        role = conn.execute(text(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
            "rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).one()
    assert held == {table: set(allowed) for table, allowed in first.tables.items() if allowed}
    assert set(first.tables) == {*SQLModel.metadata.tables, "alembic_version"}
    assert held["ledger_entries"] == {"SELECT", "INSERT"}
    assert held["ledger_state"] == {"SELECT", "UPDATE"}
    assert held["alembic_version"] == {"SELECT"}
    assert held["console_users"] == set(privileges("units")) == {"SELECT", "INSERT", "UPDATE",
                                                                 "DELETE"}
    assert first.sequences == ("login_failures_id_seq",)
    assert tuple(role) == (False, False, False, False, False, True)


def test_grant_sets_a_password_of_any_characters(owner):
    role = f"dledger_pw_{uuid.uuid4().hex[:8]}"  # its own role: the shared one keeps its own
    try:
        assert grant(owner, role, "it's 100% {secret}").created
        with owner.connect() as conn:
            stored = conn.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
                                  {"r": role}).scalar()
        assert stored.startswith("SCRAM-SHA-256$")
    finally:
        with owner.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_grant_refuses_the_owner_itself(owner):
    with pytest.raises(RoleError, match="another one, which owns nothing"):
        grant(owner, str(owner.url.username))


def test_grant_refuses_sqlite(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(engine)
    with pytest.raises(RoleError, match="SQLite has no database roles"):
        grant(engine, APP_ROLE)


def test_grant_refuses_a_schema_behind(pg_url):
    engine = open_engine(pg_url)
    with pytest.raises(RoleError, match="dledger db upgrade"):
        grant(engine, APP_ROLE)
    engine.dispose()


def _instance(home: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """An instance folder at `home` whose database is `url` (already a ledger)."""
    origin = "ledger.test-plant.example/ROLES"
    write_config(home, origin, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_key(home / KEY_FILE, new_plant_signer(origin), None, allow_plaintext=True)
    monkeypatch.setenv("DLEDGER_HOME", str(home))
    monkeypatch.setenv("DLEDGER_DATABASE_URL", url)


@pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
def test_the_console_runs_as_the_app_role(owner, app_url, tmp_path, monkeypatch):
    from web import accounts
    from web.app import create_app
    from web.cli import _instance as serve_instance

    _instance(tmp_path / "instance", monkeypatch, app_url)
    instance = serve_instance()  # what `dledger serve` does first: the schema is current
    app = create_app(instance, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    accounts.create_user(instance.engine(), "manager-1", "manager", "correct horse battery")
    client = app.test_client()
    wrong = client.post("/login", data={"name": "manager-1", "password": "wrong password"})
    assert wrong.status_code == 401
    right = client.post("/login", data={"name": "manager-1",
                                        "password": "correct horse battery"})
    assert right.status_code == 302
    assert client.get("/dashboard/").status_code == 200

    station = SigningStation("ST-61")
    instance.ledger().append([station.registration()])
    label = "CN3301-2026-0610001"
    submission = station.submit("unit.received", f"unit:{label}", received(label))
    answer = app.test_client().post("/api/v1/events", json={"events": [
        {"event": submission.event.obj, "station_sig": submission.station_sig}]})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["results"][0]["index"] == 2
    assert app.test_client().get("/api/v1/checkpoint").status_code == 200


def test_a_schema_behind_tells_the_app_role_to_have_the_owner_upgrade(owner, app_url, tmp_path,
                                                                     monkeypatch):
    head = revisions(owner).head
    with owner.begin() as conn:  # as if this dledger were newer than the database
        conn.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    _instance(tmp_path / "instance", monkeypatch, app_url)
    app = open_engine(app_url)
    with pytest.raises(RoleError, match="run `dledger db upgrade` as the database owner"):
        ensure_schema(app)
    app.dispose()
    for command in (["user", "list"], ["db", "upgrade"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2, result.output
        assert "run `dledger db upgrade` as the database owner" in result.output
    with owner.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert CliRunner().invoke(main, ["user", "list"]).exit_code == 0


def test_an_ungranted_database_says_who_must_grant(pg_url, tmp_path, monkeypatch):
    engine = open_engine(pg_url)
    migrate(engine)
    with engine.begin() as conn:  # the role exists (cluster-wide) but has no grant here
        ensure_role(conn, APP_ROLE)
    engine.dispose()
    app = open_engine(_on(APP_URL, str(make_url(pg_url).database)))
    with pytest.raises(RoleError, match=f"dledger db grant --role {APP_ROLE}"):
        ensure_schema(app)
    app.dispose()


def test_db_grant_and_upgrade_commands(owner, tmp_path, monkeypatch):
    _instance(tmp_path / "instance", monkeypatch, owner.url.render_as_string(
        hide_password=False))
    upgraded = CliRunner().invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "newest revision" in upgraded.output
    granted = CliRunner().invoke(main, ["db", "grant", "--role", APP_ROLE])
    assert granted.exit_code == 0, granted.output
    assert "ledger_entries\tSELECT, INSERT" in granted.output.splitlines()
    monkeypatch.setenv("DLEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    sqlite = open_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(sqlite)
    sqlite.dispose()
    refused = CliRunner().invoke(main, ["db", "grant", "--role", APP_ROLE])
    assert refused.exit_code == 2 and "SQLite has no database roles" in refused.output
