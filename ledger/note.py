"""C2SP signed-note with Ed25519 keys: sign, open, and the key string formats.

    <text ending in a newline>
    <blank line>
    — <key name> <base64(4-byte key id || signature)>

Verifier key: ``<name>+<hex key id>+base64(0x01 || public key)``; signing key:
``PRIVATE+KEY+<name>+<hex key id>+base64(0x01 || seed)``; key id =
SHA-256(name || 0x0A || 0x01 || public key)[:4]. Needs only `cryptography`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.encoding import decode_base64

ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, then a space
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note or key is malformed, or no trusted key signed the note."""


def key_id(name: str, algorithm_and_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + algorithm_and_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, with no spaces and no '+'")


def _b64decode(text: str, what: str) -> bytes:
    raw = decode_base64(text)
    if raw is None:
        raise NoteError(f"{what} is not valid base64")
    return raw


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks note signatures."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError(f"verifier key {vkey!r} is not <name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts
        _check_name(name)
        raw = _b64decode(b64, "the verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("only Ed25519 verifier keys (0x01 and 32 bytes) are supported")
        if len(hex_id) != 8 or key_id(name, raw).hex() != hex_id.lower():
            raise NoteError(f"the key id {hex_id} does not match the key")
        return cls(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))

    @property
    def vkey(self) -> str:
        raw = bytes([ED25519]) + self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key that signs notes."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signing key is PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
        raw = _b64decode(parts[4], "the signing key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("only Ed25519 signing keys (0x01 and a 32-byte seed) are supported")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier.key_id.hex() != parts[3].lower():
            raise NoteError(f"the key id {parts[3]} does not match the key")
        return signer

    @property
    def verifier(self) -> Verifier:
        raw = bytes([ED25519]) + self.private_key.public_key().public_bytes_raw()
        return Verifier(self.name, key_id(self.name, raw), self.private_key.public_key())

    def signature_line(self, text: str) -> str:
        sig = self.verifier.key_id + self.private_key.sign(text.encode())
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(sig).decode()}\n"


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    signature: bytes
    line: str


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note text must not hold control characters other than newline")


def sign(text: str, signers: Sequence[Signer]) -> str:
    """The signed note: text, blank line, one signature line per signer."""
    check_text(text)
    if not signers:
        raise NoteError("a note needs at least one signer")
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


def split(note: str) -> tuple[str, list[SignatureLine]]:
    """The text and the signature lines of a note, checking only its form."""
    text, sep, sigblock = note.rpartition("\n\n")
    if not sep:
        raise NoteError("the note has no blank line between its text and its signatures")
    text += "\n"
    check_text(text)
    if not sigblock.endswith("\n"):
        raise NoteError("the note must end with a newline")
    lines = sigblock[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    parsed = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"signature line {line!r} does not start with '— '")
        name, space, b64 = line[len(SIGNATURE_PREFIX):].partition(" ")
        _check_name(name)
        raw = _b64decode(b64, f"the signature by {name}") if space else b""
        if len(raw) < 5:
            raise NoteError(f"the signature by {name} is too short")
        parsed.append(SignatureLine(name, raw[:4], raw[4:], line + "\n"))
    return text, parsed


def open_note(note: str, verifiers: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """The text and the trusted keys whose valid signature the note carries.

    Signatures by unknown keys are ignored; a note no trusted key signed is refused.
    """
    text, lines = split(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    signed_by: list[Verifier] = []
    for line in lines:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verifies(text.encode(), line.signature):
            raise NoteError(f"the signature by {line.name} does not verify")
        if verifier not in signed_by:
            signed_by.append(verifier)
    if not signed_by:
        raise NoteError("no trusted key signed this note")
    return text, signed_by


def new_signer(name: str) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def signing_key_string(signer: Signer) -> str:
    """The PRIVATE+KEY string; a secret, never to be logged or printed unasked."""
    from cryptography.hazmat.primitives import serialization

    seed = signer.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    b64 = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{signer.name}+{signer.verifier.key_id.hex()}+{b64}"
