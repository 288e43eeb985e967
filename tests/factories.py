"""Builders for events and stations in tests."""

from __future__ import annotations

import base64
import itertools
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.events import PLANT_STATION, parse_event
from ledger.log import Submission

_clock = itertools.count()


def event_obj(etype: str, subject: str, data: dict[str, Any], station: str = PLANT_STATION,
              operator: str = "W-0042", event_id: str | None = None) -> dict[str, Any]:
    tick = next(_clock)
    return {"id": event_id or str(uuid.uuid4()), "type": etype,
            "time": f"2026-11-21T{8 + tick // 3_600_000 % 10:02d}:{tick // 60_000 % 60:02d}:"
                    f"{tick // 1000 % 60:02d}.{tick % 1000:03d}Z",
            "station": station, "operator": operator, "subject": subject, "data": data}


def plant(etype: str, subject: str, data: dict[str, Any], **kw: Any) -> Submission:
    return Submission(parse_event(event_obj(etype, subject, data, **kw)))


def calibration(scale: str = "SC-1") -> Submission:
    return plant("scale.calibrated", f"scale:{scale}",
                 {"reference_g": 10_000, "reading_g": 10_001, "tolerance_g": 5, "passed": True})


def received(label: str, gross_g: int = 45_210, **data: Any) -> dict[str, Any]:
    return {"category": "fridge", "gross_g": gross_g, "scale": "SC-1", "source": "trade_in",
            **data}


def depolluted(label: str) -> list[Submission]:
    """What a fridge (`received`'s default) needs before its outputs: its refrigerant
    recorded (here: an empty circuit) and its compressor oil removed."""
    return [plant("refrigerant.absent", label, {"reason": "circuit_empty"}),
            plant("component.removed", label, {"component": "compressor_oil", "count": 1})]


class SigningStation:
    """A station with its own key, able to sign events."""

    def __init__(self, name: str = "ST-01"):
        self.name = name
        self.key = Ed25519PrivateKey.generate()

    @property
    def public_key(self) -> str:
        return base64.b64encode(self.key.public_key().public_bytes_raw()).decode()

    def registration(self) -> Submission:
        return plant("station.registered", f"station:{self.name}",
                     {"public_key": self.public_key, "name": f"Station {self.name}",
                      "approved_by": "A-0001"})

    def sign(self, obj: dict[str, Any]) -> Submission:
        event = parse_event(obj)
        return Submission(event, base64.b64encode(self.key.sign(event.canonical)).decode())

    def submit(self, etype: str, subject: str, data: dict[str, Any], **kw: Any) -> Submission:
        return self.sign(event_obj(etype, subject, data, station=self.name, **kw))
