"""`python -m devices ...`, the same commands as `dledger devices ...`."""

from devices.cli import devices

devices()
