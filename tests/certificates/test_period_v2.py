"""Period reports in certificate format v2: one entry bundle, one multi-leaf proof, lines as
RFC 8785 texts; the bundle inside the certificate or beside it; tampering named."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates import build, bundle, verify_command
from ledger.certificates.build import build_period
from ledger.certificates.document import FORMAT_V2, period_lines, serialise
from ledger.certificates.issue import issue
from ledger.certificates.verify import (
    CHAIN_CHECK,
    INCLUSION_CHECK,
    STATEMENTS_CHECK,
    Report,
    verify,
)
from ledger.tiles import open_source
from ledger.tiles_export import export

from .conftest import UNIT_A, UNIT_B, Plant

DAY = "2026-11-21"


def failed(report: Report) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.ok is False}


def report_of(p: Plant, **options: Any) -> dict[str, Any]:
    return issue(p.ledger, build_period(p.ledger, DAY, DAY, signer=p.signer, **options),
                 p.signer)


def entries_of(document: dict[str, Any]) -> list[bytes]:
    raw = base64.b64decode(document["entries"]["bundle"])
    return list(bundle.Reader(io.BytesIO(raw)))


def with_entries(document: dict[str, Any], bodies: list[bytes]) -> dict[str, Any]:
    out = io.BytesIO()
    writer = bundle.Writer(out)
    for position, body in enumerate(bodies):
        writer.add(position, body)
    writer.close()
    changed = json.loads(serialise(document))
    changed["entries"]["bundle"] = base64.b64encode(out.getvalue()).decode()
    return changed


def indexes(document: dict[str, Any]) -> list[int]:
    return [i for start, end in document["entries"]["runs"] for i in range(start, end)]


def test_a_period_report_is_v2_and_verifies(plant_ledger: Plant) -> None:
    document = report_of(plant_ledger)
    assert document["format"] == FORMAT_V2
    statements = document["statements"]
    assert all(isinstance(text, str) for text in statements["lines"])
    assert [line["label"] for line in period_lines(statements)] == [UNIT_A, UNIT_B]
    assert len(entries_of(document)) == document["entries"]["count"] == len(indexes(document))
    assert len(document["entries"]["runs"]) > 1  # lot entries lie between the units' entries
    report = verify(document, vkeys=[plant_ledger.vkey])
    assert report.ok, failed(report)
    details = {c.name: c.detail for c in report.checks}
    assert "proven together by one multi-leaf proof" in details[INCLUSION_CHECK]
    assert "the entries of 2 units link back" in details[CHAIN_CHECK]


def test_v2_on_postgresql(pg_plant: Plant) -> None:
    report = verify(report_of(pg_plant), vkeys=[pg_plant.vkey])
    assert report.ok, failed(report)


def test_a_large_bundle_travels_beside_the_certificate(plant_ledger: Plant, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "EMBED_BUNDLE_MAX", 0)
    with pytest.raises(build.BuildError, match="give a file to write the entry bundle to"):
        build_period(plant_ledger.ledger, DAY, DAY, signer=plant_ledger.signer)
    path = tmp_path / "report.entries.gz"
    document = report_of(plant_ledger, bundle_to=path)
    assert document["entries"]["bundle"] is None and path.stat().st_size > 0
    alone = verify(document, vkeys=[plant_ledger.vkey])
    assert "give it (--entries FILE)" in failed(alone)[INCLUSION_CHECK]
    report = verify(document, vkeys=[plant_ledger.vkey], entries=lambda: path.open("rb"))
    assert report.ok, failed(report)


def test_an_altered_entry_is_named(plant_ledger: Plant) -> None:
    document = report_of(plant_ledger)
    bodies = entries_of(document)
    position = next(i for i, body in enumerate(bodies)
                    if b'"type":"material.output"' in body and UNIT_A.encode() in body)
    index = indexes(document)[position]
    assert indexes(document)[position + 1] == index + 1
    bodies[position] = bodies[position].replace(b'"mass_g":', b'"mass_g":1', 1)
    problems = failed(verify(with_entries(document, bodies), vkeys=[plant_ledger.vkey]))
    assert f"entry {index} was altered" in problems[INCLUSION_CHECK]
    assert "do not lead to the checkpoint's root" in problems[INCLUSION_CHECK]


def test_a_dropped_entry_or_a_forged_line_fails(plant_ledger: Plant) -> None:
    document = report_of(plant_ledger)
    bodies = entries_of(document)
    problems = failed(verify(with_entries(document, bodies[:-1]), vkeys=[plant_ledger.vkey]))
    assert "entries" in problems[INCLUSION_CHECK]
    forged = json.loads(serialise(document))
    forged["statements"]["lines"][1] = forged["statements"]["lines"][1].replace(
        '"creditable"', '"flagged"')
    problems = failed(verify(forged, vkeys=[plant_ledger.vkey]))
    assert problems[STATEMENTS_CHECK].startswith("statements.lines[1].status: the certificate "
                                                 'says "flagged", the entries say "creditable"')


def test_a_unit_left_off_the_lines_fails(plant_ledger: Plant) -> None:
    document = report_of(plant_ledger)
    shorter = json.loads(serialise(document))
    shorter["statements"]["lines"] = shorter["statements"]["lines"][:1]
    problems = failed(verify(shorter, vkeys=[plant_ledger.vkey]))
    assert f"unit {UNIT_B} belongs on the report by its entries" in problems[STATEMENTS_CHECK]


def test_the_command_finds_the_bundle_beside_the_certificate(
        plant_ledger: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "EMBED_BUNDLE_MAX", 0)
    document = report_of(plant_ledger, bundle_to=tmp_path / "q3.entries.gz")
    (tmp_path / "q3.json").write_bytes(serialise(document))

    def run(*extra: Path) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = verify_command.run(tmp_path / "q3.json", [plant_ledger.vkey], None, None, None,
                                  False, out, err, *extra)
        return code, out.getvalue(), err.getvalue()

    code, out, _ = run()
    assert code == 0 and out.splitlines()[-1] == "VERIFIED"
    (tmp_path / "q3.entries.gz").rename(tmp_path / "elsewhere.gz")
    code, out, _ = run()
    assert code == 1 and "give it (--entries FILE)" in out
    code, out, _ = run(tmp_path / "elsewhere.gz")
    assert code == 0, out
    code, _, err = run(tmp_path / "missing.gz")
    assert code == 2 and "there is no such file" in err


def test_the_entries_can_come_from_the_plants_tiles(plant_ledger: Plant, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "EMBED_BUNDLE_MAX", 0)
    document = report_of(plant_ledger, bundle_to=tmp_path / "q3.entries.gz")
    folder = tmp_path / "tiles"
    export(plant_ledger.ledger, folder, plant_ledger.ledger.checkpoint(plant_ledger.signer))
    report = verify(document, vkeys=[plant_ledger.vkey], tiles=open_source(folder))
    assert report.ok, failed(report)
    leaf = next(p for p in sorted(folder.rglob("*")) if p.is_file() and "entries" in p.parts)
    leaf.write_bytes(leaf.read_bytes()[:-1] + b"X")
    problems = failed(verify(document, vkeys=[plant_ledger.vkey], tiles=open_source(folder)))
    assert problems[INCLUSION_CHECK].startswith("the tiles do not match the checkpoint: entry ")
    assert str(leaf.relative_to(folder)) in problems[INCLUSION_CHECK]
