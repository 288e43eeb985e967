"""C2SP tlog-cosignature v1 (Ed25519, signature type 0x04): a witness's timestamped signature
on a checkpoint it has checked for consistency.

    — <witness name> base64(key id || timestamp (8 bytes, big-endian) || Ed25519 signature)

The key id is SHA-256(name || 0x0A || 0x04 || public key)[:4]; the signed message is

    cosignature/v1
    time <timestamp, POSIX seconds>
    <the checkpoint's note text, verbatim, with its final newline>

Verifier keys are vkeys with type 0x04: ``<name>+<hex key id>+base64(0x04 || public key)``.
Needs only `cryptography` and the standard library: certificate verifiers import it offline.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.encoding import decode_base64
from ledger.note import SIGNATURE_PREFIX, NoteError, check_text, split

COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


class CosignatureError(ValueError):
    """A cosignature or cosigner key is malformed, or a cosignature does not verify."""


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_key).digest()[:4]


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What the witness signs: the header, the time line and the checkpoint's note text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"timestamp {timestamp} is outside 0..2^63-1")
    try:
        check_text(checkpoint_text)
    except NoteError as exc:
        raise CosignatureError(str(exc)) from None
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise CosignatureError(f"witness name {name!r} must be non-empty, with no spaces and "
                               "no '+'")


@dataclass(frozen=True)
class CosignatureVerifier:
    """A witness's name and Ed25519 public key: finds and checks its cosignature in a note."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> CosignatureVerifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise CosignatureError(f"witness key {vkey!r} is not <name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts
        _check_name(name)
        raw = decode_base64(b64)
        if raw is None:
            raise CosignatureError(f"witness key {vkey!r}: the key is not valid base64")
        if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
            raise CosignatureError(f"witness key {vkey!r} is not a cosignature/v1 key (type 0x04 "
                                   "and a 32-byte Ed25519 public key)")
        if len(hex_id) != 8 or cosigner_key_id(name, raw[1:]).hex() != hex_id.lower():
            raise CosignatureError(f"witness key {vkey!r}: the key id {hex_id} does not match "
                                   "the key")
        return cls(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))

    @property
    def vkey(self) -> str:
        raw = bytes([COSIGNATURE_V1]) + self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def verify_signature(self, checkpoint_text: str, signature: bytes) -> int:
        """The timestamp of a valid cosignature (the bytes after the key id); raises otherwise."""
        if len(signature) != 8 + 64:
            raise CosignatureError(f"the cosignature by {self.name} is {len(signature)} bytes, "
                                   "not 8 (timestamp) + 64 (Ed25519)")
        timestamp = int.from_bytes(signature[:8], "big")  # uint64, big-endian
        try:
            self.public_key.verify(signature[8:], signed_message(checkpoint_text, timestamp))
        except InvalidSignature:
            raise CosignatureError(f"the cosignature by {self.name} does not verify: the "
                                   "checkpoint or the signature was altered") from None
        return timestamp

    def verify(self, note: str) -> int | None:
        """The timestamp of this witness's cosignature in `note`, or None if it carries none.

        A line with this witness's name and key id that does not verify is an error, not an
        absence: someone altered the checkpoint or the cosignature.
        """
        try:
            text, lines = split(note)
        except NoteError as exc:
            raise CosignatureError(str(exc)) from None
        found = None
        for line in lines:
            if line.name == self.name and line.key_id == self.key_id:
                found = self.verify_signature(text, line.signature)
        return found


@dataclass(frozen=True)
class Cosigner:
    """A witness's name and Ed25519 private key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier(self) -> CosignatureVerifier:
        public = self.private_key.public_key()
        return CosignatureVerifier(self.name, cosigner_key_id(self.name, public.public_bytes_raw()),
                                   public)

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The signature line (ending in a newline) that cosigns `checkpoint_text`."""
        signature = self.private_key.sign(signed_message(checkpoint_text, timestamp))
        raw = self.verifier.key_id + struct.pack(">Q", timestamp) + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode()}\n"


def cosign(private_key: Ed25519PrivateKey, name: str, checkpoint_text: str, timestamp: int) -> str:
    """The cosignature line by witness `name` on `checkpoint_text` at `timestamp`."""
    return Cosigner(name, private_key).cosign(checkpoint_text, timestamp)


def add_cosignatures(note: str, lines: list[str]) -> str:
    """`note` with the given signature lines appended (each once, in the order given)."""
    have = set(note.rpartition("\n\n")[2].splitlines(keepends=True))
    return note + "".join(line for line in dict.fromkeys(lines) if line not in have)
