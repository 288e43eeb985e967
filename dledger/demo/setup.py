"""What the demo plant needs before work starts, done as the plant's people would do it.

- the instance: created on SQLite (in ./demo-instance or $DLEDGER_HOME), reused when it is
  there, started over with `--fresh` (only a folder the demo made: it holds DEMO_MARKER);
- console accounts for each role (`dledger user add`'s function);
- each station's key, created encrypted in its folder, and approved by the admin: a PLANT
  `station.registered` entry, exactly what the console's Stations → Approve page writes;
- the process catalogue in force, published at entry 0 as `dledger init` does (the ledger
  refuses unit, lot and cylinder events without one, and the stations judge with it);
- this morning's calibration checks of every scale and empty recovery cylinders, as the
  manager records them (PLANT `scale.calibrated`, `cylinder.registered`);
- the plant's identity and its operators register (the stations' badges, the manager, the
  admin), which every certificate states (PLANT `plant.identified`, `operator.registered`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ledger.catalogue import Catalogue, guideline_k_max_gross_g
from ledger.catalogue import load as load_catalogue
from ledger.events import PLANT_STATION, parse_event, utc_now_ms
from ledger.instance import KEY_FILE, Instance, write_config
from ledger.keys import new_plant_signer, write_key
from ledger.log import Ledger, Submission
from ledger.store import migrate
from station import identity

ORIGIN = "ledger.demo-plant.example/CN3301"
DEMO_MARKER = "demo-plant.txt"
DEFAULT_HOME = "demo-instance"
PASSWORD = "dismantle-demo"  # noqa: S105 -- the demo's published sign-in, local only
STATION_PASSPHRASE = "demo station key passphrase"  # noqa: S105 -- demo keys only
USERS = {"manager": "manager", "inspector": "inspector", "admin": "admin", "worker": "worker"}
ADMIN, MANAGER = USERS["admin"], USERS["manager"]


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    role: str  # platform or cylinder
    protocol: str
    resolution_g: int
    capacity_g: int


@dataclass(frozen=True)
class StationSpec:
    id: str
    work: str  # intake, recovery or dismantling
    name: str
    badge: str
    scales: tuple[ScaleSpec, ...]
    intake_only: bool = False


# Three benches with scales of three makers' protocols, as plants buy them over the years.
STATIONS = (
    StationSpec("ST-01", "intake", "ST-01 intake: label scanner, floor scale SC-1", "W-0012",
                (ScaleSpec("SC-1", "platform", "mtsics", 10, 300_000),), intake_only=True),
    StationSpec("ST-02", "recovery", "ST-02 refrigerant recovery: cylinder scale SC-2, bench "
                "scale SC-3", "W-0023",
                (ScaleSpec("SC-2", "cylinder", "aandd", 1, 60_000),
                 ScaleSpec("SC-3", "platform", "sbi", 1, 60_000))),
    StationSpec("ST-03", "dismantling", "ST-03 dismantling: platform scale SC-4", "W-0031",
                (ScaleSpec("SC-4", "platform", "mtsics", 1, 300_000),)),
)

# Recovery cylinders: gas -> (tare g, water capacity g); max gross per AHRI Guideline K.
CYLINDER_TYPES = {"R-600a": (7_720, 21_600), "R-134a": (7_690, 21_600),
                  "R-12": (7_745, 21_600), "R-22": (7_705, 21_600),
                  "R-410A": (9_810, 21_600), "R-32": (9_790, 21_600),
                  "R-290": (9_760, 21_600)}


class SetupError(Exception):
    """The demo cannot start; the message says why and what to do."""


def home_folder(home: str | None) -> Path:
    return Path(home or os.environ.get("DLEDGER_HOME") or DEFAULT_HOME).resolve()


def prepare_instance(home: Path, fresh: bool) -> tuple[Instance, bool]:
    """The demo's instance at `home`, and whether it was made now (False: reused)."""
    if fresh and home.exists():
        if not (home / DEMO_MARKER).exists():
            raise SetupError(f"{home} was not made by `dledger demo` (no {DEMO_MARKER} in it): "
                             "--fresh only deletes a demo's own folder; choose another "
                             "DLEDGER_HOME")
        shutil.rmtree(home)
    if (home / "dledger.toml").exists():
        if not (home / DEMO_MARKER).exists():
            raise SetupError(f"{home} holds an instance that `dledger demo` did not make: the "
                             "demo writes made-up units, so it refuses to use it; set "
                             "DLEDGER_HOME to another folder")
        instance = Instance.locate(home)
        _migrate(instance)
        return instance, False
    if home.exists() and any(home.iterdir()):
        raise SetupError(f"{home} is not empty and holds no instance: choose another "
                         "DLEDGER_HOME, or empty it")
    passphrase = os.environ.get("DLEDGER_KEY_PASSPHRASE")
    write_config(home, ORIGIN, plaintext_key=not passphrase)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plaintext demo key is announced by the caller
        write_key(home / KEY_FILE, new_plant_signer(ORIGIN), passphrase,
                  allow_plaintext=not passphrase)
    (home / DEMO_MARKER).write_text(
        "This instance was made by `dledger demo`: made-up units from simulated stations.\n"
        "`dledger demo --fresh` deletes and remakes it.\n", encoding="utf-8")
    instance = Instance.locate(home, new=True)
    _migrate(instance)
    return instance, True


def _migrate(instance: Instance) -> None:
    engine = instance.engine()
    try:
        migrate(engine)
    finally:
        engine.dispose()


def ensure_users(instance: Instance) -> dict[str, str]:
    """The demo's console accounts (role -> name), made once with PASSWORD by `dledger user`
    (the console's own account code stays in web/)."""
    env = {**os.environ, "DLEDGER_HOME": str(instance.home)}
    listed = subprocess.run([sys.executable, "-m", "dledger", "user", "list"], env=env,
                            capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        raise SetupError(f"`dledger user list` failed: {listed.stderr.strip()}")
    existing = {line.split("\t", 1)[0] for line in listed.stdout.splitlines()}
    for role, name in USERS.items():
        if name in existing:
            continue
        added = subprocess.run([sys.executable, "-m", "dledger", "user", "add", name, "--role",
                                role, "--password-stdin"], env=env, input=PASSWORD + "\n",
                               capture_output=True, text=True, check=False)
        if added.returncode != 0:
            raise SetupError(f"`dledger user add {name}` failed: {added.stderr.strip()}")
    return dict(USERS)


def plant_event(etype: str, subject: str, data: dict[str, Any], operator: str,
                event_id: str | None = None) -> Submission:
    """A console (PLANT) entry said by `operator` now, as the console's pages write them;
    `event_id` when someone already waits for it (storage.py)."""
    return Submission(parse_event({"id": event_id or str(uuid.uuid4()), "type": etype,
                                   "time": utc_now_ms(), "station": PLANT_STATION,
                                   "operator": operator, "subject": subject, "data": data}))


def station_identity(folder: Path, spec: StationSpec) -> identity.StationIdentity:
    """The station's key in `folder`, made on first use (encrypted with the demo's
    DLEDGER_STATION_KEY_PASSPHRASE unless one is set)."""
    os.environ.setdefault(identity.PASSPHRASE_ENV, STATION_PASSPHRASE)
    path = folder / "station-key.json"
    if path.exists():
        return identity.load(path, spec.id)
    folder.mkdir(parents=True, exist_ok=True)
    return identity.create(path, spec.id)


def ensure_catalogue(ledger: Ledger) -> Catalogue:
    """The catalogue in force; the default one published first (at entry 0 of a new demo
    instance, as `dledger init` does) when the ledger has none, e.g. an instance made by an
    older demo."""
    found = ledger.catalogue()
    if found is None:
        ledger.publish_catalogue(load_catalogue(None), "default", operator=ADMIN)
        found = ledger.catalogue()
        assert found is not None  # just published
    return found[1]


def approve(ledger: Ledger, spec: StationSpec, me: identity.StationIdentity) -> bool:
    """Approve the station's key as the admin does on the Stations page; False if it already
    was."""
    events = [event for _, event in ledger.subject_entries(f"station:{spec.id}")]
    active = [e for e in events if e["type"] in ("station.registered", "station.revoked")]
    if active and active[-1]["type"] == "station.registered" \
            and active[-1]["data"]["public_key"] == me.public_key:
        return False
    submissions = []
    if active and active[-1]["type"] == "station.registered":  # a key from an older folder
        submissions.append(plant_event("station.revoked", f"station:{spec.id}",
                                       {"reason": "demo station key replaced",
                                        "approved_by": ADMIN}, ADMIN))
    submissions.append(plant_event("station.registered", f"station:{spec.id}",
                                   {"public_key": me.public_key, "name": spec.name,
                                    "approved_by": ADMIN}, ADMIN))
    ledger.append(submissions)
    return True


def calibrate(ledger: Ledger) -> None:
    """This morning's checks of every scale with a 10 kg (or 20 kg) reference, all passed."""
    checks = []
    for spec in STATIONS:
        for scale in spec.scales:
            reference = 20_000 if scale.capacity_g > 100_000 else 10_000
            checks.append(plant_event("scale.calibrated", f"scale:{scale.name}", {
                "reference_g": reference, "reading_g": reference + scale.resolution_g,
                "tolerance_g": 5 * scale.resolution_g, "passed": True,
                "reference_certificate": "DEMO-REF-2026 (M1 test weights)"}, MANAGER))
    ledger.append(checks)


# The demo plant's legal identity and its people (all made up; the credit code's check
# characters are computed as GB 32100-2015 says): what every certificate it issues states.
IDENTITY = {"legal_name": "示例电器拆解处理有限公司（演示）",
            "legal_name_en": "Demo Appliance Dismantling Co., Ltd.",
            "address": "浙江省杭州市示例区演示路 8 号", "uscc": "91330100MA2DEM0175",
            "licence_no": "浙废电处证第330100008号（演示）", "licence_issuer": "浙江省生态环境厅",
            "licence_valid_from": "2025-01-01", "licence_valid_until": "2029-12-31",
            "approved_by": ADMIN}
PEOPLE = {  # operator code: (name, name in Latin letters, roles)
    STATIONS[0].badge: ("王伟", "Wang Wei", ["intake"]),
    STATIONS[1].badge: ("张强", "Zhang Qiang", ["refrigerant_recovery"]),
    STATIONS[2].badge: ("赵磊", "Zhao Lei", ["dismantling"]),
    USERS["worker"]: ("孙丽", "Sun Li", ["storage"]),  # the console's storage clerk
    MANAGER: ("陈静", "Chen Jing", ["manager", "storage", "shipping"]),
    ADMIN: ("刘洋", "Liu Yang", ["administrator"]),
}


def ensure_register(ledger: Ledger) -> None:
    """The plant's identity and its operators register, recorded once as the admin does on
    the Plant page (an instance from an older demo gets them at its next start)."""
    submissions = []
    if not ledger.subject_entries("plant:identity"):
        submissions.append(plant_event("plant.identified", "plant:identity", IDENTITY, ADMIN))
    for code, (name, latin, roles) in PEOPLE.items():
        if ledger.subject_entries(f"operator:{code}"):
            continue
        qualifications = [{"title": "制冷与空调作业操作证", "number": f"T-DEMO-{code}",
                           "valid_until": "2030-12-31"}] if "refrigerant_recovery" in roles \
            else []
        submissions.append(plant_event("operator.registered", f"operator:{code}", {
            "name": name, "name_en": latin, "roles": roles, "qualifications": qualifications,
            "approved_by": ADMIN}, ADMIN))
    ledger.append(submissions)


@dataclass(frozen=True)
class Cylinder:
    id: str
    refrigerant: str
    tare_g: int
    max_gross_g: int


class Cylinders:
    """Empty recovery cylinders registered as needed, numbered after the ledger's last (the
    demo numbers them CYL-0001, CYL-0002, ... without gaps), filled to the Guideline K limit
    of the catalogue in force."""

    def __init__(self, ledger: Ledger, catalogue: Catalogue):
        self.ledger, self.catalogue = ledger, catalogue
        self.next_number = 1
        while ledger.cylinder(_cylinder_id(self.next_number)).registered is not None:
            self.next_number += 1

    def register(self, gas: str) -> Cylinder:
        tare, water = CYLINDER_TYPES[gas]
        cylinder = Cylinder(_cylinder_id(self.next_number), gas, tare,
                            guideline_k_max_gross_g(gas, water, tare, self.catalogue))
        self.next_number += 1
        self.ledger.append([plant_event("cylinder.registered", f"cylinder:{cylinder.id}", {
            "refrigerant": gas, "tare_g": tare, "water_capacity_g": water,
            "max_gross_g": cylinder.max_gross_g}, MANAGER)])
        return cylinder


def _cylinder_id(number: int) -> str:
    return f"CYL-{number:04d}"


def next_label_number(ledger: Ledger) -> int:
    """After the highest unit label the ledger holds (labels are fixed-width)."""
    rows = _rows(ledger, "SELECT MAX(label) FROM units")
    last = rows[0][0] if rows and rows[0][0] else None
    return int(last.rsplit("-", 1)[1]) + 1 if last else 1


def _rows(ledger: Ledger, sql: str, **params: Any) -> list[Any]:
    with ledger.engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())
