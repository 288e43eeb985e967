"""Units pages on the sample day: search (label, trade-in code, serial, label prefix), the
recent list's keyset pages, a unit's figures against the JSONL, its timeline with the ledger's
leaf hashes, the in-page inclusion proof (checked by the independent spec verifier), 404s,
and that every query the pages run is answered from an index."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from typing import Any

import pytest
import spec_verifier
from sqlalchemy import event as sa_event

from web.context import console, engine, ledger

from .conftest import REPO

AC = "CN3301-2026-0004840"  # room air conditioner whose copper mass was corrected (entry 751)
WASHER = "CN3301-2026-0004812"


def sample() -> list[dict[str, Any]]:
    """The sample day's events; on a fresh instance entry N is line N."""
    lines = (REPO / "examples" / "sample-events.jsonl").read_text(encoding="utf-8").splitlines()
    return [(obj.get("event") or obj) for obj in map(json.loads, lines)]


def by_subject() -> dict[str, list[int]]:
    subjects: dict[str, list[int]] = defaultdict(list)
    for index, event in enumerate(sample()):
        subjects[event["subject"]].append(index)
    return subjects


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


EN = {"Accept-Language": "en"}


def test_search_by_label_trade_in_code_and_serial_opens_the_unit(sample_app, client_for):
    client = client_for("manager")
    received = {e["subject"][5:]: e["data"] for e in sample() if e["type"] == "unit.received"}
    with_serial = next(label for label, d in received.items() if d.get("serial"))
    cases = {WASHER: WASHER, received[WASHER]["trade_in_code"]: WASHER,
             received[with_serial]["serial"]: with_serial, WASHER.lower(): WASHER,
             f"  {WASHER}  ": WASHER}
    for query, label in cases.items():
        response = client.get("/units/", query_string={"q": query})
        assert response.status_code == 302, query
        assert response.headers["Location"] == f"/units/{label}"


def test_search_by_label_prefix_lists_the_matches(sample_app, client_for):
    response = client_for("inspector").get("/units/", query_string={"q": "CN3301-2026-000484"},
                                           headers=EN)
    assert response.status_code == 200
    page = text(response).split('id="recent-title"')[0]
    labels = set(re.findall(r'href="/units/(CN3301-2026-\d+)"', page))
    expected = {s[5:] for s in by_subject() if s.startswith("unit:CN3301-2026-000484")}
    assert labels == expected and len(expected) == 10
    assert "label starts with it" in page


def test_search_without_a_match_says_what_to_do(sample_app, client_for):
    page = text(client_for("manager").get("/units/", query_string={"q": "NOPE-1"}, headers=EN))
    assert "No unit has the label, trade-in code or serial number “NOPE-1”" in page
    long = text(client_for("manager").get("/units/", query_string={"q": "X" * 300}, headers=EN))
    assert "is longer than any label" in long


def test_recent_units_page_by_keyset(sample_app, client_for):
    client = client_for("manager")
    received = [e for e in sample() if e["type"] == "unit.received"]
    newest_first = [e["subject"][5:] for e in sorted(received, key=lambda e: (e["time"],
                                                     e["subject"]), reverse=True)]
    def pager(page: str) -> str:
        return page.split('class="ul-pager"')[1]

    first = text(client.get("/units/"))
    seen = re.findall(r'class="ul-label-link" href="/units/([^"]+)"', first)
    assert seen == newest_first[:50]
    older = re.search(r'href="(/units/\?before=[^"]+)"', pager(first))
    assert older and "after=" not in pager(first)
    second = text(client.get(older.group(1)))
    assert re.findall(r'class="ul-label-link" href="/units/([^"]+)"', second) == newest_first[50:]
    assert "before=" not in pager(second)
    newer = re.search(r'href="(/units/\?after=[^"]+)"', pager(second))
    assert newer
    back = text(client.get(newer.group(1)))
    assert re.findall(r'class="ul-label-link" href="/units/([^"]+)"', back) == newest_first[:50]
    completed = text(client.get("/units/", query_string={"state": "received"}))
    in_progress = {e["subject"][5:] for e in received} - {
        e["subject"][5:] for e in sample() if e["type"] == "unit.completed"}
    assert set(re.findall(r'class="ul-label-link" href="/units/([^"]+)"', completed)) == \
        in_progress


def test_corrected_air_conditioner_shows_corrected_figures_and_the_correction(
        sample_app, client_for):
    events = sample()
    mine = [e for e in events if e["subject"] == f"unit:{AC}"]
    correction = next(e for e in mine if e["type"] == "correction")
    fixed = correction["data"]["corrects"]
    gross = next(e for e in mine if e["type"] == "unit.received")["data"]["gross_g"]
    refrigerant = sum(e["data"]["recovered_g"] for e in mine if e["type"] ==
                      "refrigerant.recovered")
    masses = {events.index(e): e["data"].get("mass_g") or 0 for e in mine
              if e["type"] in ("material.output", "component.removed")}
    masses[fixed] = correction["data"]["set"]["mass_g"]
    outputs = sum(masses.values())
    assert masses[fixed] == 5722 and outputs == 49_038  # 100 538 g with the typed 57 222 g

    page = text(client_for("manager").get(f"/units/{AC}", headers=EN))
    assert f'id="fig-gross">{gross / 1000:,.3f} kg' in page
    assert f'id="fig-outputs">{outputs / 1000:,.3f} kg' in page
    assert f'id="fig-refrigerant">{refrigerant / 1000:,.3f} kg' in page
    assert f'id="fig-balance">{100 * (outputs + refrigerant) / gross:.1f} %' in page
    assert "89.5 % of the nameplate charge 1.165 kg" in page  # 1043 g of 1165 g
    assert 'id="fig-serial">7632D3CB19' in page
    # the outputs table has the corrected copper mass, flagged; the typo only in the timeline
    outputs_table = page.split('id="outputs"')[1].split("</table>")[0]
    assert "5.722 kg" in outputs_table and "57.222 kg" not in outputs_table
    assert "corrected" in outputs_table
    assert "This unit's record was corrected." in page
    assert correction["data"]["reason"] in page
    assert f"Corrected by entry {events.index(correction)}" in page
    assert "approved by M-0001" in page
    assert "<del>57.222 kg</del> → <ins>5.722 kg</ins>" in page
    assert "Cycle time" in page and "0 h 53 min" in page  # 02:20:21 -> 03:13:46 UTC


def test_timeline_lists_every_entry_with_the_ledgers_leaf_hash(sample_app, client_for):
    client = client_for("inspector")
    for label in (AC, WASHER):
        indexes = by_subject()[f"unit:{label}"]
        page = text(client.get(f"/units/{label}"))
        shown = [int(i) for i in re.findall(r'<tr id="entry-(\d+)"', page)]
        assert shown == indexes
        with sample_app.app_context():
            hashes = ledger().leaf_hashes(indexes)
        for index in indexes:
            row = page.split(f'<tr id="entry-{index}"')[1].split("</tr>")[0]
            assert f'title="{hashes[index].hex()}"' in row
            assert f'value="{hashes[index].hex()}"' in row
            assert f'href="/api/v1/proof/inclusion/{index}"' in row
            assert f"?proof={index}#proof" in row


@pytest.mark.filterwarnings("ignore::ledger.keys.PlaintextKeyWarning")
def test_in_page_proof_verifies_with_the_spec_verifier(sample_app, client_for):
    index = by_subject()[f"unit:{AC}"][3]
    response = client_for("worker").get(f"/units/{AC}", query_string={"proof": index})
    assert response.status_code == 200
    proof = re.search(r'<pre class="ul-proof-text">(.*?)</pre>', text(response), re.S)
    assert proof
    with sample_app.app_context():
        entry, vkey = ledger().entry(index), console().instance.vkey()
        size = ledger().size()
    checkpoint = spec_verifier.verify_tlog_proof(proof.group(1), entry, [vkey])
    assert checkpoint.size == size
    assert proof.group(1).startswith(f"c2sp.org/tlog-proof@v1\nindex {index}\n")


def test_unknown_unit_and_foreign_proof_index_are_404(sample_app, client_for):
    client = client_for("manager")
    missing = client.get("/units/CN3301-2026-9999999", headers=EN)
    assert missing.status_code == 404
    assert "There is no such page" in text(missing)
    other = by_subject()[f"unit:{WASHER}"][0]
    assert client.get(f"/units/{AC}", query_string={"proof": other}).status_code == 404


def test_workers_read_units_without_lot_links(sample_app, client_for):
    page = text(client_for("worker").get(f"/units/{WASHER}"))
    assert "LOT-20261120-STEEL" in page and 'href="/lots/' not in page
    assert 'href="/lots/LOT-20261120-STEEL"' in text(client_for("manager").get(f"/units/{WASHER}"))
    assert client_for("worker").get("/lots/").status_code == 403


def test_chinese_is_the_default(sample_app, client_for):
    page = text(client_for("manager").get(f"/units/{AC}"))
    assert "物料平衡" in page and "台账记录时间线" in page


@pytest.mark.parametrize("url", ["/units/?q=CN3301-2026-000484", "/units/?q=TI-2026-33-0877275",
                                 "/units/?q=7632D3CB19", "/units/", "/units/?state=received",
                                 f"/units/{AC}"])
def test_every_query_uses_an_index(sample_app, client_for, url):
    """No full scan of units, unit_outputs or ledger_entries (SQLite's plan says SCAN)."""
    client = client_for("manager")
    first = text(client.get("/units/"))
    cursor = re.search(r'href="/units/\?before=([^"&]+)', first)
    assert cursor
    statements: list[tuple[str, Any]] = []

    def capture(conn, cursor_, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with sample_app.app_context():
        db = engine()
    sa_event.listen(db, "before_cursor_execute", capture)
    try:
        client.get(url)
        client.get(f"/units/?before={cursor.group(1)}")
    finally:
        sa_event.remove(db, "before_cursor_execute", capture)
    assert statements
    with db.connect() as conn:
        raw = conn.connection.driver_connection
        for statement, parameters in statements:
            plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                            parameters))
            for table in ("units", "unit_outputs", "ledger_entries", "refrigerant_recoveries"):
                assert not re.search(rf"\bSCAN {table}\b(?! USING)", plan), (statement, plan)
