"""The verifier as an inspector uses it: importable with no database or web library installed,
and trusting a witness quorum from a policy file."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from factories import calibration

from ledger.certificates import document as doc_format
from ledger.certificates.build import build_unit
from ledger.certificates.issue import issue
from ledger.certificates.verify import SIGNATURE_CHECK, verify
from ledger.log import SignedCheckpoint
from ledger.note import split
from ledger.witness.cosignature import Cosigner, add_cosignatures
from ledger.witness.plant import latest_cosigned, store_cosignature
from ledger.witness.policy import Policy

from .conftest import UNIT_A, Plant

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("pydantic", "sqlalchemy", "sqlmodel", "flask", "psycopg", "weasyprint", "pypdf",
           "alembic", "spectree", "serial")

_OFFLINE = """
import sys
BLOCKED = {blocked!r}

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: the verifier must not need it")
        return None

sys.meta_path.insert(0, Block())
from ledger.certificates.verify import verify
report = verify(open(sys.argv[1], "rb").read(), vkeys=[sys.argv[2]])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(report.ok, loaded)
"""


def test_the_verifier_needs_no_database_or_web_library(plant_ledger: Plant,
                                                       tmp_path: Path) -> None:
    document = issue(plant_ledger.ledger, build_unit(plant_ledger.ledger, UNIT_A,
                                                     signer=plant_ledger.signer),
                     plant_ledger.signer)
    path = tmp_path / "unit.json"
    path.write_bytes(doc_format.serialise(document))
    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE.format(blocked=BLOCKED), str(path), plant_ledger.vkey],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True []"


def test_a_witness_quorum_from_the_policy(plant_ledger: Plant) -> None:
    led, signer = plant_ledger.ledger, plant_ledger.signer
    witness = Cosigner("witness.association.example/w1", Ed25519PrivateKey.generate())
    signed = led.checkpoint(signer)
    text = split(signed.note)[0]
    cosigned = SignedCheckpoint(signed.checkpoint, add_cosignatures(
        signed.note, [witness.cosign(text, int(time.time()))]))
    policy = Policy.parse(f"log {plant_ledger.vkey}\nwitness w1 {witness.verifier.vkey}\n"
                          "quorum w1\n")
    witnessed = issue(led, build_unit(led, UNIT_A, signer=signer, checkpoint=cosigned), signer)
    report = verify(witnessed, policy=policy)
    assert report.ok, [c for c in report.checks if c.ok is False]
    assert "cosigned by w1" in {c.name: c.detail for c in report.checks}[SIGNATURE_CHECK]
    plain = issue(led, build_unit(led, UNIT_A, signer=signer), signer)
    failed = {c.name: c.detail for c in verify(plain, policy=policy).checks if c.ok is False}
    assert "quorum w1 NOT met" in failed[SIGNATURE_CHECK]


def test_a_certificate_carries_the_cosignatures_the_plant_stored(plant_ledger: Plant) -> None:
    led, signer = plant_ledger.ledger, plant_ledger.signer
    witness = Cosigner("witness.association.example/w2", Ed25519PrivateKey.generate())
    signed = led.checkpoint(signer)
    now = int(time.time())
    store_cosignature(led, signed, witness.verifier, now,
                      witness.cosign(split(signed.note)[0], now))
    led.append([calibration("SC-7")])  # the log grows past the witnessed checkpoint
    witnessed = latest_cosigned(led)
    assert witnessed is not None and witnessed.checkpoint.size == signed.checkpoint.size
    document = issue(led, build_unit(led, UNIT_A, signer=signer, checkpoint=witnessed), signer)
    assert document["checkpoint"] == witnessed.note
    policy = Policy.parse(f"log {plant_ledger.vkey}\nwitness w2 {witness.verifier.vkey}\n"
                          "quorum w2\n")
    report = verify(document, policy=policy)
    assert report.ok, [c for c in report.checks if c.ok is False]
