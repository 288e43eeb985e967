"""A witness's folder: its name, its encrypted key and its state database.

    $DLEDGER_WITNESS_HOME/     (default ./witness)
        witness.toml           name, plaintext_key
        witness-key.json       the Ed25519 key, encrypted like the plant key (ledger.keys)
        witness.db             the logs it follows and what it cosigned (ledger.witness.state)

The passphrase is $DLEDGER_KEY_PASSPHRASE in the witness operator's environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.keys import KeyKind, read_key, read_vkey, write_key
from ledger.note import Signer, Verifier
from ledger.witness.cosignature import (
    CosignatureError,
    CosignatureVerifier,
    Cosigner,
    cosigner_key_id,
)
from ledger.witness.state import WitnessState

CONFIG = "witness.toml"
KEY_FILE = "witness-key.json"
WITNESS_KEY = KeyKind("witness key", "DLEDGER_KEY_PASSPHRASE",
                      "run `dledger witness init --name NAME` first")
DATABASE = "witness.db"


class WitnessHomeError(Exception):
    """The witness folder is missing or inconsistent; the message says what to do."""


def home_path(home: str | Path | None = None) -> Path:
    return Path(home or os.environ.get("DLEDGER_WITNESS_HOME") or "witness").resolve()


@dataclass(frozen=True)
class WitnessHome:
    path: Path
    name: str
    plaintext_key: bool

    @classmethod
    def create(cls, path: Path, name: str, passphrase: str | None,
               allow_plaintext: bool) -> tuple[WitnessHome, Cosigner]:
        """A new witness folder with a fresh key; refuses to touch an existing one."""
        if (path / CONFIG).exists() or (path / DATABASE).exists():
            raise WitnessHomeError(f"a witness already exists at {path}; use it, or choose "
                                   "another DLEDGER_WITNESS_HOME")
        if (path / KEY_FILE).exists():
            raise WitnessHomeError(f"{path / KEY_FILE} exists without the witness's settings "
                                   "(an earlier init stopped half way): move that file away, "
                                   "or delete it if its key was never published, and run init "
                                   "again")
        try:
            cosigner = Cosigner(name, Ed25519PrivateKey.generate())
        except CosignatureError as exc:
            raise WitnessHomeError(str(exc)) from None
        path.mkdir(parents=True, exist_ok=True)
        write_key(path / KEY_FILE, Signer(name, cosigner.private_key), passphrase,
                  allow_plaintext=allow_plaintext, kind=WITNESS_KEY)
        plaintext = not passphrase
        (path / CONFIG).write_text(
            "# Dismantle Ledger witness settings (see ledger/witness/home.py)\n"
            f'name = "{name}"\nplaintext_key = {"true" if plaintext else "false"}\n',
            encoding="utf-8")
        home = cls(path, name, plaintext)
        home.state.create()
        return home, cosigner

    @classmethod
    def locate(cls, home: str | Path | None = None) -> WitnessHome:
        path = home_path(home)
        try:
            config = tomllib.loads((path / CONFIG).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WitnessHomeError(f"no witness at {path}: run `dledger witness init --name "
                                   "NAME` (or set DLEDGER_WITNESS_HOME)") from None
        if not (path / DATABASE).exists():
            raise WitnessHomeError(f"the witness database {path / DATABASE} is missing: a "
                                   "witness that lost its state must be retired (new name and "
                                   "key), never restarted, or it could cosign a fork")
        return cls(path, config["name"], bool(config.get("plaintext_key")))

    @property
    def state(self) -> WitnessState:
        return WitnessState(self.path / DATABASE)

    def verifier(self) -> CosignatureVerifier:
        """The witness's cosignature/v1 verifier key (public; needs no passphrase)."""
        # The key file records the same Ed25519 key as a signed-note (type 0x01) vkey.
        public = Verifier.parse(read_vkey(self.path / KEY_FILE)).public_key
        return CosignatureVerifier(self.name, cosigner_key_id(self.name, public.public_bytes_raw()),
                                   public)

    def cosigner(self) -> Cosigner:
        signer = read_key(self.path / KEY_FILE, os.environ.get("DLEDGER_KEY_PASSPHRASE"),
                          allow_plaintext=self.plaintext_key, kind=WITNESS_KEY)
        if signer.name != self.name:
            raise WitnessHomeError(f"the key in {self.path / KEY_FILE} is named {signer.name!r}, "
                                   f"not {self.name!r} as {CONFIG} says")
        return Cosigner(signer.name, signer.private_key)
