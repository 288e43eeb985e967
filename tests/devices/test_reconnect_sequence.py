"""Client after client on one simulated pty: the second one finds the port and the new load.

Regression for a report from the command line: `read`, change the load on the simulator
(`overload`) while no driver has the port, `read` again -> "cannot open .../tty: No such
file or directory". The cause was the reproduction script, not the port: each `dledger`
start takes about a second, which pushed the second read's window past the script's
`quit`, and a simulator that quits removes its link. These tests pin both halves: the
sequence itself never loses the port, and a simulator closed mid-read is what gives
that message.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
from click.testing import CliRunner

from devices.cli import devices
from devices.reading import DisconnectedError, OverloadError
from devices.scale import Scale

LOOPS = 20


def test_connect_disconnect_change_load_reconnect(make_sim):
    """Each loop: a client reads and closes, the load changes, another client opens at once."""
    sim = make_sim("mtsics")
    target = os.readlink(sim.url)
    pause = random.Random(11)  # seeded jitter between the steps
    sim.place(12_345, settle_ms=0)
    for i in range(LOOPS):
        with Scale(sim.url, "mtsics") as first:
            assert first.wait_stable(2).mass_g == 12_345
        time.sleep(pause.uniform(0, 0.02))  # nobody holds the port while the load changes
        if i % 2:
            sim.overload()
        else:
            sim.place(20_000 + i, settle_ms=0)
        time.sleep(pause.uniform(0, 0.02))
        with Scale(sim.url, "mtsics") as second:
            if i % 2:
                with pytest.raises(OverloadError, match=r"S \+"):
                    second.current(timeout=2)
            else:
                assert second.wait_stable(2).mass_g == 20_000 + i
        # The link never moved: the simulator did not re-plug behind the clients' backs.
        assert os.readlink(sim.url) == target
        sim.place(12_345, settle_ms=0)


def test_cli_second_read_reports_overload(make_sim):
    """The reported sequence through `read`, on one simulator that stays up."""
    sim = make_sim("mtsics")
    sim.place(12_345, settle_ms=0)
    read = ["read", "--url", sim.url, "--protocol", "mtsics", "--stable"]
    first = CliRunner().invoke(devices, [*read, "--json", "--timeout", "2"])
    assert first.exit_code == 0, first.output
    assert '"mass_g": 12345' in first.output
    sim.overload()
    second = CliRunner().invoke(devices, [*read, "--timeout", "0.5"])
    assert second.exit_code == 1
    assert "scale reports overload (S +): remove load" in second.output


def test_simulator_closed_during_a_read_is_a_missing_port(make_sim):
    """What the report saw: the simulator quit while the read was waiting."""
    sim = make_sim("mtsics")
    sim.overload()
    url = sim.url
    threading.Timer(0.2, sim.close).start()
    with Scale(url, "mtsics") as scale, pytest.raises(DisconnectedError) as caught:
        scale.wait_stable(timeout=0.8)
    assert f"cannot open {url}: No such file or directory" in str(caught.value)
