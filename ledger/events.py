"""What a station or the console says happened: the event envelope and one model per type.

The ledger stores an event's bytes exactly as submitted (canonicalized), so these models only
*validate*: strict types (no floats, no strings for numbers), no unknown fields, integer grams.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from ledger.canonical import NotCanonicalizable, canonical_bytes
from ledger.fund.nameplate import FIELDS as NAMEPLATE
from ledger.note import NoteError, Verifier
from ledger.rules.codes import (
    ABSENT_REASONS,
    AC_TYPES,
    DISPLAYS,
    FLAG_CODES,
    OPERATOR_ROLES,
    PC_TYPES,
    PHOTO_TYPES,
    RESOLUTIONS,
    SOURCES,
    SUBJECT_NAME,
    VOUCHER_KINDS,
    WASHER_TYPES,
)
from ledger.tiles import MAX_ENTRY
from ledger.uscc import PATTERN as USCC_PATTERN
from ledger.uscc import problem as uscc_problem

# The console and command line speak as this station; their events carry no station signature.
PLANT_STATION = "PLANT"

# An entry must fit a tlog-tiles entry bundle (MAX_ENTRY, 65,535 bytes). Its envelope
# (ledger.log.entry_bytes: index, logged, prev, station_sig, subject_prev) adds at most about
# 330 bytes to the event's canonical bytes; ENTRY_ENVELOPE leaves room for that.
ENTRY_ENVELOPE = 1_024
MAX_EVENT_BYTES = MAX_ENTRY - ENTRY_ENVELOPE

Grams = Annotated[int, Field(strict=True, ge=0, le=10**9)]
PositiveGrams = Annotated[int, Field(strict=True, gt=0, le=10**9)]
Code = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$")]
Text = Annotated[str, Field(strict=True, min_length=1, max_length=500)]
Index = Annotated[int, Field(strict=True, ge=0)]
Base64 = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=200)]
Hex256 = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]
Refrigerant = Annotated[
    str, Field(strict=True, pattern=r"^(R-[0-9]{2,4}[A-Za-z]{0,2}|HCFC-141b|cyclopentane)$")
]

UnitLabel = Annotated[str, Field(strict=True, pattern=f"^{SUBJECT_NAME}$")]


def _nameplate_number(name: str) -> Any:
    """A nameplate figure's type, with the bounds ledger/fund/nameplate.py gives it."""
    field = NAMEPLATE[name]
    return Annotated[int, Field(strict=True, ge=field.low, le=field.high)]


SUBJECT_PREFIXES = ("unit", "lot", "cylinder", "scale", "cert", "key", "station", "catalogue",
                    "count", "camera", "plant", "operator", "receiver")
SUBJECT_PATTERN = rf"^({'|'.join(SUBJECT_PREFIXES)}):({SUBJECT_NAME})$"


class EventError(ValueError):
    """An event is not acceptable; `field` names the offending field (dotted) when known."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Time = Annotated[str, Field(strict=True, pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]


class Photo(_Data):
    """A still taken at the step: its file is in the plant's evidence store under its hash
    (ledger/evidence/store.py), so the signed event vouches for the picture."""

    sha256: Hex256
    media_type: Literal[PHOTO_TYPES]  # type: ignore[valid-type]


class EvidenceReference(_Data):
    """Where a key step can be seen (codes.EVIDENCE_STEPS): the cameras of the register that
    watch the station, the window of their recording that shows it (UTC, from the step's
    start to its event time), and the photos the station took."""

    cameras: Annotated[list[Code], Field(max_length=8)]
    start: Time
    end: Time
    photos: Annotated[list[Photo], Field(max_length=8)] = []

    @model_validator(mode="after")
    def _window(self) -> EvidenceReference:
        if self.end < self.start:
            raise ValueError(f"the window ends ({self.end}) before it starts ({self.start})")
        if not self.cameras and not self.photos:
            raise ValueError("an evidence reference names a camera or a photo; leave "
                             "evidence out when the step has neither")
        return self


class UnitReceived(_Data):
    category: Code
    gross_g: PositiveGrams
    scale: Code
    source: Literal[SOURCES]  # type: ignore[valid-type]
    trade_in_code: Code | None = None
    brand: Text | None = None
    model: Text | None = None
    serial: Text | None = None
    nameplate_refrigerant: Refrigerant | None = None
    nameplate_charge_g: Grams | None = None
    # What decides the fund sub-class (ledger/fund/): read off the nameplate at intake.
    screen_in: _nameplate_number("screen_in") | None = None  # type: ignore[valid-type]
    display: Literal[DISPLAYS] | None = None  # type: ignore[valid-type]
    volume_l: _nameplate_number("volume_l") | None = None  # type: ignore[valid-type]
    washer_type: Literal[WASHER_TYPES] | None = None  # type: ignore[valid-type]
    dry_load_g: _nameplate_number("dry_load_g") | None = None  # type: ignore[valid-type]
    ac_type: Literal[AC_TYPES] | None = None  # type: ignore[valid-type]
    cooling_w: _nameplate_number("cooling_w") | None = None  # type: ignore[valid-type]
    pc_type: Literal[PC_TYPES] | None = None  # type: ignore[valid-type]
    set_with: UnitLabel | None = None  # the other half of a desktop set (host or monitor)
    evidence: EvidenceReference | None = None


class UnitStored(_Data):
    """The unit was put in a storage zone (the catalogue's `zones`) to await dismantling."""

    zone: Code


class UnitSetAside(_Data):
    """The unit is put aside, not to be dismantled until taken back (a dispute, a unit held
    for an inspector, a hazard to be assessed); optionally into a zone."""

    reason: Text
    zone: Code | None = None


class UnitTakenBack(_Data):
    note: Text | None = None


class RefrigerantRecovered(_Data):
    refrigerant: Refrigerant
    cylinder: Code
    cylinder_gross_before_g: PositiveGrams
    cylinder_gross_after_g: PositiveGrams
    recovered_g: Grams
    scale: Code
    nameplate_charge_g: Grams | None = None
    evidence: EvidenceReference | None = None

    @model_validator(mode="after")
    def _difference(self) -> RefrigerantRecovered:
        if self.recovered_g != self.cylinder_gross_after_g - self.cylinder_gross_before_g:
            raise ValueError(
                f"recovered_g {self.recovered_g} is not cylinder_gross_after_g - "
                f"cylinder_gross_before_g = "
                f"{self.cylinder_gross_after_g - self.cylinder_gross_before_g}"
            )
        return self


class RefrigerantAbsent(_Data):
    reason: Literal[ABSENT_REASONS]  # type: ignore[valid-type]
    note: Text | None = None


class ComponentRemoved(_Data):
    component: Code
    count: Annotated[int, Field(strict=True, ge=1, le=10_000)] | None = None
    mass_g: Grams | None = None
    scale: Code | None = None
    lot: Code | None = None
    evidence: EvidenceReference | None = None

    @model_validator(mode="after")
    def _weighed(self) -> ComponentRemoved:
        if self.mass_g is not None and self.scale is None:
            raise ValueError("mass_g needs the scale it was weighed on")
        return self


class MaterialOutput(_Data):
    fraction: Code
    mass_g: PositiveGrams
    lot: Code
    scale: Code
    evidence: EvidenceReference | None = None


class UnitCompleted(_Data):
    """Completion carries no flags: the ledger computes them from the unit's record
    (ledger/rules/flags.py); a writer cannot declare fewer."""

    note: Text | None = None


class LotOpened(_Data):
    fraction: Code
    hazardous: StrictBool
    container: Code | None = None


class LotSealed(_Data):
    net_g: Grams
    scale: Code | None = None
    evidence: EvidenceReference | None = None


# A receiver's unified social credit code (GB 32100-2015; the check character is checked
# where the code is the subject, receiver:<code>, and the register's rules judge the rest).
CreditCode = Annotated[str, Field(strict=True, pattern=f"^{USCC_PATTERN}$")]


def _one_receiver(data: LotShipped | LotReceived) -> None:
    """A shipment names its receiver by the register's code (receiver_code), or, as entries
    written before the register did, by a free-text name (receiver): one of the two."""
    if (data.receiver is None) == (data.receiver_code is None):
        raise ValueError("name the receiver by its register code (receiver_code) alone; "
                         "receiver is the free-text name of entries before the register")


class LotShipped(_Data):
    manifest_no: Code
    receiver_code: CreditCode | None = None
    receiver: Text | None = None  # before the register: a free-text name
    receiver_licence: Text | None = None  # before the register: the register holds it now
    vehicle: Text | None = None
    evidence: EvidenceReference | None = None

    @model_validator(mode="after")
    def _receiver(self) -> LotShipped:
        _one_receiver(self)
        if self.receiver_code is not None and self.receiver_licence is not None:
            raise ValueError("a registered receiver's licence is in the register: leave "
                             "receiver_licence out")
        return self


class LotReceived(_Data):
    manifest_no: Code
    received_g: Grams
    receiver_code: CreditCode | None = None
    receiver: Text | None = None  # before the register: a free-text name

    @model_validator(mode="after")
    def _receiver(self) -> LotReceived:
        _one_receiver(self)
        return self


# A hazardous-waste code of the national list (国家危险废物名录): its class, as HW49, and
# optionally its eight-digit waste code, as HW49 900-045-49.
HazardousWasteCode = Annotated[
    str, Field(strict=True, pattern=r"^HW[0-9]{2}( [0-9]{3}-[0-9]{3}-[0-9]{2})?$")]
UtcTime = Annotated[str, Field(strict=True,
                               pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]


class ReceiverEntry(_Data):
    """A downstream receiver in the plant's register (receiver:<unified social credit code>):
    who it is and what its licence lets it take, from when until when (UTC; the console
    turns the licence's dates into the plant's midnights). An update states the whole entry
    again; the latest in force at a shipment is what judges it (ledger/rules/receivers.py)."""

    legal_name: Text
    licence_no: Text
    fractions: Annotated[list[Code], Field(min_length=1, max_length=200)]
    hw_codes: Annotated[list[HazardousWasteCode], Field(max_length=200)] = []
    valid_from: UtcTime
    valid_until: UtcTime
    address: Text

    @model_validator(mode="after")
    def _entry(self) -> ReceiverEntry:
        for name in ("fractions", "hw_codes"):
            values = getattr(self, name)
            again = next((v for v in values if values.count(v) > 1), None)
            if again is not None:
                raise ValueError(f"{name} lists {again!r} twice")
        for name in ("valid_from", "valid_until"):
            _check_time(getattr(self, name), name)
        if self.valid_until <= self.valid_from:
            raise ValueError(f"valid_until {self.valid_until} is not after valid_from "
                             f"{self.valid_from}")
        return self


Money = Annotated[str, Field(strict=True, pattern=r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$")]
UnitPrice = Annotated[str, Field(strict=True, pattern=r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,4})?$")]
GRAMS_PER_TONNE = 1_000_000


def voucher_amount(price_per_t: str, quantity_g: int) -> Decimal:
    """What a voucher's quantity at its price comes to: price per tonne × grams / 10^6, to
    the cent, half up (exact decimals; the verifier computes it the same way)."""
    exact = Decimal(price_per_t) * quantity_g / GRAMS_PER_TONNE
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class LotVoucher(_Data):
    """A sales or disposal voucher (销售凭证, 处置凭证) or invoice for a shipped lot: what the
    receiver paid for it (sale) or was paid to treat it (disposal), so that the goods, the
    records and the money (物流, 信息流, 资金流) can be reconciled lot by lot."""

    kind: Literal[VOUCHER_KINDS]  # type: ignore[valid-type]
    voucher_no: Code
    counterparty: CreditCode  # the register's code of the lot's receiver
    quantity_g: PositiveGrams
    price_per_t: UnitPrice  # decimal text, the currency's units per tonne
    amount: Money  # decimal text to the cent: price_per_t × quantity (voucher_amount)
    currency: Annotated[str, Field(strict=True, pattern=r"^[A-Z]{3}$")]  # ISO 4217
    note: Text | None = None

    @model_validator(mode="after")
    def _amount(self) -> LotVoucher:
        expected = voucher_amount(self.price_per_t, self.quantity_g)
        if self.amount != str(expected):
            raise ValueError(f"amount {self.amount} is not price_per_t {self.price_per_t} × "
                             f"{self.quantity_g} g = {expected}")
        return self


class LotStored(_Data):
    """The lot was put in a storage zone: a hazardous lot only in a hazardous-waste store."""

    zone: Code


Units = Annotated[int, Field(strict=True, ge=0, le=10**7)]


class CountedUnits(_Data):
    zone: Code
    category: Code
    units: Units


class CountedFraction(_Data):
    fraction: Code
    mass_g: Grams


class StockCounted(_Data):
    """A physical stock count (期末存货盘点): units per zone and category, and the mass of
    each fraction awaiting shipment. Every category not listed in a zone that is, counts 0
    there; a fraction not listed was not counted. The book it is held against is computed
    (ledger/fund/stock.py), never declared."""

    units: Annotated[list[CountedUnits], Field(max_length=2_000)]
    fractions: Annotated[list[CountedFraction], Field(max_length=500)]
    counted_by: Text
    note: Text | None = None

    @model_validator(mode="after")
    def _once_each(self) -> StockCounted:
        lines = [(u.zone, u.category) for u in self.units]
        twice = next((line for line in lines if lines.count(line) > 1), None)
        if twice:
            raise ValueError(f"zone {twice[0]!r}, category {twice[1]!r} is counted twice")
        fractions = [f.fraction for f in self.fractions]
        again = next((f for f in fractions if fractions.count(f) > 1), None)
        if again:
            raise ValueError(f"fraction {again!r} is counted twice")
        if not lines and not fractions:
            raise ValueError("a stock count counts at least one zone or fraction")
        return self


class StockAdjusted(_Data):
    """A manager's reasoned explanation of one difference a stock count found: a zone and
    category of units (zone null: units in no zone), or a fraction. The book adds the
    difference from the count's moment on."""

    zone: Code | None = None
    category: Code | None = None
    fraction: Code | None = None
    # counted - book for the line, as the manager saw it (units, or grams of a fraction);
    # the book recomputes it, and any part left over stays unexplained (ledger/fund/stock.py)
    difference: Annotated[int, Field(strict=True, ge=-10**12, le=10**12)]
    reason: Text
    approved_by: Code

    @model_validator(mode="after")
    def _one_line(self) -> StockAdjusted:
        if (self.fraction is None) == (self.category is None):
            raise ValueError("an adjustment names either a category (with its zone) or a "
                             "fraction")
        if self.fraction is not None and self.zone is not None:
            raise ValueError("a fraction's count has no zone: leave zone out")
        return self


class ScaleCalibrated(_Data):
    reference_g: PositiveGrams
    reading_g: Grams
    tolerance_g: Grams
    passed: StrictBool
    reference_certificate: Text | None = None

    @model_validator(mode="after")
    def _verdict(self) -> ScaleCalibrated:
        within = abs(self.reading_g - self.reference_g) <= self.tolerance_g
        if self.passed != within:
            raise ValueError(f"passed is {self.passed} but the reading is "
                             f"{'within' if within else 'outside'} tolerance")
        return self


class CylinderRegistered(_Data):
    refrigerant: Refrigerant
    tare_g: PositiveGrams
    water_capacity_g: PositiveGrams
    max_gross_g: PositiveGrams


class StationRegistered(_Data):
    public_key: Base64
    name: Text
    approved_by: Code


class StationRevoked(_Data):
    reason: Text
    approved_by: Code


class KeyRotated(_Data):
    old_vkey: Annotated[str, Field(strict=True, max_length=300)]
    new_vkey: Annotated[str, Field(strict=True, max_length=300)]
    endorsement: Base64  # the old key's signature over the new verifier key
    reason: Text | None = None

    @model_validator(mode="after")
    def _endorsed(self) -> KeyRotated:
        try:
            old, new = Verifier.parse(self.old_vkey), Verifier.parse(self.new_vkey)
            signature = base64.b64decode(self.endorsement, validate=True)
        except (NoteError, ValueError) as exc:
            raise ValueError(f"old_vkey, new_vkey and endorsement must be valid: {exc}") from None
        if old.name != new.name:
            raise ValueError(f"the new key is named {new.name!r}, not {old.name!r} (the origin)")
        if not old.verifies(self.new_vkey.encode(), signature):
            raise ValueError("endorsement is not the old key's signature over new_vkey")
        return self


class CataloguePublished(_Data):
    """The process catalogue in force from this entry on (ledger/catalogue.py content)."""

    version: Text
    sha256: Hex256  # of the content's RFC 8785 bytes
    content: dict[str, Any]


class FlagReviewed(_Data):
    """A manager's reasoned decision on a computed flag: credit the unit (or lot) despite
    it, or exclude it. The flag itself stays; the latest review of it wins."""

    flag: Literal[FLAG_CODES]  # type: ignore[valid-type]
    key: Code | None = None  # the fraction or scale the flag is about
    resolution: Literal[RESOLUTIONS]  # type: ignore[valid-type]
    reason: Text
    approved_by: Code


class AttemptRefused(_Data):
    """Something a station refused (a duplicate label or trade-in code, a wrong cylinder...),
    kept as a record: which rule, what was attempted, about what, with the rule's figures."""

    rule: Code
    attempted: Code  # the event type that was refused
    about: Annotated[str, Field(strict=True, pattern=SUBJECT_PATTERN)]
    params: dict[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")],
                 Annotated[int, Field(strict=True)] | Text | None]


class CameraRegistered(_Data):
    """A camera of the plant's register: the station or storage zone it watches and the
    recorder (NVR) that keeps its video; registering it again moves or renames it."""

    watches: Code  # a station id or a storage zone's code
    recorder: Text  # the NVR's name, as the plant finds its clips
    channel: Code | None = None  # the recorder's channel for this camera
    still: StrictBool = False  # it also takes the station's photos


class CameraRetired(_Data):
    reason: Text
    approved_by: Code


class EvidenceExcused(_Data):
    """A manager's reason why a unit's key steps lack the evidence the catalogue requires
    (a camera down): the unit may then be completed, and is flagged (evidence_excused)."""

    reason: Text
    approved_by: Code


class CertificateIssued(_Data):
    kind: Literal["unit", "period", "lot", "fund_table"]
    sha256: Hex256


class CertificateRevoked(_Data):
    sha256: Hex256
    reason: Text
    approved_by: Code


CorrectionValue = (
    Annotated[int, Field(strict=True)] | Annotated[str, Field(strict=True)] | StrictBool | None
)


class Correction(_Data):
    corrects: Index
    reason: Text
    approved_by: Code
    set: dict[Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")], CorrectionValue] | None = None
    void: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Correction:
        if (self.set is None) == (self.void is None):
            raise ValueError("a correction either sets fields ('set') or voids the entry ('void')")
        return self


# -- the plant's identity and its operators register -----------------------------------------

DayText = Annotated[str, Field(strict=True, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class PlantIdentified(_Data):
    """The plant's legal identity, in force from this entry until a later one replaces it
    (subject plant:identity): what every certificate states about who issued it. The rules
    check the credit code's check characters and the licence's dates (ledger/rules/identity)."""

    legal_name: Text  # 企业名称, as on the business licence (营业执照)
    legal_name_en: Text | None = None
    address: Text
    uscc: Code  # 统一社会信用代码 (GB 32100-2015)
    licence_no: Text  # 废弃电器电子产品处理资格证书编号
    licence_issuer: Text | None = None
    licence_valid_from: DayText
    licence_valid_until: DayText
    approved_by: Code


class Qualification(_Data):
    """A certificate a person holds for their work (特种作业操作证, a training record...)."""

    title: Text
    number: Text
    issuer: Text | None = None
    valid_from: DayText | None = None
    valid_until: DayText | None = None


class OperatorRegistered(_Data):
    """A named person under an operator code (subject operator:<code>, the code events
    carry in `operator`); a later registration of the code replaces it."""

    name: Text
    name_en: Text | None = None
    roles: Annotated[list[Literal[OPERATOR_ROLES]],  # type: ignore[valid-type]
                     Field(min_length=1, max_length=len(OPERATOR_ROLES))]
    qualifications: Annotated[list[Qualification], Field(max_length=20)] = []
    approved_by: Code

    @model_validator(mode="after")
    def _roles_once(self) -> OperatorRegistered:
        twice = next((r for r in self.roles if self.roles.count(r) > 1), None)
        if twice:
            raise ValueError(f"role {twice!r} is listed twice")
        return self


class OperatorRetired(_Data):
    """The person under this operator code no longer works at the plant."""

    reason: Text
    approved_by: Code


@dataclass(frozen=True)
class EventType:
    data: type[_Data]
    subject: str  # the subject prefix this type is about
    plant_only: bool = False  # only the console (station PLANT) may say it


EVENT_TYPES: dict[str, EventType] = {
    "unit.received": EventType(UnitReceived, "unit"),
    "refrigerant.recovered": EventType(RefrigerantRecovered, "unit"),
    "refrigerant.absent": EventType(RefrigerantAbsent, "unit"),
    "component.removed": EventType(ComponentRemoved, "unit"),
    "material.output": EventType(MaterialOutput, "unit"),
    "unit.completed": EventType(UnitCompleted, "unit"),
    "unit.stored": EventType(UnitStored, "unit"),
    "unit.set_aside": EventType(UnitSetAside, "unit"),
    "unit.taken_back": EventType(UnitTakenBack, "unit"),
    "lot.opened": EventType(LotOpened, "lot"),
    "lot.sealed": EventType(LotSealed, "lot"),
    "lot.shipped": EventType(LotShipped, "lot"),
    "lot.received": EventType(LotReceived, "lot"),
    "lot.stored": EventType(LotStored, "lot"),
    "lot.voucher": EventType(LotVoucher, "lot", plant_only=True),
    "receiver.registered": EventType(ReceiverEntry, "receiver", plant_only=True),
    "receiver.updated": EventType(ReceiverEntry, "receiver", plant_only=True),
    "stock.counted": EventType(StockCounted, "count", plant_only=True),
    "stock.adjusted": EventType(StockAdjusted, "count", plant_only=True),
    "scale.calibrated": EventType(ScaleCalibrated, "scale"),
    "cylinder.registered": EventType(CylinderRegistered, "cylinder"),
    "station.registered": EventType(StationRegistered, "station", plant_only=True),
    "station.revoked": EventType(StationRevoked, "station", plant_only=True),
    "key.rotated": EventType(KeyRotated, "key", plant_only=True),
    "catalogue.published": EventType(CataloguePublished, "catalogue", plant_only=True),
    "flag.reviewed": EventType(FlagReviewed, "*", plant_only=True),
    "attempt.refused": EventType(AttemptRefused, "station"),
    "camera.registered": EventType(CameraRegistered, "camera", plant_only=True),
    "camera.retired": EventType(CameraRetired, "camera", plant_only=True),
    "evidence.excused": EventType(EvidenceExcused, "unit", plant_only=True),
    "certificate.issued": EventType(CertificateIssued, "cert", plant_only=True),
    "certificate.revoked": EventType(CertificateRevoked, "cert", plant_only=True),
    "correction": EventType(Correction, "*", plant_only=True),
    "plant.identified": EventType(PlantIdentified, "plant", plant_only=True),
    "operator.registered": EventType(OperatorRegistered, "operator", plant_only=True),
    "operator.retired": EventType(OperatorRetired, "operator", plant_only=True),
}

ENVELOPE_FIELDS = ("id", "type", "time", "station", "operator", "subject", "data")
# Identifiers are matched whole (re.fullmatch): "$" alone would let a final newline through.
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_STATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_OPERATOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
SUBJECT = re.compile(SUBJECT_PATTERN)  # a subject, matched whole


@dataclass(frozen=True)
class Event:
    """A validated event: its JSON object as submitted and its canonical bytes.

    Made by `validate`, which checks the envelope's fields, or from an entry of the log (checked
    when it was appended): the casts below say so.
    """

    obj: dict[str, Any]
    canonical: bytes

    @property
    def id(self) -> str:
        return cast(str, self.obj["id"])

    @property
    def type(self) -> str:
        return cast(str, self.obj["type"])

    @property
    def subject(self) -> str:
        return cast(str, self.obj["subject"])

    @property
    def station(self) -> str:
        return cast(str, self.obj["station"])

    @property
    def data(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.obj["data"])


def parse_event(obj: Any) -> Event:
    """Validate a submitted event object; raise EventError naming the field and value."""
    if not isinstance(obj, dict):
        raise EventError(f"an event is a JSON object, not {type(obj).__name__}")
    missing = [f for f in ENVELOPE_FIELDS if f not in obj]
    if missing:
        raise EventError(f"missing field {missing[0]!r}", missing[0])
    unknown = sorted(set(obj) - set(ENVELOPE_FIELDS))
    if unknown:
        raise EventError(f"unknown field {unknown[0]!r}; an event has {', '.join(ENVELOPE_FIELDS)}",
                         unknown[0])
    _check_id(obj["id"])
    etype = EVENT_TYPES.get(obj["type"]) if isinstance(obj["type"], str) else None
    if etype is None:
        raise EventError(f"unknown type {obj['type']!r}; known types: {', '.join(EVENT_TYPES)}",
                         "type")
    _check_time(obj["time"])
    _check_pattern(obj, "station", _STATION, "letters, digits, '.', '_' or '-', at most 32")
    _check_pattern(obj, "operator", _OPERATOR, "letters, digits, '.', '_', '@' or '-'")
    _check_pattern(obj, "subject", SUBJECT, "prefix:name, prefix one of "
                   f"{', '.join(SUBJECT_PREFIXES)}")
    prefix = obj["subject"].split(":", 1)[0]
    if etype.subject != "*" and prefix != etype.subject:
        raise EventError(f"a {obj['type']} event is about a {etype.subject}:..., "
                         f"not {obj['subject']!r}", "subject")
    if prefix == "receiver" and (wrong := uscc_problem(obj["subject"].split(":", 1)[1])):
        raise EventError(f"subject: {wrong}", "subject")
    if etype.plant_only and obj["station"] != PLANT_STATION:
        raise EventError(f"only the console ({PLANT_STATION}) may record {obj['type']}, "
                         f"not station {obj['station']!r}", "station")
    if obj["type"] == "unit.completed" and isinstance(obj["data"], dict) \
            and "flags" in obj["data"]:
        raise EventError("data.flags: flags are computed by the ledger from the unit's record, "
                         "never declared; leave them out", "data.flags")
    try:
        etype.data.model_validate(obj["data"])
    except ValidationError as exc:
        raise _data_error(exc) from None
    try:
        canonical = canonical_bytes(obj)
    except NotCanonicalizable as exc:
        raise EventError(str(exc)) from None
    if len(canonical) > MAX_EVENT_BYTES:
        raise EventError(f"the event is {len(canonical):,} bytes of canonical JSON; an event "
                         f"is at most {MAX_EVENT_BYTES:,}, so that its entry fits the log's "
                         f"tiles (c2sp.org/tlog-tiles entries: at most {MAX_ENTRY:,} bytes). "
                         "Make it smaller (a catalogue: fewer or shorter names and notes)",
                         "data")
    return Event(obj, canonical)


def _check_id(value: Any) -> None:
    try:
        ok = isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        ok = False
    if not ok:
        raise EventError(f"id {value!r} is not a UUID in lower-case canonical form", "id")


def _check_time(value: Any, field: str = "time") -> None:
    ok = isinstance(value, str) and bool(_TIME.fullmatch(value))
    if ok:
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
        except ValueError:
            ok = False
    if not ok:
        raise EventError(f"{field} {value!r} is not UTC with milliseconds, "
                         "like 2026-11-21T08:15:30.123Z", field)


def _check_pattern(obj: dict[str, Any], field: str, pattern: re.Pattern[str], rule: str) -> None:
    value = obj[field]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise EventError(f"{field} {value!r} is not valid: {rule}", field)


def _data_error(exc: ValidationError) -> EventError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    field = f"data.{loc}" if loc else "data"
    if err["type"] == "extra_forbidden":
        return EventError(f"unknown field {field!r}", field)
    if err["type"] == "missing":
        return EventError(f"missing field {field!r}", field)
    value = err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    if not loc:
        return EventError(f"data: {message}", "data")
    return EventError(f"{field} {value!r}: {message}", field)


def utc_now_ms() -> str:
    """The current UTC time in the ledger's millisecond format."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
