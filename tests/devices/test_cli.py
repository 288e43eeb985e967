"""The `devices` command group, through click's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import serial
from click.testing import CliRunner

from devices.cli import devices

RUN = [sys.executable, "-m", "devices"]


def test_read_prints_json(make_sim):
    sim = make_sim("sma")
    sim.place(12_345, settle_ms=100)
    result = CliRunner().invoke(devices, ["read", "--url", sim.url, "--protocol", "sma",
                                          "--stable", "--json", "--timeout", "3"])
    assert result.exit_code == 0, result.output
    reading = json.loads(result.output)
    assert (reading["mass_g"], reading["stable"], reading["unit"]) == (12_345, True, "kg")
    assert reading["raw"].startswith("\n")


def test_read_human_output(make_sim):
    sim = make_sim("aandd")
    sim.place(500, settle_ms=0)
    result = CliRunner().invoke(devices, ["read", "--url", sim.url, "--protocol", "aandd"])
    assert result.exit_code == 0
    assert result.output.startswith("500 g  stable")


def test_read_missing_port_exits_1_with_advice():
    result = CliRunner().invoke(devices, ["read", "--url", "/dev/ttyUSB-nope", "--protocol",
                                          "mtsics", "--timeout", "0.3"])
    assert result.exit_code == 1
    assert "cannot open /dev/ttyUSB-nope" in result.output
    assert "devices list" in result.output


def test_read_busy_port_exits_1(make_sim):
    sim = make_sim("mtsics")
    holder = serial.Serial(sim.url, exclusive=True)
    try:
        proc = subprocess.run([*RUN, "read", "--url", sim.url, "--protocol", "mtsics"],
                              capture_output=True, text=True, timeout=30)
    finally:
        holder.close()
    assert proc.returncode == 1
    assert "busy" in proc.stderr


def test_bad_usage_exits_2():
    result = CliRunner().invoke(devices, ["read", "--url", "x", "--protocol", "nope"])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_read_overloaded_scale_says_so(make_sim):
    sim = make_sim("toledo")
    sim.overload()
    result = CliRunner().invoke(devices, ["read", "--url", sim.url, "--protocol", "toledo"])
    assert result.exit_code == 1
    assert "over range" in result.output


def test_list_runs():
    result = CliRunner().invoke(devices, ["list", "--json"])
    assert result.exit_code == 0
    for line in result.output.splitlines():
        assert "device" in json.loads(line)


def test_simulate_and_read_as_subprocesses():
    sim = subprocess.Popen([*RUN, "simulate", "--protocol", "mtsics", "--place", "2500"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = sim.stdout.readline().strip()
        read = subprocess.run([*RUN, "read", "--url", url, "--protocol", "mtsics", "--stable",
                               "--json"], capture_output=True, text=True, timeout=30)
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout)["mass_g"] == 2500
        sim.stdin.write("place 7000 0\n")
        sim.stdin.flush()
        assert sim.stdout.readline().strip() == "ok"
        sim.stdin.write("frobnicate\n")
        sim.stdin.flush()
        assert sim.stdout.readline().startswith("error: unknown command")
        read = subprocess.run([*RUN, "read", "--url", url, "--protocol", "mtsics", "--stable",
                               "--json"], capture_output=True, text=True, timeout=30)
        assert json.loads(read.stdout)["mass_g"] == 7000
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        assert sim.wait(timeout=10) == 0
    finally:
        sim.kill()
        sim.wait()


@pytest.mark.parametrize("protocol", ["scanner"])
def test_simulate_scanner_and_scan_over_tcp(protocol):
    sim = subprocess.Popen([*RUN, "simulate", "--protocol", protocol, "--tcp", "0"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = sim.stdout.readline().strip()
        assert url.startswith("socket://")
        scan = subprocess.Popen([*RUN, "scan", "--url", url, "--json", "--timeout", "10"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        result = None
        for _ in range(50):  # until the reader has connected, scans go nowhere
            sim.stdin.write("scan W-0042 ]C0\n")
            sim.stdin.flush()
            assert sim.stdout.readline().strip() == "ok"
            try:
                out, _ = scan.communicate(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            result = json.loads(out)
            break
        assert result is not None
        assert (result["kind"], result["text"], result["symbology"]) == ("badge", "W-0042", "]C0")
    finally:
        sim.kill()
        sim.wait()
