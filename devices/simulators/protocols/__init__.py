"""The device side of each scale protocol, by the same names as `devices.protocols`."""

from __future__ import annotations

from devices.simulators.protocols.aandd import AandDDialect
from devices.simulators.protocols.base import Dialect
from devices.simulators.protocols.mtsics import MtSicsDialect
from devices.simulators.protocols.sbi import SbiDialect
from devices.simulators.protocols.sma import SmaDialect
from devices.simulators.protocols.toledo import ToledoDialect
from devices.simulators.protocols.toledo8217 import Toledo8217Dialect

DIALECTS: dict[str, type[Dialect]] = {
    "mtsics": MtSicsDialect,
    "toledo": ToledoDialect,
    "sma": SmaDialect,
    "aandd": AandDDialect,
    "8217": Toledo8217Dialect,
    "sbi": SbiDialect,
}

__all__ = ["DIALECTS", "Dialect"]
