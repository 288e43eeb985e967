"""station.toml: who the station is, its devices, where its ledger is.

The rules' thresholds and the process catalogue are not the station's: they are the
catalogue in force in the ledger (its `[tolerances]`), which the station fetches.

Read and checked once at start; a mistake stops the station with the file, the key and what
to write instead. Relative paths are relative to the file. See examples/station.toml and
docs/station.md for every key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.barcode import UNIT_LABEL, label_kinds
from devices.protocols import PROTOCOLS
from ledger.rules.codes import SOURCES
from station.workflow import Rules

_STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_SCALE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$")
# Keys older stations had, and where what they set lives now.
MOVED = {
    "rules.low_recovery_pct": "the catalogue's [tolerances] low_recovery_pct",
    "rules.mass_balance_pct": "the catalogue's [tolerances] mass_balance_pct",
    "rules.calibration_period_h": "the catalogue's [tolerances] calibration_period_h",
    "station.catalogue": "the catalogue in force in the ledger",
}
TRADE_IN = r"TI-\d{4}-\d{2}-\d{7}"


class ConfigError(ValueError):
    """station.toml is wrong; the message names the file and key."""


@dataclass(frozen=True)
class ScaleConfig:
    name: str
    role: str  # platform (units, outputs, lots) or cylinder (refrigerant recovery)
    url: str
    protocol: str
    resolution_g: int = 1
    capacity_g: int | None = None
    unit: str = "kg"


@dataclass(frozen=True)
class StationConfig:
    path: Path
    station_id: str
    name: str
    language: str
    key_file: Path
    data_dir: Path
    listen: tuple[str, int]
    mode: str  # local (in-process ledger) or http (the console's API)
    ledger_home: Path | None
    console_url: str | None
    scanner_url: str | None
    scanner_suffix: bytes
    scales: tuple[ScaleConfig, ...]
    rules: Rules
    intake_only: bool
    default_source: str
    kinds: dict[str, str] = field(default_factory=dict)  # scan kind -> pattern

    def scale(self, role: str) -> ScaleConfig | None:
        return next((s for s in self.scales if s.role == role), None)


def load(path: str | Path) -> StationConfig:
    path = Path(path).resolve()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; copy examples/station.toml") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _Reader(path, doc).config()


class _Reader:
    def __init__(self, path: Path, doc: dict[str, Any]):
        self.path, self.doc = path, doc

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def table(self, name: str, required: bool = True) -> dict[str, Any]:
        value = self.doc.get(name)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"[{name}]", "missing table" if value is None else "must be a table")
        return value

    def text(self, table: dict[str, Any], section: str, key: str,
             default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{section}.{key}", "missing" if value is None else
                            f"give text, not {value!r}")
        return value

    def number(self, table: dict[str, Any], section: str, key: str, default: float,
               upper: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= upper:
            raise self.fail(f"{section}.{key}", f"a number above 0 and at most {upper:g}, not "
                            f"{value!r}")
        return float(value)

    def file(self, value: str) -> Path:
        return (self.path.parent / value).resolve()

    def config(self) -> StationConfig:
        station = self.table("station")
        station_id = self.text(station, "station", "id")
        if not _STATION_ID.match(station_id) or station_id == "PLANT":
            raise self.fail("station.id", f"{station_id!r}: letters, digits, '.', '_' or '-', "
                            "at most 32, not PLANT (e.g. ST-01)")
        language = self.text(station, "station", "language", "zh-CN")
        if language not in ("zh-CN", "en"):
            raise self.fail("station.language", f"zh-CN or en, not {language!r}")
        listen = self.text(station, "station", "listen", "127.0.0.1:8700")
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise self.fail("station.listen", f"host:port, e.g. 127.0.0.1:8700, not {listen!r}")
        source = self.text(station, "station", "default_source", "collector")
        if source not in SOURCES:
            raise self.fail("station.default_source", f"one of {', '.join(SOURCES)}")
        intake_only = station.get("intake_only", False)
        if not isinstance(intake_only, bool):
            raise self.fail("station.intake_only", "true or false")
        unit_label = self.text(station, "station", "unit_label", UNIT_LABEL)
        trade_in = self.text(station, "station", "trade_in_code", TRADE_IN)
        try:
            kinds = {**label_kinds(unit_label), "trade_in": trade_in}
            re.compile(trade_in)
        except re.error as exc:
            raise self.fail("station.unit_label / station.trade_in_code",
                            f"not a valid pattern: {exc}") from None
        ledger = self.table("ledger")
        mode = self.text(ledger, "ledger", "mode")
        if mode not in ("local", "http"):
            raise self.fail("ledger.mode", f"local (this machine's instance) or http (the "
                            f"console), not {mode!r}")
        home = self.file(self.text(ledger, "ledger", "home")) if mode == "local" else None
        url = self.text(ledger, "ledger", "url").rstrip("/") if mode == "http" else None
        if url is not None and not re.match(r"^https?://", url):
            raise self.fail("ledger.url", f"the console's address, http(s)://host:port, not "
                            f"{url!r}")
        scanner = self.table("scanner", required=False)
        rules_table = self.table("rules", required=False)
        self.moved({"station": station, "rules": rules_table})
        rules = Rules(
            max_reading_age_s=self.number(rules_table, "rules", "max_reading_age_s", 1.5, 60))
        return StationConfig(
            path=self.path, station_id=station_id,
            name=self.text(station, "station", "name", station_id), language=language,
            key_file=self.file(self.text(station, "station", "key_file", "station-key.json")),
            data_dir=self.file(self.text(station, "station", "data_dir", "station-data")),
            listen=(host, int(port)), mode=mode, ledger_home=home, console_url=url,
            scanner_url=scanner.get("url") or None,
            scanner_suffix=self.text(scanner, "scanner", "suffix", "\r").encode("latin-1"),
            scales=self.scales(), rules=rules, intake_only=intake_only,
            default_source=source, kinds=kinds)

    def moved(self, tables: dict[str, dict[str, Any]]) -> None:
        """Refuse a key that no longer belongs to the station, saying where it lives now."""
        for dotted, home in MOVED.items():
            section, key = dotted.split(".")
            if key in tables[section]:
                raise self.fail(dotted, f"no longer a station setting: the thresholds and the "
                                f"catalogue every writer is judged by are {home} (publish a "
                                "plant catalogue with `dledger catalogue publish`); remove "
                                "this line")

    def scales(self) -> tuple[ScaleConfig, ...]:
        items = self.doc.get("scales", [])
        if not isinstance(items, list):
            raise self.fail("[[scales]]", "a list of tables, one [[scales]] per scale")
        scales: list[ScaleConfig] = []
        for i, item in enumerate(items):
            key = f"scales[{i}]"
            if not isinstance(item, dict):
                raise self.fail(key, "must be a table")
            name = self.text(item, key, "name")
            if not _SCALE.match(name):
                raise self.fail(f"{key}.name", f"{name!r}: letters, digits and ._:/+- (e.g. SC-1)")
            role = self.text(item, key, "role")
            if role not in ("platform", "cylinder"):
                raise self.fail(f"{key}.role", f"platform or cylinder, not {role!r}")
            protocol = self.text(item, key, "protocol")
            if protocol not in PROTOCOLS:
                raise self.fail(f"{key}.protocol", f"one of {', '.join(PROTOCOLS)}, not "
                                f"{protocol!r}")
            resolution = item.get("resolution_g", 1)
            capacity = item.get("capacity_g")
            for what, value in (("resolution_g", resolution), ("capacity_g", capacity)):
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                          or value < 1):
                    raise self.fail(f"{key}.{what}", f"a whole number of grams >= 1, not "
                                    f"{value!r}")
            if any(s.name == name for s in scales):
                raise self.fail(f"{key}.name", f"{name} is named twice")
            scales.append(ScaleConfig(name, role, self.text(item, key, "url"), protocol,
                                      resolution, capacity, self.text(item, key, "unit", "kg")))
        if not any(s.role == "platform" for s in scales):
            raise self.fail("[[scales]]", "the station needs a scale with role = \"platform\"")
        return tuple(scales)
