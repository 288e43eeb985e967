"""Scanner: classification of codes, the serial reader on a pty, the wedge key decoder."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from devices.barcode import LabelError, classify, expect, label_kinds, split_aim
from devices.reading import DisconnectedError
from devices.scanner import Scanner
from devices.simulators import ScannerSimulator
from devices.wedge import lines_from_keys


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ("CN3301-2026-0001234", "unit"),
        ("]C0CN3301-2026-0001234", "unit"),
        ("CN3301-2026-001234", "unknown"),  # six-digit serial
        ("cn3301-2026-0001234", "unknown"),
        ("LOT-2026-0042", "lot"),
        ("CYL-0007", "cylinder"),
        ("W-0042", "badge"),
        ("W-42", "unknown"),
        ("4006381333931", "gs1"),  # EAN-13, check digit 1
        ("4006381333932", "unknown"),  # wrong check digit
        ("]C1010703206980498810123\x1d21ABC", "gs1"),
        ("]C100373400306809981733", "gs1"),
        ("https://id.gs1.org/01/07032069804988/21/XYZ", "gs1"),
        ("https://id.gs1.org/01/07032069804989/21/XYZ", "unknown"),  # bad check digit
        ("hello", "unknown"),
        ("]", "unknown"),  # biip raises IndexError on this
        ("", "unknown"),
    ],
)
def test_classification(data: str, kind: str):
    assert classify(data).kind == kind


def test_gs1_fields():
    scan = classify("]C1010703206980498810123\x1d21ABC")
    assert scan.symbology == "]C1"
    assert scan.gs1 == {"gtin": "07032069804988", "batch": "123", "serial": "ABC"}
    link = classify("https://id.gs1.org/01/07032069804988/21/XYZ").gs1
    assert (link["gtin"], link["serial"]) == ("07032069804988", "XYZ")
    assert classify("00373400306809981733").gs1 == {"sscc": "373400306809981733"}


def test_plant_label_pattern_is_configurable():
    kinds = label_kinds(r"HB\d{2}-\d{6}")
    assert classify("HB01-000123", kinds).kind == "unit"
    assert classify("CN3301-2026-0001234", kinds).kind == "unknown"
    with pytest.raises(re.error):
        label_kinds(r"CN(\d")


def test_expect_says_what_was_wanted():
    with pytest.raises(LabelError, match=r"not a unit label \(expected CN"):
        expect(classify("W-0042"), "unit")
    assert expect(classify("W-0042"), "badge").text == "W-0042"


def test_split_aim():
    assert split_aim("]E04006381333931") == ("]E0", "4006381333931")
    assert split_aim("CYL-1") == ("", "CYL-1")


@pytest.fixture
def scanner_sim():
    sim = ScannerSimulator(suffix=b"\r")
    sim.serve_pty()
    yield sim
    sim.close()


def test_serial_scanner_reads_and_classifies(scanner_sim):
    with Scanner(scanner_sim.url) as scanner:
        assert scanner.read(timeout=0.2) is None
        scanner_sim.scan("CN3301-2026-0001234", aim="]C0")
        scanner_sim.scan("]d2010703206980498810123\x1d21ABC")
        first, second = scanner.read(2), scanner.read(2)
    assert (first.kind, first.text, first.symbology) == ("unit", "CN3301-2026-0001234", "]C0")
    assert (second.kind, second.gs1["serial"]) == ("gs1", "ABC")


def test_crlf_suffix():
    with ScannerSimulator(suffix=b"\r\n") as sim:
        sim.serve_pty()
        with Scanner(sim.url, suffix=b"\r\n").open() as scanner:
            sim.scan("W-0042")
            assert scanner.read(2).kind == "badge"


def test_scanner_survives_unplug(scanner_sim):
    with Scanner(scanner_sim.url).open() as scanner:  # scans before opening are lost
        scanner_sim.scan("CYL-0001")
        assert scanner.read(2).text == "CYL-0001"
        scanner_sim.unplug()
        with pytest.raises(DisconnectedError):
            scanner.read(0.3)
        scanner_sim.replug()
        assert scanner.read(0.5) is None  # reopened, nobody scanned yet
        scanner_sim.scan("CYL-0002")
        assert scanner.read(2).text == "CYL-0002"


def test_wedge_key_decoding():
    def typed(text: str) -> list[tuple[str, int]]:
        events = []
        for ch in text:
            shifted = ch.isupper() or ch in "_!"
            key = {"-": "KEY_MINUS", "_": "KEY_MINUS", "!": "KEY_1"}.get(ch, f"KEY_{ch.upper()}")
            if shifted:
                events.append(("KEY_LEFTSHIFT", 1))
            events += [(key, 1), (key, 0)]
            if shifted:
                events.append(("KEY_LEFTSHIFT", 0))
        return [*events, ("KEY_ENTER", 1), ("KEY_ENTER", 0)]

    events = [*typed("CN3301-2026-0001234"), ("KEY_F1", 1), *typed("w_a!")]
    assert list(lines_from_keys(events)) == ["CN3301-2026-0001234", "w_a!"]



def test_a_scan_straddling_the_read_deadline_stays_whole():
    """A station polls its scanner with short reads; a line whose bytes arrive across a read's
    deadline must not lose its start (it did: "CN3301-..." was read as "N3301-...")."""
    server = socket.create_server(("127.0.0.1", 0))

    def scanner_device() -> None:
        conn, _ = server.accept()
        time.sleep(0.2)  # opening the port discards what is already there
        with conn:
            for code in ("CN3301-2026-0000008", "W-0023"):
                conn.sendall(code[:1].encode())  # the line arrives in two pieces...
                time.sleep(0.15)  # ...with read deadlines passing in between
                conn.sendall(code[1:].encode() + b"\r")
            time.sleep(0.5)

    device = threading.Thread(target=scanner_device, daemon=True)
    device.start()
    with Scanner(f"socket://127.0.0.1:{server.getsockname()[1]}").open(2) as scanner:
        seen = []
        deadline = time.monotonic() + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            scan = scanner.read(timeout=0.03)
            if scan is not None:
                seen.append(scan.text)
    device.join(2)
    server.close()
    assert seen == ["CN3301-2026-0000008", "W-0023"]
