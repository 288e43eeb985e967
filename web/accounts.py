"""Console accounts: create, authenticate (with the login throttle), change, deactivate.

Plain functions over a SQLAlchemy engine, with no Flask in them, because the command line
(`dledger user ...`) manages the same accounts as the sign-in page. The throttle lives in the
database (`login_failures`), so it holds across every gunicorn worker and every restart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ledger.store import WRITE_OPTIONS
from ledger.tables import CONSOLE_ROLES, ConsoleUser, LoginFailure, table_of

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# The login throttle (see `authenticate`): failures count for THROTTLE_WINDOW.
THROTTLE_WINDOW = timedelta(hours=1)
ADDRESS_FREE_FAILURES = 3      # of one name from one address, before that address waits
ADDRESS_SPRAY_FAILURES = 10    # of any names from one address, before that address waits
BACKOFF_FIRST = timedelta(seconds=30)  # the first wait; doubled by each further failure
BACKOFF_MAX = timedelta(minutes=15)
NAME_FREE_FAILURES = 10        # of one name from any addresses, before its attempts slow
NAME_DELAY_STEP = 0.25         # seconds more per failure beyond that...
NAME_DELAY_MAX = 3.0           # ...never more: the real user is slowed, never locked out
_NAME = re.compile(r"^[\w.@-]{1,64}$")
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}  # the console's, each named in itself

users = table_of(ConsoleUser)
failures = table_of(LoginFailure)


class AccountError(ValueError):
    """The request about an account was refused; the message says why and what to do."""


class LoginThrottled(AccountError):
    def __init__(self, until: datetime):
        self.until = until
        super().__init__(f"too many failed sign-ins; try again after {until:%H:%M} UTC")


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    active: bool
    created_at: str
    language: str | None
    session_token: str  # changes with the password and the session generation

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | RowMapping) -> Account:
        """The session token is derived from the password hash and the session generation,
        so a new password, a sign-out or a deactivation ends every session begun before."""
        generation = row.get("session_generation") or 0
        token = hashlib.sha256(f"{generation}:{row['password_hash']}".encode()).hexdigest()[:16]
        return cls(row["name"], row["role"], bool(row["active"]), row["created_at"],
                   row["language"], token)


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A transaction holding SQLite's write lock from BEGIN: a deferred one that reads and
    then writes fails at once when another process wrote in between."""
    with engine.connect() as conn, conn.execution_options(**WRITE_OPTIONS).begin():
        yield conn


def stamp(moment: datetime) -> str:
    """`moment` in the ledger's UTC text format (sorts as it compares)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise AccountError(f"user name {name!r}: use 1 to 64 letters, digits, '.', '_', '@' "
                           "or '-' (no spaces)")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password has {len(password)} characters; use at least "
                           f"{MIN_PASSWORD_LENGTH}")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")


@cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name costs as long as a wrong password
    (made on first use: every `dledger` command imports this module)."""
    return _hash("not a password, only timing")


def check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise AccountError(f"language {language!r}: use one of {', '.join(LANGUAGES)}")


def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def create_user(engine: Engine, name: str, role: str, password: str,
                language: str | None = None, now: datetime | None = None) -> Account:
    check_name(name)
    if role not in CONSOLE_ROLES:
        raise AccountError(f"role {role!r}: use one of {', '.join(CONSOLE_ROLES)}")
    check_password(password)
    check_language(language)
    row = {"name": name, "password_hash": _hash(password), "role": role, "active": True,
           "created_at": stamp(now or datetime.now(UTC)), "language": language}
    try:
        with _writing(engine) as conn:
            conn.execute(insert(users).values(**row))
    except IntegrityError:
        raise AccountError(f"user {name!r} already exists") from None
    log.info("console user %r created with role %s", name, role)
    return Account.from_row(row)


def get_user(engine: Engine, name: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    return None if row is None else Account.from_row(row._mapping)


def list_users(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.name)).all()
    return [Account.from_row(row._mapping) for row in rows]


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password; every session of the user ends (the old password may be known)."""
    check_password(password)
    _update(engine, name, password_hash=_hash(password),
            session_generation=users.c.session_generation + 1)
    log.info("password of console user %r changed; their sessions ended", name)


def end_sessions(engine: Engine, name: str) -> None:
    """Revoke every session of `name` on the server (signing out: a copy of the cookie saved
    before opens nothing after)."""
    _update(engine, name, session_generation=users.c.session_generation + 1)
    log.info("sessions of console user %r ended", name)


def set_language(engine: Engine, name: str, language: str) -> None:
    check_language(language)
    _update(engine, name, language=language)


def deactivate(engine: Engine, name: str) -> None:
    _update(engine, name, active=False, session_generation=users.c.session_generation + 1)
    log.info("console user %r deactivated", name)


def _update(engine: Engine, name: str, **values: Any) -> None:
    with _writing(engine) as conn:
        changed = conn.execute(update(users).where(users.c.name == name).values(**values))
    if changed.rowcount == 0:
        raise AccountError(f"no user {name!r}; `dledger user list` shows who exists")


def authenticate(engine: Engine, name: str, password: str, address: str,
                 now: datetime | None = None,
                 pause: Callable[[float], None] = time.sleep) -> Account | None:
    """The active account if `password` is right; None if not (and the failure counts).

    Slows an attacker without locking the real user out (issue 13, break 10):
    - from one address, a name's failures beyond ADDRESS_FREE_FAILURES make that address
      wait, doubling each time up to BACKOFF_MAX (LoginThrottled, the password not looked
      at); any other address is not held back, so the user still signs in from their own;
    - an address failing for many names (ADDRESS_SPRAY_FAILURES) waits the same way;
    - a name failing from many addresses is delayed, never refused: each attempt for it
      waits `name_delay` seconds (at most NAME_DELAY_MAX) before the password is checked.
    """
    now = now or datetime.now(UTC)
    until = locked_until(engine, name, address, now)
    if until is not None:
        log.warning("sign-in refused for %r from %s: throttled until %s", name, address,
                    stamp(until))
        raise LoginThrottled(until)
    if (delay := name_delay(engine, name, now)) > 0:
        log.warning("sign-in for %r from %s delayed %.1f s: it fails from many addresses",
                    name, address, delay)
        pause(delay)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    good = check_password_hash(row.password_hash if row else _dummy_hash(), password)
    if good and row is not None and row.active:
        with _writing(engine) as conn:  # only this address's record: not an attacker's
            conn.execute(delete(failures).where(failures.c.name == name,
                                                failures.c.address == address[:64]))
        log.info("console user %r signed in from %s", name, address)
        return Account.from_row(row._mapping)
    _record_failure(engine, name, address, now)
    return None


def _backoff(times: list[datetime], free: int) -> datetime | None:
    """When the wait after these failures (sorted) ends: none for the first `free`, then
    BACKOFF_FIRST doubling with each further failure, at most BACKOFF_MAX, from the last."""
    extra = len(times) - free
    if extra <= 0:
        return None
    return times[-1] + min(BACKOFF_FIRST * 2 ** min(extra - 1, 20), BACKOFF_MAX)


def _failure_times(conn: Connection, *conditions: Any, since: str) -> list[datetime]:
    return [datetime.fromisoformat(at) for at in conn.execute(
        select(failures.c.at).where(*conditions, failures.c.at >= since)
        .order_by(failures.c.at)).scalars()]


def locked_until(engine: Engine, name: str, address: str, now: datetime) -> datetime | None:
    """When `address` may try `name` again, or None if it may now."""
    since = stamp(now - THROTTLE_WINDOW)
    with engine.connect() as conn:
        pair = _failure_times(conn, failures.c.name == name[:64],
                              failures.c.address == address[:64], since=since)
        spray = _failure_times(conn, failures.c.address == address[:64], since=since)
    ends = [end for end in (_backoff(pair, ADDRESS_FREE_FAILURES),
                            _backoff(spray, ADDRESS_SPRAY_FAILURES)) if end is not None]
    until = max(ends, default=None)
    return until if until is not None and until > now else None


def name_delay(engine: Engine, name: str, now: datetime) -> float:
    """Seconds each attempt for `name` waits: NAME_DELAY_STEP for each failure within
    THROTTLE_WINDOW beyond NAME_FREE_FAILURES, from any address, at most NAME_DELAY_MAX."""
    with engine.connect() as conn:
        count = len(_failure_times(conn, failures.c.name == name[:64],
                                   since=stamp(now - THROTTLE_WINDOW)))
    return min(NAME_DELAY_MAX, NAME_DELAY_STEP * max(0, count - NAME_FREE_FAILURES))


def _record_failure(engine: Engine, name: str, address: str, now: datetime) -> None:
    with _writing(engine) as conn:
        conn.execute(insert(failures).values(name=name[:64], address=address[:64],
                                             at=stamp(now)))
        conn.execute(delete(failures).where(failures.c.at < stamp(now - THROTTLE_WINDOW)))
    log.info("failed sign-in for %r from %s", name, address)
    if (until := locked_until(engine, name, address, now)) is not None:
        log.warning("sign-in for %r from %s throttled until %s", name, address, stamp(until))
