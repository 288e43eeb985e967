"""`dledger serve` and `dledger user ...`: run the console, manage its accounts.

`serve` runs gunicorn in-process through its BaseApplication API, so the console is one
process tree that `dledger` owns (signals, exit code), with no second command line to keep
in sync. Both commands upgrade the database schema first when it is behind, so an instance
created before the console existed gains its tables; when it is current they need no DDL
rights, so the console runs as its PostgreSQL application role (ledger.roles), and that
role is told to have the owner run `dledger db upgrade` when it is not. Flask and gunicorn are
imported inside the commands: every other `dledger` command loads this module too.

`serve` also runs the instance's checkpoint publisher (`dledger witness publish`, see
ledger/witness/publisher.py) as a child process for as long as the console runs: one process
whatever the number of workers, which an append never waits for, outside gunicorn's worker
recycling and timeouts; it stops with the console (or on its own when the console died).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ledger.cli import fail
from ledger.instance import Instance, InstanceError
from ledger.roles import RoleError, ensure_schema
from ledger.tables import CONSOLE_ROLES
from web.serving import DEFAULT_THREADS, gunicorn_options


def _instance() -> Instance:
    try:
        instance = Instance.locate()
    except InstanceError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits
    engine = instance.engine()
    try:
        ensure_schema(engine)
    except RoleError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    return instance


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", type=click.IntRange(min=1),
              help="gunicorn worker processes (default: 1 on SQLite, one per core on "
                   "PostgreSQL; see web/serving.py).")
@click.option("--threads", type=click.IntRange(min=1),
              help=f"Requests each worker serves at once (default {DEFAULT_THREADS}; they "
                   "share commits).")
@click.option("--dev", is_flag=True,
              help="Flask's development server with reloader and debugger (never on a network).")
def serve(host: str, port: int, workers: int | None, threads: int | None, dev: bool) -> None:
    """Run the console (gunicorn; Flask's dev server with --dev)."""
    instance = _instance()
    if dev:
        from web.app import create_app

        with checkpoint_publisher(instance):
            create_app(instance).run(host=host, port=port, debug=True)
        return
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with checkpoint_publisher(instance):
        _run_gunicorn(instance, {"bind": bind, "proc_name": "dledger-console",
                                 "accesslog": "-", "errorlog": "-", "timeout": 120,
                                 **gunicorn_options(instance.database_url, workers, threads)})


PUBLISHER_STOP_S = 30.0  # its last round: sign what came in, one push per witness


@contextmanager
def checkpoint_publisher(instance: Instance) -> Iterator[None]:
    """`dledger witness publish` for `instance` while the block runs; stopped (SIGTERM, then
    its last round) when it ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dledger", "witness", "publish", "--exit-with-parent"],
        stdin=subprocess.DEVNULL, env={**os.environ, "DLEDGER_HOME": str(instance.home)})
    try:
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(PUBLISHER_STOP_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _run_gunicorn(instance: Instance, options: dict[str, Any]) -> None:
    """gunicorn with `options`; each worker builds its own app (and database pool)."""
    from gunicorn.app.base import BaseApplication

    from web.app import create_app

    class Console(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn 24+ opens a control socket in ~/.gunicorn by default, shared by
                # every server of the user; the console does not use it.
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Any:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] "
                                "%(levelname)s %(name)s: %(message)s")
            app = create_app(instance)
            # What start-up made lives as long as the worker: keep it out of the collector's
            # full passes, which otherwise add ~50 ms to an occasional dashboard request.
            gc.freeze()
            return app

    Console().run()


@click.group()
def user() -> None:
    """Console accounts: add, list, set a password, deactivate."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(CONSOLE_ROLES))
@click.option("--language", help="The console's language for this user: zh_Hans_CN or en "
              "(default: the browser's).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
def user_add(name: str, role: str, language: str | None, password_stdin: bool) -> None:
    """Add a user with a role (worker, manager, inspector, admin)."""
    from web import accounts

    engine = _instance().engine()
    try:
        accounts.create_user(engine, name, role, _read_password(password_stdin), language)
    except accounts.AccountError as exc:
        fail(str(exc))
    click.echo(f"added {name} ({role})", err=True)


@user.command("list")
def user_list() -> None:
    """Name, role, active, created (UTC), language: one user per line, tab-separated."""
    from web import accounts

    for account in accounts.list_users(_instance().engine()):
        state = "active" if account.active else "inactive"
        click.echo("\t".join([account.name, account.role, state, account.created_at,
                              account.language or "-"]))


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
def user_password(name: str, password_stdin: bool) -> None:
    """Set a user's password (their other sessions end)."""
    from web import accounts

    try:
        accounts.set_password(_instance().engine(), name, _read_password(password_stdin))
    except accounts.AccountError as exc:
        fail(str(exc))
    click.echo(f"password of {name} changed", err=True)


@user.command("deactivate")
@click.argument("name")
def user_deactivate(name: str) -> None:
    """Stop a user from signing in (their sessions end); the account stays for the record."""
    from web import accounts

    try:
        accounts.deactivate(_instance().engine(), name)
    except accounts.AccountError as exc:
        fail(str(exc))
    click.echo(f"deactivated {name}", err=True)
