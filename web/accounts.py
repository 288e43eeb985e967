"""Console accounts: create, authenticate (with the login throttle), change, deactivate.

Plain functions over a SQLAlchemy engine, with no Flask in them, because the command line
(`dledger user ...`) manages the same accounts as the sign-in page. The throttle lives in the
database (`login_failures`), so it holds across every gunicorn worker and every restart.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ledger.store import WRITE_OPTIONS
from ledger.tables import CONSOLE_ROLES, ConsoleUser, LoginFailure

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
THROTTLE_FAILURES = 5                # this many failures within THROTTLE_WINDOW...
THROTTLE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)      # ...refuse further attempts for this long
_NAME = re.compile(r"^[\w.@-]{1,64}$")
LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}  # the console's, each named in itself

users = cast(Table, ConsoleUser.__table__)
failures = cast(Table, LoginFailure.__table__)


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
    session_token: str  # changes when the password does, ending the old sessions

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Account:
        token = hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16]
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
    check_password(password)
    _update(engine, name, password_hash=_hash(password))
    log.info("password of console user %r changed", name)


def set_language(engine: Engine, name: str, language: str) -> None:
    check_language(language)
    _update(engine, name, language=language)


def deactivate(engine: Engine, name: str) -> None:
    _update(engine, name, active=False)
    log.info("console user %r deactivated", name)


def _update(engine: Engine, name: str, **values: Any) -> None:
    with _writing(engine) as conn:
        changed = conn.execute(update(users).where(users.c.name == name).values(**values))
    if changed.rowcount == 0:
        raise AccountError(f"no user {name!r}; `dledger user list` shows who exists")


def authenticate(engine: Engine, name: str, password: str, address: str,
                 now: datetime | None = None) -> Account | None:
    """The active account if `password` is right; None if not (and the failure counts).

    Raises LoginThrottled, without looking at the password, while the name or the address
    has THROTTLE_FAILURES failures within THROTTLE_WINDOW less than LOCKOUT ago.
    """
    now = now or datetime.now(UTC)
    until = locked_until(engine, name, address, now)
    if until is not None:
        log.warning("sign-in refused for %r from %s: throttled until %s", name, address,
                    stamp(until))
        raise LoginThrottled(until)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    good = check_password_hash(row.password_hash if row else _dummy_hash(), password)
    if good and row is not None and row.active:
        with _writing(engine) as conn:
            conn.execute(delete(failures).where(failures.c.name == name))
        log.info("console user %r signed in from %s", name, address)
        return Account.from_row(row._mapping)
    _record_failure(engine, name, address, now)
    return None


def locked_until(engine: Engine, name: str, address: str, now: datetime) -> datetime | None:
    """When the throttle on `name` or `address` ends, or None if neither is throttled."""
    since = stamp(now - THROTTLE_WINDOW - LOCKOUT)
    ends: list[datetime] = []
    with engine.connect() as conn:
        for column, value in ((failures.c.name, name), (failures.c.address, address)):
            times = [datetime.fromisoformat(at) for at in conn.execute(
                select(failures.c.at).where(column == value, failures.c.at >= since)
                .order_by(failures.c.at)).scalars()]
            n = THROTTLE_FAILURES
            ends += [times[i] + LOCKOUT for i in range(n - 1, len(times))
                     if times[i] - times[i - n + 1] <= THROTTLE_WINDOW]
    until = max(ends, default=None)
    return until if until is not None and until > now else None


def _record_failure(engine: Engine, name: str, address: str, now: datetime) -> None:
    with _writing(engine) as conn:
        conn.execute(insert(failures).values(name=name[:64], address=address[:64],
                                             at=stamp(now)))
        conn.execute(delete(failures).where(
            failures.c.at < stamp(now - THROTTLE_WINDOW - LOCKOUT)))
    log.info("failed sign-in for %r from %s", name, address)
    if locked_until(engine, name, address, now) is not None:
        log.warning("sign-in for %r from %s throttled for %s after %d failures", name,
                    address, LOCKOUT, THROTTLE_FAILURES)
