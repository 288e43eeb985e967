"""The evidence store on a real folder: files by hash, written once, and a check that names
a file removed or altered behind the store's back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ledger import catalogue
from ledger.evidence.store import EvidenceError, EvidenceStore
from ledger.instance import InstanceError, evidence_dir

PNG = b"\x89PNG\r\n\x1a\n" + b"a bench, seen from above" * 10
JPEG = b"\xff\xd8\xff\xe0" + b"a cylinder on its scale" * 10


def test_a_photo_is_stored_under_its_hash_once(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    digest = store.put(PNG, "image/png")
    assert digest == hashlib.sha256(PNG).hexdigest()
    path = tmp_path / "evidence" / digest[:2] / digest[2:4] / f"{digest}.png"
    assert path.read_bytes() == PNG
    assert store.put(PNG, "image/png") == digest  # again: the same file, untouched
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
    assert store.read(digest, "image/png") == PNG
    assert store.check([(digest, "image/png")]) == []


def test_a_file_removed_or_altered_behind_its_back_is_named(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    kept, removed, altered = (store.put(PNG, "image/png"), store.put(JPEG, "image/jpeg"),
                              store.put(PNG + b"!", "image/png"))
    store.path(removed, "image/jpeg").unlink()
    changed = store.path(altered, "image/png")
    changed.write_bytes(PNG + b"?")
    problems = store.check([(kept, "image/png"), (removed, "image/jpeg"),
                            (altered, "image/png"), (removed, "image/jpeg")])
    assert [(p.kind, p.path) for p in problems] == [
        ("missing", store.path(removed, "image/jpeg")), ("altered", changed)]
    assert problems[1].actual == hashlib.sha256(PNG + b"?").hexdigest()
    assert str(changed) in problems[1].text() and "altered" in problems[1].text()
    with pytest.raises(EvidenceError, match=f"{store.path(removed, 'image/jpeg')}: missing"):
        store.read(removed, "image/jpeg")
    # storing the photo again does not repair an altered file silently: the check still
    # tells, since the store never overwrites
    store.put(PNG + b"!", "image/png")
    assert [p.kind for p in store.check([(altered, "image/png")])] == ["altered"]


def test_what_the_store_refuses(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    with pytest.raises(EvidenceError, match="not a image/jpeg file"):
        store.put(PNG, "image/jpeg")
    with pytest.raises(EvidenceError, match="media type 'image/gif'"):
        store.put(b"GIF89a", "image/gif")
    with pytest.raises(EvidenceError, match="not a SHA-256"):
        store.path("../../etc/passwd", "image/png")
    assert list(tmp_path.iterdir()) == []


def test_the_instance_may_put_the_store_elsewhere(tmp_path: Path) -> None:
    config = tmp_path / "dledger.toml"
    assert evidence_dir({}, config, tmp_path) is None
    assert evidence_dir({"evidence_dir": "/mnt/nas/ev"}, config, tmp_path) == Path("/mnt/nas/ev")
    assert evidence_dir({"evidence_dir": "ev"}, config, tmp_path) == tmp_path / "ev"
    with pytest.raises(InstanceError, match="evidence_dir = 3"):
        evidence_dir({"evidence_dir": 3}, config, tmp_path)


def test_a_plant_catalogue_turns_the_evidence_rule_on(tmp_path: Path) -> None:
    """[evidence] required in a plant's file; the default requires none (its content, and
    so every record judged by it, is unchanged)."""
    assert catalogue.load().evidence is None
    assert "evidence" not in catalogue.load().content()
    plant = tmp_path / "plant.toml"
    plant.write_text('[evidence]\nrequired = ["output", "intake"]\n', encoding="utf-8")
    found = catalogue.load(plant)
    assert found.evidence == ("intake", "output")
    assert catalogue.from_content(found.content()).evidence == ("intake", "output")
    plant.write_text('[evidence]\nrequired = ["intake", "video"]\n', encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=f"{plant}: evidence.required: 'video'"):
        catalogue.load(plant)
