"""The scale protocols we speak, by the name used on the command line and in config."""

from __future__ import annotations

from devices.protocols.aandd import AandD
from devices.protocols.base import ScaleProtocol, SerialSettings, Weight
from devices.protocols.mtsics import MtSics
from devices.protocols.sbi import Sbi
from devices.protocols.sma import Sma
from devices.protocols.toledo import ToledoContinuous
from devices.protocols.toledo8217 import Toledo8217

PROTOCOLS: dict[str, ScaleProtocol] = {
    p.name: p for p in (MtSics(), ToledoContinuous(), Sma(), AandD(), Toledo8217(), Sbi())
}

__all__ = ["PROTOCOLS", "ScaleProtocol", "SerialSettings", "Weight"]
