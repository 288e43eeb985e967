"""A plant's instance folder: its settings, database and signing key.

    $DLEDGER_HOME/            (default ./instance)
        dledger.toml          origin (= the signing key's name), plaintext_key, and
                              [checkpoints]: the publisher's cadence and witnesses
                              (ledger/witness/settings.py)
        ledger.db             the SQLite database, unless DLEDGER_DATABASE_URL says otherwise
        plant-key.json        the current signing key (see ledger.keys)
        retired-keys/         keys replaced by `dledger key rotate`, kept for the record
        evidence/             the evidence store (photos of key steps, ledger/evidence/),
                              unless dledger.toml's evidence_dir puts it elsewhere (a NAS)
"""

from __future__ import annotations

import base64
import os
import re
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlalchemy.exc import OperationalError

from ledger.events import PLANT_STATION, parse_event, utc_now_ms
from ledger.evidence.store import EvidenceStore
from ledger.keys import new_plant_signer, read_key, read_vkey, write_key
from ledger.log import Ledger, Submission
from ledger.note import Signer
from ledger.store import is_initialised, open_engine
from ledger.witness.settings import CheckpointSettings, SettingsError, witness_toml

CONFIG = "dledger.toml"
EVIDENCE_DIR = "evidence"
KEY_FILE = "plant-key.json"
DEFAULT_ORIGIN = "ledger.demo-plant.example/DEMO"
_ORIGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")


class InstanceError(Exception):
    """The instance folder is missing or inconsistent; the message says what to do."""


def check_origin(origin: str) -> None:
    if not _ORIGIN.match(origin):
        raise InstanceError(f"origin {origin!r} must look like ledger.example-plant.cn/CN3301 "
                            "(letters, digits, '.', '_', '-', '/'; no spaces or '+')")


@dataclass(frozen=True)
class Instance:
    home: Path
    origin: str
    database_url: str
    plaintext_key: bool
    checkpoints: CheckpointSettings = field(default_factory=CheckpointSettings)
    evidence_dir: Path | None = None  # None: <home>/evidence

    @classmethod
    def locate(cls, home: str | Path | None = None, *, new: bool = False) -> Instance:
        """The instance at `home`, $DLEDGER_HOME or ./instance, read from its dledger.toml;
        unless `new` (being made now), its database must hold a ledger (check_database)."""
        path = Path(home or os.environ.get("DLEDGER_HOME") or "instance").resolve()
        config_file = path / CONFIG
        try:
            config = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InstanceError(f"no instance at {path}: run `dledger init` (or set "
                                "DLEDGER_HOME)") from None
        plaintext = bool(config.get("plaintext_key"))
        instance = cls(path, config["origin"], database_url(path), plaintext,
                       checkpoint_settings(config, config_file),
                       evidence_dir(config, config_file, path))
        if not new:
            instance.check_database()
        return instance

    def check_database(self) -> None:
        """Refuse an instance whose database is gone or holds no ledger: SQLite would quietly
        make an empty file, and every command then fail on a missing table."""
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and \
                not Path(url.database).exists():
            raise InstanceError(f"the ledger's database {url.database} is missing: the instance "
                                f"at {self.home} has its settings and key but no ledger. Restore "
                                "the file from your backup (a new database would be another "
                                "ledger, which no checkpoint of this plant vouches for)")
        engine = self.engine()
        try:
            held = is_initialised(engine)
        except OperationalError as exc:
            raise InstanceError(f"cannot open the ledger's database "
                                f"{url.render_as_string(hide_password=True)}: {exc.orig}") \
                from None
        finally:
            engine.dispose()
        if not held:
            raise InstanceError(f"the database {url.render_as_string(hide_password=True)} holds "
                                f"no ledger: point DLEDGER_DATABASE_URL at this plant's "
                                f"database, or restore it from your backup")

    @property
    def key_file(self) -> Path:
        return self.home / KEY_FILE

    def evidence(self) -> EvidenceStore:
        """The plant's evidence store (photos of key steps)."""
        return EvidenceStore(self.evidence_dir or self.home / EVIDENCE_DIR)

    def engine(self) -> Engine:
        return open_engine(self.database_url)

    def ledger(self) -> Ledger:
        return Ledger(self.engine())

    def signer(self) -> Signer:
        return read_key(self.key_file, os.environ.get("DLEDGER_KEY_PASSPHRASE"),
                        allow_plaintext=self.plaintext_key)

    def vkey(self) -> str:
        return read_vkey(self.key_file)


def database_url(home: Path) -> str:
    return os.environ.get("DLEDGER_DATABASE_URL") or f"sqlite:///{home / 'ledger.db'}"


def evidence_dir(config: dict[str, object], config_file: Path, home: Path) -> Path | None:
    """dledger.toml's `evidence_dir`: a folder, relative to the instance or absolute."""
    value = config.get("evidence_dir")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InstanceError(f"{config_file}: evidence_dir = {value!r}: give the folder of the "
                            "evidence store as text, e.g. evidence_dir = \"/mnt/nas/evidence\"")
    return home / value


def checkpoint_settings(config: dict[str, object], config_file: Path) -> CheckpointSettings:
    try:
        return CheckpointSettings.parse(config.get("checkpoints"))
    except SettingsError as exc:
        raise InstanceError(f"{config_file}: {exc}") from None


def write_config(home: Path, origin: str, plaintext_key: bool,
                 witnesses: tuple[tuple[str, str], ...] = ()) -> None:
    """The instance's dledger.toml, with a [[checkpoints.witnesses]] table per (url, vkey)."""
    check_origin(origin)
    home.mkdir(parents=True, exist_ok=True)
    _replace_config(home, "# Dismantle Ledger instance settings (see ledger/instance.py)\n"
                    f'origin = "{origin}"\n'
                    f"plaintext_key = {'true' if plaintext_key else 'false'}\n"
                    + "".join(witness_toml(url, vkey) for url, vkey in witnesses))


def add_witness(home: Path, url: str, vkey: str) -> CheckpointSettings:
    """Append a witness to the instance's dledger.toml (comments and other settings stay);
    refuses, writing nothing, what would not parse. Returns the settings now in force."""
    config_file = home / CONFIG
    text = config_file.read_text(encoding="utf-8")
    new = text + ("" if text.endswith("\n") else "\n") + witness_toml(url, vkey)
    try:
        settings = checkpoint_settings(tomllib.loads(new), config_file)
    except tomllib.TOMLDecodeError as exc:
        raise InstanceError(f"{config_file} would not parse with the witness added ({exc}); "
                            "fix the file by hand") from None
    _replace_config(home, new)
    return settings


def _replace_config(home: Path, text: str) -> None:
    """Write dledger.toml atomically: a reader sees the old file or the new one."""
    temporary = home / f".{CONFIG}.{os.getpid()}.tmp"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, home / CONFIG)


RETIRED = "retired-keys"


def retired_vkeys(instance: Instance) -> list[str]:
    """Verifier keys of the plant keys replaced by rotation, oldest first."""
    folder = instance.home / RETIRED
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    return [read_vkey(path) for path in files]


def rotate_key(instance: Instance, operator: str, reason: str | None) -> str:
    """Replace the plant key: record `key.rotated` (endorsed by the old key), keep the old one.

    Old checkpoints stay verifiable with the old verifier key, which stays in the ledger and in
    retired-keys/. Returns the new verifier key.
    """
    old = instance.signer()
    new = new_plant_signer(instance.origin)
    passphrase = os.environ.get("DLEDGER_KEY_PASSPHRASE")
    staged = instance.home / "plant-key.next.json"
    staged.unlink(missing_ok=True)
    write_key(staged, new, passphrase, allow_plaintext=instance.plaintext_key)
    endorsement = old.private_key.sign(new.verifier.vkey.encode())
    data = {"old_vkey": old.verifier.vkey, "new_vkey": new.verifier.vkey,
            "endorsement": base64.b64encode(endorsement).decode()}
    if reason:
        data["reason"] = reason
    event = parse_event({"id": str(uuid.uuid4()), "type": "key.rotated", "time": utc_now_ms(),
                         "station": PLANT_STATION, "operator": operator,
                         "subject": f"key:{old.verifier.key_id.hex()}", "data": data})
    instance.ledger().append([Submission(event)])
    retired = instance.home / RETIRED
    retired.mkdir(exist_ok=True)
    instance.key_file.rename(retired / f"{old.verifier.key_id.hex()}.json")
    staged.rename(instance.key_file)
    return new.verifier.vkey
