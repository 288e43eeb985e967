"""Signing keys at rest (the plant's, a station's, a witness's): Ed25519, encrypted with
Argon2id + AES-256-GCM.

The key file is JSON (format `dledger-plant-key/1`). The Argon2id parameters are RFC 9106's
second recommended option (t=3, m=64 MiB, p=4); the key's name and verifier key are bound to
the ciphertext as associated data, so a file cannot be re-labelled. A plaintext key is only
written or read when the caller explicitly allows it (a demo), and then with a warning.
"""

from __future__ import annotations

import base64
import json
import os
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ledger.note import Signer, signing_key_string

FORMAT = "dledger-plant-key/1"
MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class KeyKind:
    """Whose key a file holds, so that messages say which key and what to do."""

    noun: str  # "plant key"
    passphrase_env: str  # the environment variable its passphrase comes from
    create_hint: str  # how to make one


@dataclass(frozen=True)
class Argon2Params:
    """The cost of deriving the key from the passphrase; stored in the file beside the salt."""

    iterations: int = 3
    lanes: int = 4
    memory_cost: int = 64 * 1024  # KiB

    @classmethod
    def from_doc(cls, kdf: dict[str, Any]) -> Argon2Params:
        return cls(int(kdf["iterations"]), int(kdf["lanes"]), int(kdf["memory_cost"]))


ARGON2 = Argon2Params()

PLANT_KEY = KeyKind("plant key", "DLEDGER_KEY_PASSPHRASE", "run `dledger init` first")


class KeyFileError(Exception):
    """The key file cannot be written or opened; the message says what to do."""


class PlaintextKeyWarning(UserWarning):
    """A key is stored unencrypted (allowed only for demos)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _kdf(salt: bytes, params: Argon2Params) -> Argon2id:
    return Argon2id(salt=salt, length=32, iterations=params.iterations, lanes=params.lanes,
                    memory_cost=params.memory_cost)


def write_key(path: Path, signer: Signer, passphrase: str | None,
              allow_plaintext: bool = False, kind: KeyKind = PLANT_KEY) -> None:
    """Write `signer` to `path` (mode 0600), encrypted unless plaintext is allowed."""
    seed = signing_key_string(signer).encode()
    vkey = signer.verifier.vkey
    doc: dict[str, object] = {"format": FORMAT, "name": signer.name, "vkey": vkey}
    if passphrase:
        if len(passphrase) < MIN_PASSPHRASE:
            raise KeyFileError(f"{kind.passphrase_env} must be at least {MIN_PASSPHRASE} "
                               "characters long")
        salt, nonce = os.urandom(16), os.urandom(12)
        key = _kdf(salt, ARGON2).derive(passphrase.encode())
        ciphertext = AESGCM(key).encrypt(nonce, seed, _aad(signer.name, vkey))
        doc |= {"kdf": {"name": "argon2id", "salt": _b64(salt), **asdict(ARGON2)},
                "cipher": {"name": "aes-256-gcm", "nonce": _b64(nonce)},
                "ciphertext": _b64(ciphertext)}
    elif allow_plaintext:
        warnings.warn(f"the {kind.noun} is stored UNENCRYPTED; set {kind.passphrase_env} for "
                      "real use", PlaintextKeyWarning, stacklevel=2)
        doc |= {"plaintext": seed.decode()}
    else:
        raise KeyFileError(f"set {kind.passphrase_env} to encrypt the {kind.noun} (or allow a "
                           "plaintext key explicitly, for a demo only)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def read_vkey(path: Path) -> str:
    """The verifier key recorded in a key file (public; needs no passphrase)."""
    vkey = _load_doc(path).get("vkey")
    if not isinstance(vkey, str):
        raise KeyFileError(f"{path} records no verifier key: the key file is damaged")
    return vkey


def read_key(path: Path, passphrase: str | None, allow_plaintext: bool = False,
             kind: KeyKind = PLANT_KEY) -> Signer:
    doc = _load_doc(path, kind)
    if "plaintext" in doc:
        if not allow_plaintext:
            raise KeyFileError(f"the {kind.noun} in {path} is not encrypted and plaintext keys "
                               f"are not allowed here; create it again with {kind.passphrase_env} "
                               "set")
        warnings.warn(f"the {kind.noun} is stored UNENCRYPTED (demo)",
                      PlaintextKeyWarning, stacklevel=2)
        signer = Signer.parse(doc["plaintext"])
    else:
        if not passphrase:
            raise KeyFileError(f"the {kind.noun} in {path} is encrypted: set "
                               f"{kind.passphrase_env}")
        kdf, cipher = doc["kdf"], doc["cipher"]
        params = Argon2Params.from_doc(kdf)
        key = _kdf(base64.b64decode(kdf["salt"]), params).derive(passphrase.encode())
        try:
            seed = AESGCM(key).decrypt(base64.b64decode(cipher["nonce"]),
                                       base64.b64decode(doc["ciphertext"]),
                                       _aad(doc["name"], doc["vkey"]))
        except InvalidTag:
            raise KeyFileError(f"{kind.passphrase_env} does not open the {kind.noun} in {path}") \
                from None
        signer = Signer.parse(seed.decode())
    if signer.verifier.vkey != doc["vkey"]:
        raise KeyFileError(f"the key in {path} does not match its recorded verifier key")
    return signer


def new_plant_signer(name: str) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def _aad(name: str, vkey: str) -> bytes:
    return f"{FORMAT}\n{name}\n{vkey}\n".encode()


def _load_doc(path: Path, kind: KeyKind = PLANT_KEY) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileError(f"no {kind.noun} at {path}; {kind.create_hint}") from None
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"cannot read the {kind.noun} file {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyFileError(f"{path} is not a {FORMAT} key file")
    return doc
