"""The inspector's policy (C2SP tlog-policy): parsing with errors that name the line and the
value, the plant signature, and witness quorums."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.note import new_signer, sign
from ledger.witness.cosignature import Cosigner
from ledger.witness.policy import Policy, PolicyError

ORIGIN = "ledger.example-plant.cn/CN3301"
TEXT = f"{ORIGIN}\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
PLANT = new_signer(ORIGIN)
W = {n: Cosigner(f"witness.example/{n}", Ed25519PrivateKey.generate()) for n in
     ("A", "B", "C", "X", "Y")}
NOW = int(time.time())


def policy_text(quorum: str = "two", extra: str = "") -> str:
    return (f"# inspector's policy\nlog {PLANT.verifier.vkey} https://plant.example/\n\n"
            + "".join(f"witness {n} {W[n].verifier.vkey}\n" for n in ("A", "B", "C"))
            + f"group two 2 A B C\n{extra}quorum {quorum}\n")


def cosigned(*names: str, text: str = TEXT) -> str:
    return sign(text, [PLANT]) + "".join(W[n].cosign(text, NOW - 60) for n in names)


def test_quorum_two_of_three():
    policy = Policy.parse(policy_text())
    ok, detail = policy.check(cosigned("A", "C"))
    assert ok, detail
    assert "cosigned by A (" in detail and "C (" in detail and "quorum two (2 of A, B, C) met" \
        in detail
    ok, detail = policy.check(cosigned("B"))
    assert not ok
    assert "cosigned by B" in detail and "NOT met" in detail
    ok, detail = policy.check(cosigned())
    assert not ok and "no listed witness" in detail


def test_unlisted_witness_does_not_count():
    policy = Policy.parse(policy_text())
    ok, detail = policy.check(cosigned("A", "X"))
    assert not ok and "NOT met" in detail


def test_nested_groups_and_any_all():
    extra = (f"witness X {W['X'].verifier.vkey}\nwitness Y {W['Y'].verifier.vkey}\n"
             "group xy any X Y\ngroup both all two xy\n")
    policy = Policy.parse(policy_text("both", extra))
    assert policy.check(cosigned("A", "B", "Y"))[0]
    assert not policy.check(cosigned("A", "B"))[0]
    assert not policy.check(cosigned("A", "X", "Y"))[0]


def test_quorum_none_needs_only_the_plant():
    policy = Policy.parse(f"log {PLANT.verifier.vkey}\nquorum none\n")
    ok, detail = policy.check(sign(TEXT, [PLANT]))
    assert ok and "requires no cosignature" in detail


def test_plant_signature_and_origin():
    policy = Policy.parse(policy_text())
    other = new_signer(ORIGIN)
    ok, detail = policy.check(sign(TEXT, [other]) + W["A"].cosign(TEXT, NOW)
                              + W["B"].cosign(TEXT, NOW))
    assert not ok and "not signed by a plant key" in detail
    wrong_origin = TEXT.replace(ORIGIN, "ledger.other-plant.cn/CN1")
    ok, detail = policy.check(sign(wrong_origin, [PLANT]))
    assert not ok and "origin 'ledger.other-plant.cn/CN1'" in detail


def test_cosignature_copied_from_another_checkpoint_fails():
    policy = Policy.parse(policy_text())
    other_text = TEXT.replace("\n42\n", "\n41\n")
    note = sign(TEXT, [PLANT]) + W["A"].cosign(other_text, NOW) + W["B"].cosign(TEXT, NOW)
    ok, detail = policy.check(note)
    assert not ok and "witness A: the cosignature by witness.example/A does not verify" in detail


def test_future_cosignature_is_refused():
    policy = Policy.parse(policy_text())
    note = sign(TEXT, [PLANT]) + W["A"].cosign(TEXT, NOW + 10 * 86_400) + W["B"].cosign(TEXT, NOW)
    ok, detail = policy.check(note)
    assert not ok and "in the future" in detail


BAD_POLICIES = [
    ("log x\nquorum none\n", "line 1: verifier key 'x'"),
    (f"log {PLANT.verifier.vkey}\nwitnes A k\nquorum none\n", "line 2: unknown keyword 'witnes'"),
    (f"log {PLANT.verifier.vkey}\nwitness A {PLANT.verifier.vkey}\nquorum none\n",
     "line 2: witness key"),
    (f"log {PLANT.verifier.vkey}\nquorum A\n", "line 2: quorum 'A' is not a witness or group"),
    (f"log {PLANT.verifier.vkey}\nwitness A {W['A'].verifier.vkey}\ngroup g 2 A\nquorum g\n",
     "line 3: group g: threshold '2' must be all, any, or a number from 1 to 1"),
    (f"log {PLANT.verifier.vkey}\nwitness A {W['A'].verifier.vkey}\ngroup g any A A\nquorum g\n",
     "line 3: group g: member 'A' is listed twice"),
    (f"log {PLANT.verifier.vkey}\ngroup g any B\nquorum g\n", "line 2: group g: member 'B'"),
    (f"log {PLANT.verifier.vkey}\nwitness none {W['A'].verifier.vkey}\nquorum none\n",
     "line 2: the name 'none' is reserved"),
    (f"log {PLANT.verifier.vkey}\nwitness A {W['A'].verifier.vkey}\n"
     f"witness A {W['B'].verifier.vkey}\nquorum none\n", "line 3: the name 'A' is already"),
    (f"log {PLANT.verifier.vkey}\nlog {PLANT.verifier.vkey}\nquorum none\n",
     f"line 2: log {ORIGIN} has the same public key as log {ORIGIN}"),
    (f"log {PLANT.verifier.vkey}\nquorum none\nquorum none\n", "line 3: a policy has exactly one"),
    (f"log {PLANT.verifier.vkey}\n", "no quorum line"),
    ("quorum none\n", "lists no plant key"),
    (f"log {PLANT.verifier.vkey}\r\nquorum none\n", "line 1: control character '\\r'"),
]


@pytest.mark.parametrize(("text", "words"), BAD_POLICIES,
                         ids=[words for _, words in BAD_POLICIES])
def test_errors_name_the_line_and_value(text, words):
    with pytest.raises(PolicyError) as info:
        Policy.parse(text)
    assert words in str(info.value)


def test_comments_whitespace_urls():
    text = (f"  # comment\n\t log\t{PLANT.verifier.vkey}  https://plant.example/ \n"
            f"witness A {W['A'].verifier.vkey} https://witness.example/\n quorum A\n")
    policy = Policy.parse(text)
    assert policy.vkeys == [PLANT.verifier.vkey]
    assert policy.logs[0].url == "https://plant.example/"
    assert policy.witnesses["A"].url == "https://witness.example/"
    assert policy.check(cosigned("A"))[0]


def test_verifier_side_modules_need_only_cryptography():
    """An inspector's verifier imports these offline: no database, web or pydantic code."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pydantic', 'sqlalchemy', 'sqlmodel', 'flask',\n"
        "                                  'werkzeug', 'alembic', 'psycopg'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import ledger.witness.cosignature, ledger.witness.policy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
