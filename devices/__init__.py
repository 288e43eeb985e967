"""Scales and barcode scanners on serial lines, and simulators that stand in for them.

Start with `devices.scale.Scale`, `devices.scanner.Scanner` and `devices.simulators`;
docs/devices.md walks through all of it. This package imports nothing else of ours.
"""
