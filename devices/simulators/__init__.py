"""Simulated scales and scanners on real pseudo-terminals or TCP ports.

Drivers talk to them through pyserial exactly as to hardware; see docs/devices.md.
"""

from devices.simulators.scale import FAULTS, ScaleSimulator
from devices.simulators.scanner import ScannerSimulator

__all__ = ["FAULTS", "ScaleSimulator", "ScannerSimulator"]
