"""The station's own Ed25519 key: created once, encrypted at rest, signing every event.

The key file uses the plant key's scheme (ledger.keys: Argon2id + AES-256-GCM, mode 0600),
unlocked by DLEDGER_STATION_KEY_PASSPHRASE. The console accepts a station's events only once
an admin has approved its public key (a `station.registered` entry, made on the console's
Stations page); `station_sig` is the signature over the event's canonical bytes
(docs/design.md §3.1).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ledger.events import Event
from ledger.keys import KeyFileError, KeyKind, read_key, write_key
from ledger.note import Signer, new_signer

PASSPHRASE_ENV = "DLEDGER_STATION_KEY_PASSPHRASE"  # noqa: S105 -- a variable name
STATION_KEY = KeyKind("station key", PASSPHRASE_ENV,
                      "run `dledger station init --config <station.toml>` first")


class IdentityError(Exception):
    """The station key cannot be created or opened; the message says what to do."""


@dataclass(frozen=True)
class StationIdentity:
    station_id: str
    signer: Signer

    @property
    def public_key(self) -> str:
        """The raw Ed25519 public key, base64: what the admin approves."""
        raw = self.signer.private_key.public_key().public_bytes_raw()
        return base64.b64encode(raw).decode()

    @property
    def fingerprint(self) -> str:
        """As the console's Stations page shows it: SHA-256 of the raw key, first 8 bytes."""
        return hashlib.sha256(base64.b64decode(self.public_key)).hexdigest()[:16]

    def sign(self, event: Event) -> str:
        return base64.b64encode(self.signer.private_key.sign(event.canonical)).decode()


def _passphrase() -> str:
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:
        raise IdentityError(f"set {PASSPHRASE_ENV} (at least 12 characters): it encrypts the "
                            "station key at rest")
    return passphrase


def create(path: Path, station_id: str) -> StationIdentity:
    """A new key for `station_id` at `path`; refuses to replace an existing one."""
    if path.exists():
        raise IdentityError(f"{path} already holds a station key; a station keeps its key (to "
                            "replace it, have the admin revoke the old key, move the file away "
                            "and run init again)")
    signer = new_signer(station_id)
    try:
        write_key(path, signer, _passphrase(), kind=STATION_KEY)
    except KeyFileError as exc:
        raise IdentityError(str(exc)) from None
    return StationIdentity(station_id, signer)


def load(path: Path, station_id: str) -> StationIdentity:
    if not path.exists():
        raise IdentityError(f"no station key at {path}: run `dledger station init --config "
                            "<station.toml>` first")
    try:
        signer = read_key(path, _passphrase(), kind=STATION_KEY)
    except KeyFileError as exc:
        raise IdentityError(str(exc)) from None
    if signer.name != station_id:
        raise IdentityError(f"the key in {path} belongs to station {signer.name}, but the "
                            f"configuration says {station_id}: use that station's key file")
    return StationIdentity(station_id, signer)
