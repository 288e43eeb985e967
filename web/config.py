"""Console settings, read from the environment and the instance folder rather than code.

A plant configures the console the same way it configures the ledger: environment variables
and files in its instance folder. The session secret is generated once into the instance so
that every gunicorn worker (and every restart) signs cookies with the same key.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.instance import Instance

SECRET_KEY_FILE = "console-secret-key"  # noqa: S105 (a file name, not a secret)
DEFAULT_TIMEZONE = "Asia/Shanghai"
GWP_BASES = ("AR4", "AR5")  # IPCC assessment report whose GWP100 values convert kg to CO2e


class ConfigError(Exception):
    """A console setting is wrong; the message names the variable and what to set."""


def settings(instance: Instance) -> dict[str, Any]:
    """The Flask config for `instance`: secret, plant time zone, GWP basis, cookie policy."""
    https = os.environ.get("DLEDGER_HTTPS") == "1"
    return {
        "SECRET_KEY": secret_key(instance.home),
        "DLEDGER_TIMEZONE": plant_timezone(),
        "DLEDGER_GWP": gwp_basis(),
        "DLEDGER_TRUSTED_PROXIES": trusted_proxies(),
        "SESSION_COOKIE_NAME": "dledger_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),  # one shift and some
    }


def plant_timezone() -> str:
    name = os.environ.get("DLEDGER_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DLEDGER_TIMEZONE={name!r} is not a time zone name; use an IANA "
                          "name such as Asia/Shanghai") from None
    return name


def gwp_basis() -> str:
    basis = (os.environ.get("DLEDGER_GWP") or "AR4").upper()
    if basis not in GWP_BASES:
        raise ConfigError(f"DLEDGER_GWP={basis!r}: use AR4 (the default) or AR5")
    return basis


def trusted_proxies() -> int:
    """How many reverse proxies in front of the console set X-Forwarded-For (default none)."""
    value = os.environ.get("DLEDGER_TRUSTED_PROXIES") or "0"
    if not value.isdigit():
        raise ConfigError(f"DLEDGER_TRUSTED_PROXIES={value!r}: give a count such as 1")
    return int(value)


def secret_key(home: Path) -> str:
    """The session-signing secret in `home`, created (mode 0600) on first use.

    Several worker processes may start at once: the key is written to a private temporary
    file and linked into place, so exactly one creation wins and nobody reads a partial key.
    """
    path = home / SECRET_KEY_FILE
    if not path.exists():
        temporary = home / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first; use its key
        finally:
            temporary.unlink()
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} is readable by other users: run `chmod 600 {path}`")
    return path.read_text(encoding="ascii").strip()
