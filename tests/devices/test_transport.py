"""Transport: framing, masking, deadlines, exclusive open, TCP reconnect."""

from __future__ import annotations

import time

import pytest
import serial

from devices.protocols.base import SerialSettings
from devices.reading import DeviceError, DisconnectedError, NoResponseError, PortBusyError
from devices.scale import Scale
from devices.transport import Transport


def loop(bytesize: int = 8) -> Transport:
    transport = Transport("loop://", SerialSettings(bytesize=bytesize))
    transport.open()
    return transport


def test_frames_keep_the_bytes_after_the_terminator():
    t = loop()
    t.write(b"A\r\nB\r\nC")
    soon = time.monotonic() + 1
    assert t.read_frame(b"\r\n", 0, soon)[0] == b"A\r\n"
    assert t.read_frame(b"\r\n", 0, soon)[0] == b"B\r\n"


def test_trailer_bytes_after_the_terminator():
    t = loop()
    t.write(b"\x02data\r+\x02next")
    assert t.read_frame(b"\r", 1, time.monotonic() + 1)[0] == b"\x02data\r+"


def test_seven_bit_lines_are_masked_before_framing():
    t = loop(bytesize=7)
    t.write(bytes([0x82, 0xB1, 0x8D]))  # STX '1' CR with parity bits set
    assert t.read_frame(b"\r", 0, time.monotonic() + 1)[0] == b"\x021\r"


def test_silence_and_partial_frames_end_at_the_deadline():
    t = loop()
    with pytest.raises(NoResponseError, match="no data"):
        t.read_frame(b"\r", 0, time.monotonic() + 0.2)
    t.write(b"half a fra")
    with pytest.raises(NoResponseError, match="part of a frame"):
        t.read_frame(b"\r", 0, time.monotonic() + 0.2)


def test_discard_input_drops_what_came_before():
    t = loop()
    t.write(b"old\r")
    time.sleep(0.05)
    t.discard_input()
    t.write(b"new\r")
    assert t.read_frame(b"\r", 0, time.monotonic() + 1)[0] == b"new\r"


def test_missing_port_is_disconnected_with_advice():
    t = Transport("/dev/does-not-exist", SerialSettings())
    with pytest.raises(DisconnectedError, match="devices list"):
        t.ensure_open(time.monotonic() + 0.2)


def test_unknown_url_scheme():
    with pytest.raises(DeviceError, match="socket://"):
        Transport("nope://x", SerialSettings()).open()


def test_second_opener_gets_port_busy(make_sim):
    sim = make_sim("mtsics")
    holder = serial.Serial(sim.url, exclusive=True)
    try:
        with pytest.raises(PortBusyError, match="busy"):
            Scale(sim.url, "mtsics").current(timeout=1)
    finally:
        holder.close()


@pytest.mark.parametrize("protocol", ["toledo", "mtsics"])
def test_tcp_simulator_and_reconnect(protocol):
    from devices.simulators import ScaleSimulator

    with ScaleSimulator(protocol) as sim:
        url = sim.serve_tcp()
        assert url.startswith("socket://127.0.0.1:")
        sim.place(8_000, settle_ms=0)
        with Scale(url, protocol) as scale:
            assert scale.wait_stable(3).mass_g == 8_000
            sim.unplug()
            with pytest.raises(DisconnectedError):
                scale.current(timeout=0.5)
            sim.place(9_000, settle_ms=0)
            sim.replug()
            assert scale.wait_stable(3).mass_g == 9_000
