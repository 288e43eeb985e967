"""How often the plant signs checkpoints, which witnesses it pushes them to, and when a witness
that falls behind is an alert: the `[checkpoints]` table of the instance's dledger.toml.

    [checkpoints]
    every_entries = 256           # sign once the log grew by this many entries...
    every_seconds = 10            # ...or this long after the last checkpoint, if it grew
    witness_stale_seconds = 600   # a witness behind the log for longer: an alert

    [[checkpoints.witnesses]]
    url = "https://witness.recycling-association.cn/w1"
    vkey = "witness.recycling-association.cn/w1+1f0c7a52+BPq...="

The defaults are Tessera's (a checkpoint at least every 10 s, or every 256 entries); every
value is optional. This is the one home of the stale-witness threshold: the publisher, the
console's alert and the docs read it from here.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from ledger.witness.cosignature import CosignatureError, CosignatureVerifier

TABLE = "checkpoints"
DEFAULT_EVERY_ENTRIES = 256
DEFAULT_EVERY_SECONDS = 10.0
DEFAULT_STALE_SECONDS = 600.0
_KNOWN = {"every_entries", "every_seconds", "witness_stale_seconds", "witnesses"}


class SettingsError(ValueError):
    """A value in [checkpoints] is wrong; the message names it and says what to write."""


@dataclass(frozen=True)
class WitnessTarget:
    """A witness this plant pushes its checkpoints to: its submission URL and its key."""

    url: str
    verifier: CosignatureVerifier

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def shown_url(self) -> str:
        return redact(self.url)


@dataclass(frozen=True)
class CheckpointSettings:
    every_entries: int = DEFAULT_EVERY_ENTRIES
    every_seconds: float = DEFAULT_EVERY_SECONDS
    witness_stale_seconds: float = DEFAULT_STALE_SECONDS
    witnesses: tuple[WitnessTarget, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, table: Any) -> CheckpointSettings:
        if table is None:
            return cls()
        if not isinstance(table, dict):
            raise SettingsError(f"[{TABLE}] must be a table, not {table!r}")
        unknown = sorted(set(table) - _KNOWN)
        if unknown:
            raise SettingsError(f"[{TABLE}] has no setting {unknown[0]!r}; the settings are "
                                f"{', '.join(sorted(_KNOWN))}")
        every_entries = table.get("every_entries", DEFAULT_EVERY_ENTRIES)
        if isinstance(every_entries, bool) or not isinstance(every_entries, int) \
                or not 1 <= every_entries <= 10_000_000:
            raise SettingsError(f"[{TABLE}] every_entries = {every_entries!r}: give a whole "
                                f"number from 1 to 10000000, e.g. {DEFAULT_EVERY_ENTRIES}")
        witnesses = table.get("witnesses", [])
        if not isinstance(witnesses, list):
            raise SettingsError(f"[{TABLE}] witnesses must be [[{TABLE}.witnesses]] tables")
        targets = tuple(_target(i, w) for i, w in enumerate(witnesses, 1))
        seen: set[bytes] = set()
        for target in targets:
            if target.verifier.key_id in seen:
                raise SettingsError(f"[[{TABLE}.witnesses]]: the witness {target.name} is "
                                    "listed twice; keep one entry per witness key")
            seen.add(target.verifier.key_id)
        return cls(every_entries,
                   _seconds(table, "every_seconds", DEFAULT_EVERY_SECONDS, 86_400),
                   _seconds(table, "witness_stale_seconds", DEFAULT_STALE_SECONDS, 30 * 86_400),
                   targets)


def _seconds(table: dict[str, Any], name: str, default: float, upper: float) -> float:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) \
            or not 0 < value <= upper:
        raise SettingsError(f"[{TABLE}] {name} = {value!r}: give a number of seconds above 0 "
                            f"and at most {upper:g}, e.g. {default:g}")
    return float(value)


def _target(number: int, entry: Any) -> WitnessTarget:
    where = f"[[{TABLE}.witnesses]] number {number}"
    if not isinstance(entry, dict) or set(entry) != {"url", "vkey"}:
        raise SettingsError(f"{where}: give exactly url = \"https://...\" and vkey = \"...\" "
                            "(the witness's verifier key)")
    check_url(entry["url"], where)
    try:
        verifier = CosignatureVerifier.parse(str(entry["vkey"]))
    except CosignatureError as exc:
        raise SettingsError(f"{where}: {exc}") from None
    return WitnessTarget(entry["url"], verifier)


def check_url(url: Any, where: str = "the witness URL") -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) \
            or any(c.isspace() or ord(c) < 32 for c in url) or not urllib.parse.urlsplit(
                url).hostname:
        raise SettingsError(f"{where}: url {redact(str(url))!r} must be an http:// or https:// "
                            "address with a host and no spaces, e.g. https://witness.example/w1")
    if "@" in urllib.parse.urlsplit(url).netloc:
        raise SettingsError(f"{where}: url {redact(url)!r} carries a user name or password, "
                            "which the publisher does not send; give the witness's address "
                            "without them")


def redact(url: str) -> str:
    """`url` without what may be a secret (a user name and password, a query), for logs and
    pages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if "@" in parts.netloc:
        host = "…@" + host
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "",
                                    ""))


def witness_toml(url: str, vkey: str) -> str:
    """One `[[checkpoints.witnesses]]` table, values quoted (JSON strings are TOML basic
    strings)."""
    return f"\n[[{TABLE}.witnesses]]\nurl = {json.dumps(url)}\nvkey = {json.dumps(vkey)}\n"
