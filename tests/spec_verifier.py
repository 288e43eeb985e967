"""An independent verifier for the ledger's public formats, written only from the public specs.

It imports nothing from the project (no `ledger`, `web`, `station`, `devices`, `dledger`): only
the standard library and `cryptography`. Tests use it as the inspector's view of our output.

Specs implemented (each function says which part):

- RFC 6962 §2.1 / RFC 9162 §2.1: Merkle tree hash, inclusion proofs (§2.1.3.2) and consistency
  proofs (§2.1.4.2), with the policy of tests/vectors/README.md: `size1 == 0` is an error,
  equal sizes need an empty proof and equal roots, every hash is 32 bytes.
- c2sp.org/signed-note with Ed25519 (signature type 0x01), and the `name+hexid+base64` key
  encodings of Go's golang.org/x/mod/sumdb/note (verifier and `PRIVATE+KEY+...` signer keys).
- c2sp.org/tlog-checkpoint (the note text of a checkpoint).
- c2sp.org/tlog-proof@v1 (an inclusion proof bundled with its checkpoint).
- Consistency proof text (docs/design.md §3.2): the RFC 9162 §2.1.4 proof, base64 hashes one
  per line.

Every failure raises `VerificationError`; nothing returns a boolean that could be ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "Checkpoint",
    "TlogProof",
    "VerificationError",
    "VerifierKey",
    "leaf_hash",
    "node_hash",
    "parse_checkpoint",
    "parse_consistency_proof",
    "parse_tlog_proof",
    "parse_vkey",
    "root_from_leaves",
    "sign_note",
    "verify_checkpoint_consistency",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
    "verify_tlog_proof",
]

HASH_SIZE = 32
ED25519_TYPE = 0x01
MAX_SIGNATURES = 100  # signed-note: "MUST accept at least up to 16 signatures"
MAX_UINT64 = 2**64 - 1
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
SIG_PREFIX = "\u2014 "  # em dash, space
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX_KEYID = re.compile(r"[0-9a-fA-F]{8}")


class VerificationError(Exception):
    """Anything that does not verify: bad proof, bad signature, malformed text or key."""


# --------------------------------------------------------------------------------------------
# RFC 6962 §2.1 Merkle tree
# --------------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: SHA-256(0x01 || MTH(left) || MTH(right))."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_leaves(leaf_hashes: list[bytes]) -> bytes:
    """The Merkle tree hash of a list of leaf hashes, by naive full recursion (RFC 6962 §2.1).

    The empty tree hashes to SHA-256(""); otherwise split at k, the largest power of two
    smaller than n. Meant for cross-checking, not for large trees.
    """
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(root_from_leaves(leaf_hashes[:k]), root_from_leaves(leaf_hashes[k:]))


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes")


def _check_size(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_UINT64:
        raise VerificationError(f"{what} must be an integer in 0..2**64-1, got {value!r}")


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes
) -> None:
    """Verify an inclusion proof with the algorithm of RFC 9162 §2.1.3.2.

    `proof` is the audit path, the leaf's sibling first. Raises VerificationError on any failure:
    index outside 0..size-1, a hash that is not 32 bytes, a proof of the wrong length, or a
    root mismatch.
    """
    _check_size(index, "index")
    _check_size(size, "size")
    if index >= size:
        raise VerificationError(f"index {index} is not below tree size {size}")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")

    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise VerificationError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is too short")
    if r != root:
        raise VerificationError("inclusion proof does not lead to the root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    """Verify a consistency proof with the algorithm of RFC 9162 §2.1.4.2.

    Policy (tests/vectors/README.md): size1 == 0 is an error (nothing to prove), size1 > size2
    is an error, equal sizes need an empty proof and equal roots, every hash is 32 bytes.
    Raises VerificationError on any failure.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    for i, c in enumerate(proof):
        _check_hash(c, f"proof[{i}]")
    if size1 == 0:
        raise VerificationError("a consistency proof from the empty tree is meaningless")
    if size1 > size2:
        raise VerificationError(f"size1 {size1} is greater than size2 {size2}")
    if size1 == size2:
        if proof:
            raise VerificationError("equal sizes need an empty proof")
        if root1 != root2:
            raise VerificationError("equal sizes but different roots")
        return

    # RFC 9162 §2.1.4.2, steps 1-7.
    if not proof:
        raise VerificationError("empty consistency proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # first is an exact power of 2
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is too short")
    if fr != root1:
        raise VerificationError("consistency proof does not lead to root1")
    if sr != root2:
        raise VerificationError("consistency proof does not lead to root2")


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def _b64decode_strict(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4) with padding, canonical only (re-encodes to `text`)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as e:
        raise VerificationError(f"{what} is not valid base64") from e
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw


def _parse_decimal(text: str, what: str) -> int:
    """ASCII decimal with no leading zeroes (unless it is `0`), at most 2**64-1."""
    if not _DECIMAL.fullmatch(text):
        raise VerificationError(f"{what} {text!r} is not a decimal without leading zeroes")
    value = int(text)
    if value > MAX_UINT64:
        raise VerificationError(f"{what} {text!r} does not fit in 64 bits")
    return value


def _parse_hash_lines(lines: list[str], what: str) -> list[bytes]:
    hashes = []
    for i, line in enumerate(lines):
        h = _b64decode_strict(line, f"{what} line {i}")
        if len(h) != HASH_SIZE:
            raise VerificationError(f"{what} line {i} is {len(h)} bytes, not {HASH_SIZE}")
        hashes.append(h)
    return hashes


# --------------------------------------------------------------------------------------------
# c2sp.org/signed-note, Ed25519
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifierKey:
    """An Ed25519 note verifier key: name, 4-byte key ID, 32-byte raw public key."""

    name: str
    keyid: bytes
    public_key: bytes


def _is_valid_key_name(name: str) -> bool:
    """signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or
    plus (U+002B) characters." (Control characters are excluded too, as for the whole note.)"""
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


def _key_id(name: str, public_key: bytes) -> bytes:
    """key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]."""
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _parse_key_fields(name: str, hex_id: str, b64: str, what: str) -> tuple[bytes, bytes]:
    """Check name and hex ID; return (keyid, 32-byte key material after the type byte)."""
    if not _is_valid_key_name(name):
        raise VerificationError(f"{what}: invalid key name {name!r}")
    if not _HEX_KEYID.fullmatch(hex_id):
        raise VerificationError(f"{what}: key ID {hex_id!r} is not 8 hex digits")
    raw = _b64decode_strict(b64, f"{what} key")
    if len(raw) != 1 + 32 or raw[0] != ED25519_TYPE:
        raise VerificationError(f"{what}: not an Ed25519 (type 0x01, 32-byte) key")
    return bytes.fromhex(hex_id), raw[1:]


def parse_vkey(vkey: str) -> VerifierKey:
    """Parse `<name>+<hex keyid>+<base64(0x01 || 32-byte public key)>`.

    The key ID must equal SHA-256(name || 0x0A || 0x01 || pubkey)[:4].
    """
    parts = vkey.split("+", 2)  # base64 may contain "+", names may not
    if len(parts) != 3:
        raise VerificationError("verifier key must be name+hexid+base64")
    name, hex_id, b64 = parts
    keyid, pub = _parse_key_fields(name, hex_id, b64, "verifier key")
    if _key_id(name, pub) != keyid:
        raise VerificationError("verifier key ID does not match its name and public key")
    return VerifierKey(name=name, keyid=keyid, public_key=pub)


def _check_note_characters(note: str) -> None:
    """signed-note: "MUST be valid UTF-8 and MUST NOT contain any ASCII control characters
    (those below U+0020) other than newline"."""
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as e:
        raise VerificationError("note is not valid UTF-8") from e
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise VerificationError("note contains a control character")


def _open_note(note: str, vkeys: list[str]) -> tuple[str, frozenset[str]]:
    """Verify a signed note; return its text and the names of trusted keys that signed it."""
    if not isinstance(note, str):
        raise VerificationError("note must be a str")
    _check_note_characters(note)
    keys = [parse_vkey(v) for v in vkeys]
    by_id = {(k.name, k.keyid): k for k in keys}

    split = note.rfind("\n\n")  # "separated from the signatures by the last empty line"
    if split < 0:
        raise VerificationError("note has no blank line before its signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block or not sig_block.endswith("\n"):
        raise VerificationError("note has no signature lines, or they do not end in newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"note has more than {MAX_SIGNATURES} signatures")

    verified: set[str] = set()
    seen: set[tuple[str, bytes]] = set()
    for line in lines:
        if not line.startswith(SIG_PREFIX):
            raise VerificationError(f"malformed signature line {line!r}")
        name, sep, b64 = line[len(SIG_PREFIX) :].partition(" ")
        if not sep or not _is_valid_key_name(name):
            raise VerificationError(f"malformed signature line {line!r}")
        sig = _b64decode_strict(b64, "signature")
        if len(sig) < 5:
            raise VerificationError("signature is shorter than a key ID and one byte")
        key = by_id.get((name, sig[:4]))
        if key is None:
            continue  # "Verifiers MUST ignore signatures from unknown keys"
        if (name, key.keyid) in seen:
            raise VerificationError(f"two signatures by the same key {name}")
        seen.add((name, key.keyid))
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(sig[4:], text.encode("utf-8"))
        except (InvalidSignature, ValueError) as e:
            # "If a signature from a known key fails to verify, clients SHOULD reject the
            # whole note."
            raise VerificationError(f"invalid signature by known key {name}") from e
        verified.add(name)
    if not verified:
        raise VerificationError("no signature by a trusted key")
    return text, frozenset(verified)


def verify_note(note: str, vkeys: list[str]) -> str:
    """Verify a C2SP signed note against trusted verifier keys; return its text.

    The text (everything up to and including the newline before the last blank line) is
    returned only if at least one signature is by a trusted key, and every signature by a
    trusted key verifies. Signatures by other keys are ignored. Malformed notes are rejected.
    """
    text, _ = _open_note(note, vkeys)
    return text


def sign_note(text: str, skey: str) -> str:
    """Sign `text` with `PRIVATE+KEY+<name>+<hex keyid>+<base64(0x01 || 32-byte seed)>`.

    Returns `text + "\\n" + "— <name> <base64(keyid || Ed25519 signature)>\\n"`. Ed25519 is
    deterministic, so this reproduces a note signed by the same key byte for byte.
    """
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise VerificationError("signer key must be PRIVATE+KEY+name+hexid+base64")
    name, hex_id, b64 = parts[2:]
    keyid, seed = _parse_key_fields(name, hex_id, b64, "signer key")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    pub = private.public_key().public_bytes_raw()
    if _key_id(name, pub) != keyid:
        raise VerificationError("signer key ID does not match its name and public key")
    if not text.endswith("\n"):
        raise VerificationError("note text must end in newline")
    _check_note_characters(text)
    sig = private.sign(text.encode("utf-8"))
    line = f"{SIG_PREFIX}{name} {base64.b64encode(keyid + sig).decode('ascii')}\n"
    return f"{text}\n{line}"


# --------------------------------------------------------------------------------------------
# c2sp.org/tlog-checkpoint
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint's note text: origin, tree size, 32-byte root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint note text `<origin>\\n<size>\\n<base64 root>\\n[<extension>\\n]...`.

    Strict: at least three lines, all non-empty and newline-terminated; the size is ASCII
    decimal without leading zeroes (unless `0`); the root is canonical base64 of 32 bytes.
    """
    if not text.endswith("\n"):
        raise VerificationError("checkpoint text must end in newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError("checkpoint needs origin, size and root lines")
    if any(not line for line in lines):
        raise VerificationError("checkpoint lines must be non-empty")
    origin, size_text, root_text, *extensions = lines
    size = _parse_decimal(size_text, "checkpoint size")
    root = _b64decode_strict(root_text, "checkpoint root")
    if len(root) != HASH_SIZE:
        raise VerificationError(f"checkpoint root is {len(root)} bytes, not {HASH_SIZE}")
    return Checkpoint(origin=origin, size=size, root=root, extensions=tuple(extensions))


# --------------------------------------------------------------------------------------------
# c2sp.org/tlog-proof@v1
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: leaf index, inclusion path, checkpoint note, optional extra data."""

    index: int
    proof: list[bytes]
    checkpoint_note: str
    extra: bytes | None = None


def parse_tlog_proof(proof_text: str) -> TlogProof:
    """Parse c2sp.org/tlog-proof@v1 text (no signature or proof checking).

    Layout: `c2sp.org/tlog-proof@v1`; optionally `extra <base64>` (second line only);
    `index <decimal>`; zero or more base64 32-byte hashes (the leaf's sibling first); an empty
    line; the checkpoint signed note verbatim (the rest of the text).
    """
    lines = proof_text.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise VerificationError("tlog-proof must start with c2sp.org/tlog-proof@v1")
    pos = 1
    extra = None
    if len(lines) > pos and lines[pos].startswith("extra "):
        extra = _b64decode_strict(lines[pos][len("extra ") :], "tlog-proof extra data")
        pos += 1
    if len(lines) <= pos or not lines[pos].startswith("index "):
        raise VerificationError("tlog-proof is missing its index line")
    index = _parse_decimal(lines[pos][len("index ") :], "tlog-proof index")
    pos += 1
    try:
        blank = lines.index("", pos)
    except ValueError as e:
        raise VerificationError("tlog-proof has no empty line before the checkpoint") from e
    proof = _parse_hash_lines(lines[pos:blank], "tlog-proof hash")
    checkpoint_note = "\n".join(lines[blank + 1 :])
    if not checkpoint_note:
        raise VerificationError("tlog-proof has no checkpoint")
    return TlogProof(index=index, proof=proof, checkpoint_note=checkpoint_note, extra=extra)


def verify_tlog_proof(
    proof_text: str,
    entry_bytes: bytes,
    vkeys: list[str],
    *,
    require_origin_is_key_name: bool = False,
) -> Checkpoint:
    """Verify a tlog-proof for an entry; return its verified checkpoint.

    Checks, in order: the format; the checkpoint note's signature by a trusted key; the
    checkpoint text; if `require_origin_is_key_name`, that the origin equals the name of a
    trusted key whose signature verified; the inclusion of SHA-256(0x00 || entry_bytes) at the
    proof's index in the checkpoint's tree. The `extra` data is not authenticated and is not
    used. Raises VerificationError on any failure.
    """
    parsed = parse_tlog_proof(proof_text)
    text, signers = _open_note(parsed.checkpoint_note, vkeys)
    checkpoint = parse_checkpoint(text)
    if require_origin_is_key_name and checkpoint.origin not in signers:
        raise VerificationError(
            f"checkpoint origin {checkpoint.origin!r} is not the name of a verified signer"
        )
    verify_inclusion(
        parsed.index, checkpoint.size, leaf_hash(entry_bytes), parsed.proof, checkpoint.root
    )
    return checkpoint


# --------------------------------------------------------------------------------------------
# Consistency proof text
# --------------------------------------------------------------------------------------------


def parse_consistency_proof(text: str) -> list[bytes]:
    """Parse a consistency proof: canonical base64 32-byte hashes, each line ending in newline.

    The empty proof is the empty string.
    """
    if text == "":
        return []
    if not text.endswith("\n"):
        raise VerificationError("consistency proof must end in newline")
    return _parse_hash_lines(text[:-1].split("\n"), "consistency proof")


def verify_checkpoint_consistency(old: Checkpoint, new: Checkpoint, proof_text: str) -> None:
    """Verify that `new` extends `old`: same origin, and the consistency proof text holds.

    The checkpoints should already be signature-verified (see `verify_note`).
    """
    if old.origin != new.origin:
        raise VerificationError(f"different origins {old.origin!r} and {new.origin!r}")
    proof = parse_consistency_proof(proof_text)
    verify_consistency(old.size, new.size, old.root, new.root, proof)
