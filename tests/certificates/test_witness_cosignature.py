"""C2SP tlog-cosignature v1: published vectors, the signed message rebuilt from the spec, and
round trips with tampering."""

from __future__ import annotations

import base64
import hashlib
import re
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.note import new_signer, sign
from ledger.witness.cosignature import (
    CosignatureError,
    CosignatureVerifier,
    Cosigner,
    add_cosignatures,
    cosign,
)

CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SEED = bytes(range(32))


def test_published_native_cosignature_vkey_parses():
    # transparency-dev/formats note/note_cosigv1_test.go: a native type-0x04 verifier key.
    vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    verifier = CosignatureVerifier.parse(vkey)
    raw = base64.b64decode(vkey.split("+")[2])
    assert raw[0] == 0x04
    assert hashlib.sha256(b"remora.n621.de\n" + raw).digest()[:4] == verifier.key_id
    assert verifier.vkey == vkey


@pytest.mark.parametrize(("b64", "key_id", "timestamp"), [
    # transparency-dev/formats TestCosignatureTimestamp: 1727964367.
    ("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEB"
     "YJXORmnFBOBA==", "646846b9", 1727964367),
    # The C2SP tlog-cosignature example line; the spec's message example says "time 1679315147".
    ("jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mb"
     "IUBkBIfZ+qnA==", "8d66cf3f", 1679315147),
])
def test_published_cosignatures_have_the_layout_we_write(b64, key_id, timestamp):
    raw = base64.b64decode(b64)
    assert len(raw) == 4 + 8 + 64
    assert raw[:4].hex() == key_id
    assert struct.unpack(">Q", raw[4:12])[0] == timestamp
    ours = base64.b64decode(cosign(Ed25519PrivateKey.generate(), "w", CHECKPOINT, timestamp)
                            .split(" ")[2])
    assert len(ours) == len(raw) and ours[4:12] == raw[4:12]


def test_signature_is_over_the_spec_message():
    """The message rebuilt by hand from the spec, signed with the same seed, gives the same line
    (Ed25519 is deterministic)."""
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    name = "witness.example/w1"
    line = cosign(key, name, CHECKPOINT, 1679315147)
    message = b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT.encode()
    public = key.public_key().public_bytes_raw()
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    expected = key_id + (1679315147).to_bytes(8, "big") + key.sign(message)
    assert line == f"— {name} {base64.b64encode(expected).decode()}\n"


def test_round_trip_and_vkey():
    cosigner = Cosigner("witness.example/w1", Ed25519PrivateKey.generate())
    plant = new_signer("example.com/behind-the-sofa")
    note = sign(CHECKPOINT, [plant]) + cosigner.cosign(CHECKPOINT, 1_700_000_000)
    verifier = CosignatureVerifier.parse(cosigner.verifier.vkey)
    assert verifier.verify(note) == 1_700_000_000
    other = Cosigner("witness.example/w2", Ed25519PrivateKey.generate()).verifier
    assert other.verify(note) is None


def test_tampering_is_refused_in_words():
    cosigner = Cosigner("w1", Ed25519PrivateKey.generate())
    note = sign(CHECKPOINT, [new_signer("example.com/behind-the-sofa")])
    line = cosigner.cosign(CHECKPOINT, 1_700_000_000)
    forked = note.replace("20852163", "20852164")
    with pytest.raises(CosignatureError, match="does not verify"):
        cosigner.verifier.verify(forked + line)
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # the timestamp
    bad = f"— w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(CosignatureError, match="does not verify"):
        cosigner.verifier.verify(note + bad)


def test_extension_lines_are_covered():
    text = CHECKPOINT + "extension\n"
    cosigner = Cosigner("w1", Ed25519PrivateKey.generate())
    line = cosigner.cosign(text, 5)
    plant = new_signer("example.com/behind-the-sofa")
    assert cosigner.verifier.verify(sign(text, [plant]) + line) == 5
    altered = CHECKPOINT + "extensioN\n"
    with pytest.raises(CosignatureError):
        cosigner.verifier.verify(sign(altered, [plant]) + line)


@pytest.mark.parametrize(("vkey", "words"), [
    ("w1+12345678", "is not <name>+<hex key id>+<base64 key>"),
    ("w1+12345678+THIS_IS_NOT_BASE64!", "not valid base64"),
    # A plant (type 0x01) key is not a witness key.
    (new_signer("w1").verifier.vkey, "not a cosignature/v1 key"),
    ("w1+00000000+" + base64.b64encode(b"\x04" + bytes(32)).decode(), "does not match"),
], ids=["parts", "base64", "plant-key", "key-id"])
def test_bad_witness_keys_are_named(vkey, words):
    with pytest.raises(CosignatureError, match=re.escape(words)) as info:
        CosignatureVerifier.parse(vkey)
    assert vkey in str(info.value)


def test_timestamp_range_and_add_cosignatures():
    cosigner = Cosigner("w1", Ed25519PrivateKey.generate())
    with pytest.raises(CosignatureError, match="2\\^63"):
        cosigner.cosign(CHECKPOINT, 2**63)
    note = sign(CHECKPOINT, [new_signer("example.com/behind-the-sofa")])
    line = cosigner.cosign(CHECKPOINT, 7)
    once = add_cosignatures(note, [line, line])
    assert once == note + line
    assert add_cosignatures(once, [line]) == once
