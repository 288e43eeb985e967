"""What a certificate states, derived from `(entry index, event)` pairs alone.

The builder derives statements from the entries it puts in a certificate; the verifier derives
them again from the entries it received and compares field by field. So this module is the one
definition of every figure, and it uses the standard library and the ledger's pure modules
only (ledger.gwp, ledger.corrections, ledger.catalogue, ledger.rules, ledger.fund).

Corrections fold as everywhere else (ledger.corrections), and each unit and lot is judged by
the plant's rules (ledger.rules.judge) against the catalogue in force that the certificate
carries (its catalogue.published entries), with the scale checks it carries: the flags are
computed here, never copied from what a writer declared (docs/rules.md). A unit's fund class
is ledger.fund.classify's, by the same catalogue. Every figure names
the entry index(es) it comes from (`entry`, `entries`). No floats: grams, counts, and CO2e in
integer grams with the GWP factor stated as a decimal string.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger import gwp
from ledger.canonical import canonical_bytes
from ledger.catalogue import Catalogue, decimal_text
from ledger.corrections import Pair, fold
from ledger.fund import stock
from ledger.fund.classify import FundClass, class_of
from ledger.fund.nameplate import FIELDS as NAMEPLATE_FIELDS
from ledger.register import IDENTITY_SUBJECT, OPERATOR_PREFIX, identity_record, operator_record
from ledger.rules import evidence as rule_evidence
from ledger.rules import judge
from ledger.rules.codes import STATUSES
from ledger.rules.facts import Partners, UnitFacts, facts_below
from ledger.rules.reasons import Refusal
from ledger.rules.receivers import Register, named_receivers

DEFAULT_BASIS = "AR4"
CATALOGUE_SUBJECT = "catalogue:process"  # ledger.log.CATALOGUE_SUBJECT (not importable here)


class StatementError(ValueError):
    """The entries cannot support the statements asked for; the message says why."""


def _who(index: int, event: dict[str, Any]) -> dict[str, Any]:
    return {"time": event["time"], "station": event["station"], "operator": event["operator"],
            "entry": index}


def _pick(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data.get(name) for name in names}


# -- CO2e -----------------------------------------------------------------------------------

def co2e(gas: str, grams: int, basis: str) -> dict[str, Any]:
    """The GWP factor stated as text and CO2e in integer grams (half up), or nulls if unknown."""
    factor = gwp.factor(gas)
    if factor is None:
        return {"gwp": None, "gwp_conventional": None, "co2e_g": None}
    value = factor.of(basis)
    grams_co2e = int((Decimal(grams) * value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {"gwp": str(value), "gwp_conventional": factor.conventional, "co2e_g": grams_co2e}


def _check_basis(basis: str) -> None:
    if basis not in gwp.BASES:
        raise StatementError(f"GWP basis {basis!r}: use one of {', '.join(gwp.BASES)}")


# -- the rules' judgement -------------------------------------------------------------------

@dataclass(frozen=True)
class Published:
    """One catalogue.published entry the certificate carries."""

    entry: int
    version: str
    sha256: str
    catalogue: Catalogue


class SetIntakes:
    """The intakes that name a desktop set (a `unit.received` with `set_with`) among the
    entries, and the corrections of them, per unit, kept as the entries go by: what the rule
    of a set's completion reads of its other half (ledger.rules.sets), below the completing
    entry. An intake naming no set is not kept: it cannot name a unit back."""

    def __init__(self) -> None:
        self.intakes: dict[str, dict[int, dict[str, Any]]] = {}  # label -> index -> event

    def see(self, index: int, event: dict[str, Any]) -> None:
        kind, _, label = event["subject"].partition(":")
        if kind != "unit":
            return
        if event["type"] == "unit.received" and "set_with" in event["data"]:
            self.intakes.setdefault(label, {})[index] = event
        elif event["type"] == "correction" and event["data"]["corrects"] in \
                self.intakes.get(label, {}):
            self.intakes[label][index] = event

    def see_bytes(self, index: int, body: bytes) -> None:
        """`see` an entry given as its bytes, parsed only when it may be kept: its canonical
        JSON spells an intake naming a set with "set_with" and a correction with
        "type":"correction" (so a quarter's other entries are not parsed twice)."""
        if b'"set_with"' in body or b'"type":"correction"' in body:
            self.see(index, json.loads(body)["event"])

    def partner(self, label: str, before: int) -> UnitFacts:
        """ledger.rules.facts.Partners over the intakes seen."""
        return facts_below(label, sorted(self.intakes.get(label, {}).items()), before)

    def named_by(self, label: str) -> tuple[str, list[Pair]] | None:
        """What judging unit `label` reads of the unit its intake names as its set: that
        unit's label and intakes seen so far (None: it names none), so that `label` can be
        judged apart from this object (in a worker process, by partners_of)."""
        partner = set_partner(sorted(self.intakes.get(label, {}).items()))
        if partner is None:
            return None
        return partner, sorted(self.intakes.get(partner, {}).items())


def partners_of(named: tuple[str, list[Pair]] | None) -> Partners:
    """ledger.rules.facts.Partners over one unit's intakes (SetIntakes.named_by)."""
    def partner(label: str, before: int) -> UnitFacts:
        pairs = named[1] if named is not None and named[0] == label else []
        return facts_below(label, pairs, before)
    return partner


def set_partner(chain: Iterable[Pair]) -> str | None:
    """The unit that a unit's record names as the other half of its set: its first effective
    intake's `set_with` (the chain a certificate carries beside the unit's)."""
    intake = next((e for _, e in fold(chain)[0] if e["type"] == "unit.received"), None)
    return None if intake is None else intake["data"].get("set_with")


class Evidence:
    """What a judgement reads besides the subject's own chain: the catalogues and the scale
    checks among the certificate's entries (read once for a whole period report), the stock
    counts a fund table holds against the book, the intakes naming desktop sets (`sets`: fed
    the units' entries as they go by, when the evidence is read before them), and the
    register of receivers a lot's shipment is judged by."""

    def __init__(self, pairs: Iterable[Pair]):
        self.catalogues: list[Published] = []
        self.sets = SetIntakes()
        scales: dict[str, list[Pair]] = {}
        counts: dict[str, list[Pair]] = {}
        self.identity: list[Pair] = []  # the plant:identity chain
        self.operators: dict[str, list[Pair]] = {}  # operator code -> its chain
        receivers: list[Pair] = []
        for index, event in sorted(pairs, key=lambda pair: pair[0]):
            kind = event["subject"].partition(":")[0]
            self.sets.see(index, event)
            if event["subject"] == CATALOGUE_SUBJECT and event["type"] == "catalogue.published":
                self.catalogues.append(_published(index, event))
            elif event["subject"] == IDENTITY_SUBJECT:
                self.identity.append((index, event))
            elif kind == "operator":
                self.operators.setdefault(event["subject"][len(OPERATOR_PREFIX):], []).append(
                    (index, event))
            elif kind == "scale":
                scales.setdefault(event["subject"][len("scale:"):], []).append((index, event))
            elif kind == "count":
                counts.setdefault(event["subject"][len("count:"):], []).append((index, event))
            elif kind == "receiver":
                receivers.append((index, event))
        self.checks = {scale: [(i, e["time"]) for i, e in fold(chain)[0]
                               if e["type"] == "scale.calibrated" and e["data"]["passed"]]
                       for scale, chain in scales.items()}
        # per scale, the latest time among its first n + 1 checks (last_pass)
        self._latest: dict[str, list[str]] = {
            scale: list(accumulate((t for _, t in checks), max))
            for scale, checks in self.checks.items()}
        found = (stock.count_record(name, chain) for name, chain in counts.items())
        self.counts = [count for count in found if count is not None]
        self.register = Register(receivers)  # the receivers' chains carried

    def plant_identity(self) -> dict[str, Any] | None:
        """The plant's identity in force at the certificate's checkpoint (the latest the
        plant:identity chain carried gives), as every certificate states it."""
        return identity_record(self.identity)

    def operator_register(self, codes: Iterable[str]) -> dict[str, Any]:
        """The register's entry of each operator code (None: not registered), as a
        certificate naming those operators states them."""
        return {code: operator_record(self.operators.get(code, [])) for code in sorted(codes)}

    def in_force(self, position: int | None) -> Published:
        """The catalogue in force at entry `position` (None: the latest carried): the latest
        published below it, else the first (records older than any catalogue)."""
        if not self.catalogues:
            raise StatementError("the entries hold no catalogue.published entry, so nothing "
                                 "can be judged: publish the plant's catalogue (dledger "
                                 "catalogue publish) and build the certificate again")
        below = [c for c in self.catalogues if position is None or c.entry < position]
        return below[-1] if below else self.catalogues[0]

    def last_pass(self, scale: str, at: str, index: int | None) -> str | None:
        """ledger.rules.flags.LastPass over the scale checks carried. Called for every
        weighing of a quarter: the checks logged before `index` are found by bisection, and
        their latest time is the answer unless it is after `at` (a check logged before the
        weighing but stamped later), when they are searched."""
        checks = self.checks.get(scale, [])
        logged = len(checks) if index is None else bisect_left(checks, (index, ""))
        if not logged:
            return None
        latest = self._latest[scale][logged - 1]
        if latest <= at:
            return latest
        times = [t for _, t in checks[:logged] if t <= at]
        return max(times) if times else None


def _published(index: int, event: dict[str, Any]) -> Published:
    try:
        catalogue = judge.check_catalogue(event["data"])
    except Refusal as refusal:
        raise StatementError(f"entry {index}: {refusal}") from None
    return Published(index, event["data"]["version"], event["data"]["sha256"], catalogue)


def judgement_record(found: judge.Judgement, published: Published) -> dict[str, Any]:
    """A judgement as certificates state it (docs/rules.md): each broken rule by its code and
    parameters (its words are the rule's templates, ledger/rules/reasons.py)."""
    return {"catalogue": {"entry": published.entry, "version": published.version,
                          "sha256": published.sha256},
            "flags": [flag.record() for flag in found.flags],
            "open_flags": [flag.record() for flag in found.open_flags()],
            "violations": [{"entry": v["entry"], "rule": v["rule"], "params": v["params"]}
                           for v in found.violations],
            "reviews": found.reviews,
            "status": found.status}


def _position(effective: list[Pair], etype: str) -> int | None:
    """The entry of the latest effective `etype` event (None: there is none yet)."""
    found = [index for index, event in effective if event["type"] == etype]
    return found[-1] if found else None


# -- unit certificate -----------------------------------------------------------------------

# Members a unit certificate states since it gained them: one issued before states none of
# them, and its other members verify as they always did (see `unstated`).
UNIT_LATER_MEMBERS = ("nameplate", "fund")
# Stated since key steps record their evidence (issue 16); one issued before states none.
UNIT_EVIDENCE_MEMBER = "evidence"


def evidence_record(effective: list[Pair], catalogue: Catalogue) -> dict[str, Any]:
    """The `evidence` member (docs/certificates.md 3.1): the key steps the catalogue
    requires evidence of, each key step's reference as recorded (cameras, window, photos;
    null when it records none), and the managers' excuses for what is missing."""
    steps, excused = [], []
    for index, event in effective:
        data = event["data"]
        step = rule_evidence.key_step(event, catalogue)
        if step is not None:
            found = data.get("evidence")
            reference = None if found is None else {
                "cameras": found["cameras"], "start": found["start"], "end": found["end"],
                "photos": [{"sha256": p["sha256"], "media_type": p["media_type"]}
                           for p in found.get("photos", [])]}
            steps.append({"step": step, "about": data.get("component") or data.get("fraction")
                          or data.get("refrigerant"), "reference": reference,
                          **_who(index, event)})
        elif event["type"] == "evidence.excused":
            excused.append({**_pick(data, "reason", "approved_by"), **_who(index, event)})
    return {"required": list(catalogue.evidence or ()), "steps": steps, "excused": excused}


def photos_of(statements: dict[str, Any]) -> list[tuple[str, str]]:
    """(sha256, media type) of every photo a unit certificate's evidence names, in order."""
    return [(photo["sha256"], photo["media_type"])
            for step in (statements.get(UNIT_EVIDENCE_MEMBER) or {}).get("steps", [])
            for photo in (step["reference"] or {}).get("photos", [])]


# The plant's identity (every kind) and the register's entries of the operators a unit
# certificate or a lot manifest names: stated since certificates gained them.
IDENTITY_MEMBERS = ("plant_identity", "operator_register")
LATER_MEMBERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "unit": (UNIT_LATER_MEMBERS, (UNIT_EVIDENCE_MEMBER,), IDENTITY_MEMBERS),
    "lot": (IDENTITY_MEMBERS,), "period": (("plant_identity",),),
    "fund_table": (("plant_identity",),)}


def fund_record(found: FundClass | None) -> dict[str, Any] | None:
    """A unit's fund class as a unit certificate states it (docs/certificates.md 3.1): codes,
    the rate or factor as a decimal string, the reason as `{code, field, value, limit}`;
    None when the catalogue in force carries no fund tables (the unit has no class)."""
    if found is None:
        return None
    return {"scope": found.scope, "fund_category": found.category,
            "sub_class": found.sub_class, "counts": found.counts, "version": found.version,
            "rate": None if found.rate is None else decimal_text(found.rate),
            "factor": None if found.factor is None else decimal_text(found.factor),
            "reason": found.reason_record()}


def unit_statements(pairs: Iterable[Pair], label: str, *, gwp_basis: str = DEFAULT_BASIS,
                    evidence: Evidence | None = None, fund: bool = True,
                    steps_evidence: bool = True, identity: bool = True) -> dict[str, Any]:
    """A unit's dismantling certificate: from the entries of its subject chain, judged by the
    catalogue in force at its completion with the scale checks among `pairs` (or
    `evidence`, when the caller read them once for many units). Without `fund`, no
    `nameplate` and `fund` members: a period report's line does not state them, and classing
    each of its 250,000 units would cost seconds for nothing; without `steps_evidence`, no
    `evidence` member (a period line, or a certificate issued before it was stated); without
    `identity`, no `plant_identity` and `operator_register` (a line does not state them
    either)."""
    _check_basis(gwp_basis)
    pairs = list(pairs)
    subject = "unit:" + label
    chain = [(i, e) for i, e in pairs if e["subject"] == subject]
    evidence = evidence or Evidence(pairs)
    effective, corrections = fold(chain)
    unit = intake = completed = None
    nameplate: dict[str, Any] = {}
    recovered, absent, components, outputs = [], [], [], []
    for index, event in effective:
        data, etype = event["data"], event["type"]
        if etype == "unit.received":
            unit = {"label": label, **_pick(data, "category", "source", "trade_in_code", "brand",
                                             "model", "serial", "nameplate_refrigerant",
                                             "nameplate_charge_g"), "entry": index}
            intake = {"gross_g": data["gross_g"], "scale": data["scale"], **_who(index, event)}
            nameplate = {name: data[name] for name in NAMEPLATE_FIELDS
                         if data.get(name) is not None}
        elif etype == "refrigerant.recovered":
            recovered.append({**_pick(data, "refrigerant", "recovered_g", "cylinder",
                                      "cylinder_gross_before_g", "cylinder_gross_after_g",
                                      "scale", "nameplate_charge_g"),
                              **co2e(data["refrigerant"], data["recovered_g"], gwp_basis),
                              **_who(index, event)})
        elif etype == "refrigerant.absent":
            absent.append({**_pick(data, "reason", "note"), **_who(index, event)})
        elif etype == "component.removed":
            components.append({**_pick(data, "component", "count", "mass_g", "scale", "lot"),
                               **_who(index, event)})
        elif etype == "material.output":
            outputs.append({**_pick(data, "fraction", "mass_g", "lot", "scale"),
                            **_who(index, event)})
        elif etype == "unit.completed":
            completed = {**_pick(data, "note"), **_who(index, event)}
    if unit is None or intake is None:
        raise StatementError(f"the entries hold no unit.received for unit {label}")
    published = evidence.in_force(_position(effective, "unit.completed"))
    found = judge.judge_unit(chain, label, published.catalogue, evidence.last_pass,
                             evidence.sets.partner)
    refrigerant_g = sum(r["recovered_g"] for r in recovered)
    outputs_g = sum(o["mass_g"] for o in outputs)
    components_g = sum(c["mass_g"] or 0 for c in components)
    classed = {} if not fund else {
        "nameplate": nameplate,
        "fund": fund_record(class_of(published.catalogue, [e for _, e in effective]))}
    operators = sorted({e["operator"] for _, e in effective})
    named = {} if not identity else {
        "plant_identity": evidence.plant_identity(),
        "operator_register": evidence.operator_register(operators)}
    return {
        "unit": unit,
        "intake": intake,
        **classed,
        "refrigerant": {
            "gwp_basis": gwp_basis, "gwp_source": gwp.SOURCES[gwp_basis],
            "recovered": recovered, "absent": absent, "recovered_g": refrigerant_g,
            "co2e_g": sum(r["co2e_g"] or 0 for r in recovered),
            "without_gwp_g": sum(r["recovered_g"] for r in recovered if r["co2e_g"] is None),
        },
        "components": components,
        "outputs": outputs,
        "balance": {"intake_g": intake["gross_g"], "outputs_g": outputs_g,
                    "components_g": components_g, "refrigerant_g": refrigerant_g,
                    "difference_g": intake["gross_g"] - outputs_g - components_g - refrigerant_g},
        "completed": completed,
        "state": "completed" if completed else "in progress",
        "judgement": judgement_record(found, published),
        **({UNIT_EVIDENCE_MEMBER: evidence_record(effective, published.catalogue)}
           if steps_evidence else {}),
        "stations": sorted({e["station"] for _, e in effective}),
        "operators": operators,
        **named,
        "corrections": corrections,
        "entries": [index for index, _ in sorted(chain, key=lambda pair: pair[0])],
    }


# -- period report --------------------------------------------------------------------------

def period_bounds(start: str, end: str, time_zone: str) -> dict[str, str]:
    """The period from the start of `start` to the end of `end` (inclusive dates) in the
    plant's time zone, with its UTC bounds [from_utc, until_utc)."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise StatementError(f"time zone {time_zone!r} is unknown; use an IANA name such as "
                             "Asia/Shanghai") from None
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise StatementError(f"dates {start!r} and {end!r} must be YYYY-MM-DD") from None
    if last < first:
        raise StatementError(f"the period ends ({end}) before it starts ({start})")

    def utc(day: date) -> str:
        moment = datetime.combine(day, time(0), zone).astimezone(ZoneInfo("UTC"))
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return {"from": first.isoformat(), "to": last.isoformat(), "time_zone": time_zone,
            "from_utc": utc(first), "until_utc": utc(last + timedelta(days=1))}


def period_line(unit: dict[str, Any]) -> dict[str, Any]:
    """One unit's line in a period report, from its unit statements."""
    refrigerant: dict[str, int] = {}
    for r in unit["refrigerant"]["recovered"]:
        refrigerant[r["refrigerant"]] = refrigerant.get(r["refrigerant"], 0) + r["recovered_g"]
    outputs: dict[str, int] = {}
    for o in unit["outputs"]:
        outputs[o["fraction"]] = outputs.get(o["fraction"], 0) + o["mass_g"]
    components: dict[str, int] = {}
    for c in unit["components"]:
        components[c["component"]] = components.get(c["component"], 0) + (c["count"] or 1)
    completed, judged = unit["completed"], unit["judgement"]
    return {
        "label": unit["unit"]["label"], "category": unit["unit"]["category"],
        "trade_in_code": unit["unit"]["trade_in_code"],
        "received_at": unit["intake"]["time"], "completed_at": completed["time"],
        "gross_g": unit["intake"]["gross_g"],
        "refrigerant": dict(sorted(refrigerant.items())),
        "refrigerant_g": unit["refrigerant"]["recovered_g"],
        "co2e_g": unit["refrigerant"]["co2e_g"],
        "outputs": dict(sorted(outputs.items())), "outputs_g": unit["balance"]["outputs_g"],
        "components": dict(sorted(components.items())),
        "status": judged["status"], "flags": judged["open_flags"],
        "violations": judged["violations"],
        "reviews": [{"entry": r["entry"], "flag": r["flag"], "key": r["key"],
                     "resolution": r["resolution"]} for r in judged["reviews"]],
        "catalogue_entry": judged["catalogue"]["entry"],
        "entries": unit["entries"],
    }


def period_statements(pairs: Iterable[Pair], *, plant: str, start: str, end: str,
                      time_zone: str, categories: list[str] | None = None,
                      gwp_basis: str = DEFAULT_BASIS, identity: bool = True) -> dict[str, Any]:
    """A period report: one line per unit completed in the period (and categories), totals
    per category and per output fraction. Units not completed in the period are left out."""
    _check_basis(gwp_basis)
    period = period_bounds(start, end, time_zone)
    wanted = set(categories) if categories else None
    pairs = list(pairs)
    evidence = Evidence(pairs)
    by_unit: dict[str, list[Pair]] = {}
    for index, event in pairs:
        kind, _, name = event["subject"].partition(":")
        if kind == "unit":
            by_unit.setdefault(name, []).append((index, event))
    lines = []
    for label, chain in by_unit.items():
        try:
            unit = unit_statements(chain, label, gwp_basis=gwp_basis, evidence=evidence,
                                   fund=False, steps_evidence=False, identity=False)
        except StatementError:
            continue  # its unit.received was voided: not a unit the plant dismantled
        completed = unit["completed"]
        if completed is None or not period["from_utc"] <= completed["time"] < period["until_utc"]:
            continue
        if wanted is not None and unit["unit"]["category"] not in wanted:
            continue
        lines.append(period_line(unit))
    lines.sort(key=lambda line: (line["completed_at"], line["label"]))
    named = {"plant_identity": evidence.plant_identity()} if identity else {}
    return {"plant": plant, **named, "period": period,
            "categories": sorted(wanted) if wanted is not None else None,
            "gwp_basis": gwp_basis, "gwp_source": gwp.SOURCES[gwp_basis],
            "lines": lines, "totals": period_totals(lines)}


def period_totals(lines: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The totals of all lines and of each status apart: a flagged unit is never counted as
    creditable (a review that credits its flags makes it creditable)."""
    totals = PeriodTotals()
    for line in lines:
        totals.add(line)
    return totals.result()


_FIGURES = ("gross_g", "refrigerant_g", "co2e_g", "outputs_g")


class PeriodTotals:
    """Period totals added up one line at a time (a report of 250,000 lines is never held)."""

    def __init__(self) -> None:
        self._groups: dict[str, dict[str, Any]] = {
            group: {"units": 0, **dict.fromkeys(_FIGURES, 0), "by_category": {},
                    "by_fraction": {}} for group in ("all", *STATUSES)}

    def add(self, line: dict[str, Any]) -> None:
        for group in (self._groups["all"], self._groups[line["status"]]):
            group["units"] += 1
            category = group["by_category"].setdefault(
                line["category"], {"units": 0, **dict.fromkeys(_FIGURES, 0)})
            category["units"] += 1
            for name in _FIGURES:
                group[name] += line[name]
                category[name] += line[name]
            for fraction, grams in line["outputs"].items():
                row = group["by_fraction"].setdefault(fraction, {"units": 0, "mass_g": 0})
                row["units"] += 1
                row["mass_g"] += grams

    def result(self) -> dict[str, Any]:
        return {name: {**group, "by_category": dict(sorted(group["by_category"].items())),
                       "by_fraction": dict(sorted(group["by_fraction"].items()))}
                for name, group in self._groups.items()}


# -- period report, format v2: lines derived as the entries stream by -----------------------

PERIOD_COLUMNS = ("label", "category", "trade_in_code", "received_at", "completed_at",
                  "gross_g", "refrigerant", "refrigerant_g", "co2e_g", "outputs", "outputs_g",
                  "components", "status", "flags", "violations", "reviews", "catalogue_entry",
                  "last_entry")


def period_header(*, plant: str, start: str, end: str, time_zone: str,
                  categories: list[str] | None, gwp_basis: str) -> dict[str, Any]:
    """The members of a v2 period report's statements other than its lines and totals."""
    _check_basis(gwp_basis)
    return {"plant": plant, "period": period_bounds(start, end, time_zone),
            "categories": sorted(set(categories)) if categories else None,
            "gwp_basis": gwp_basis, "gwp_source": gwp.SOURCES[gwp_basis],
            "columns": list(PERIOD_COLUMNS)}


class PeriodLines:
    """The lines of a v2 period report, derived from `(index, event)` pairs fed in index order.

    `last_of(label)` is the index of the last entry of the chain of each unit the report may
    hold (None: not one of them); a unit's entries are held only until that entry arrives,
    when its line is derived (judged with `evidence`: every catalogue and scale entry, read
    before, and the intakes naming desktop sets of every unit fed so far, lines' or not) and
    handed to `emit(completed_at, label, text)` as its RFC 8785 text, the form a v2
    certificate states it in. So the memory held is the units in progress at once, not the
    report. `add` returns the label of the unit a pair belongs to (None: not one of them).
    """

    def __init__(self, header: dict[str, Any], evidence: Evidence,
                 last_of: Callable[[str], int | None], emit: Callable[[str, str, str], None]):
        self.period = header["period"]
        self.wanted = set(header["categories"]) if header["categories"] else None
        self.basis = header["gwp_basis"]
        self.evidence = evidence
        self.last_of = last_of
        self.emit = emit
        self.pending: dict[str, list[Pair]] = {}
        self.count = 0  # lines emitted
        self.left_out: list[str] = []  # units whose entries put them outside the report
        self.totals = PeriodTotals()

    def add(self, index: int, event: dict[str, Any]) -> str | None:
        subject: str = event["subject"]
        kind, _, label = subject.partition(":")
        self.evidence.sets.see(index, event)  # the unit may be the other half of a set
        last = self.last_of(label) if kind == "unit" else None
        if last is None:
            return None
        chain = self.pending.setdefault(label, [])
        chain.append((index, event))
        if index == last:
            self._line(label, self.pending.pop(label))
        return label

    def _line(self, label: str, chain: list[Pair]) -> None:
        try:
            unit = unit_statements(chain, label, gwp_basis=self.basis, evidence=self.evidence,
                                   fund=False, steps_evidence=False, identity=False)
        except StatementError:
            self.left_out.append(label)  # its unit.received was voided
            return
        completed = unit["completed"]
        if (completed is None
                or not self.period["from_utc"] <= completed["time"] < self.period["until_utc"]
                or (self.wanted is not None and unit["unit"]["category"] not in self.wanted)):
            self.left_out.append(label)
            return
        line = period_line(unit)
        line["last_entry"] = line.pop("entries")[-1]
        self.totals.add(line)
        self.count += 1
        self.emit(line["completed_at"], label,
                  canonical_bytes([line[name] for name in PERIOD_COLUMNS]).decode())

    def unfinished(self) -> list[str]:
        """Units whose chain's last entry never came."""
        return sorted(self.pending)


# -- lot shipment manifest ------------------------------------------------------------------

def lot_statements(pairs: Iterable[Pair], lot: str, *, identity: bool = True) -> dict[str, Any]:
    """A lot's shipment manifest: the lot's own chain, the unit outputs put in it (with the
    corrections made to them), the receiver and manifest number, the receipt if any, and the
    lot's judgement by the catalogue in force at its receipt (or its latest entry)."""
    subject = "lot:" + lot
    pairs = list(pairs)
    evidence = Evidence(pairs)
    chain = [(i, e) for i, e in pairs if e["subject"] == subject]
    effective, corrections = fold(i_e for i_e in pairs if not is_evidence(i_e[1]["subject"]))
    opened = sealed = shipped = received = None
    outputs, vouchers = [], []
    for index, event in effective:
        data, etype = event["data"], event["type"]
        if event["subject"] == subject:
            if etype == "lot.opened":
                opened = {**_pick(data, "fraction", "hazardous", "container"),
                          **_who(index, event)}
            elif etype == "lot.sealed":
                sealed = {**_pick(data, "net_g", "scale"), **_who(index, event)}
            elif etype == "lot.shipped":
                shipped = {**_pick(data, "receiver", "manifest_no", "receiver_licence",
                                   "vehicle"), **_registered(data), **_who(index, event)}
            elif etype == "lot.received":
                received = {**_pick(data, "receiver", "manifest_no", "received_g"),
                            **_registered(data), **_who(index, event)}
            elif etype == "lot.voucher":
                vouchers.append({**_pick(data, *VOUCHER_FIELDS), **_who(index, event)})
        elif etype in ("material.output", "component.removed") and data.get("lot") == lot:
            material = etype == "material.output"
            outputs.append({"unit": event["subject"].partition(":")[2],
                            "kind": "material" if material else "component",
                            "code": data["fraction"] if material else data["component"],
                            "mass_g": data.get("mass_g"), "count": data.get("count"),
                            **_who(index, event)})
    if opened is None:
        raise StatementError(f"the entries hold no lot.opened for lot {lot}")
    state = ("received" if received else "shipped" if shipped else "sealed" if sealed
             else "open")
    published = evidence.in_force(_position(fold(chain)[0], "lot.received"))
    register = evidence.register
    found = judge.judge_lot(chain, lot, published.catalogue, register.at)
    receivers = named_receivers(fold(chain)[0])
    named = {} if not identity else {
        "plant_identity": evidence.plant_identity(),
        "operator_register": evidence.operator_register(
            {e["operator"] for _, e in effective if e["subject"] == subject}
            | {o["operator"] for o in outputs})}
    return {"lot": lot, "opened": opened, "sealed": sealed, "shipped": shipped,
            "received": received, "state": state, "outputs": outputs,
            "outputs_g": sum(o["mass_g"] or 0 for o in outputs),
            "units": sorted({o["unit"] for o in outputs}),
            "corrections": corrections,
            "judgement": judgement_record(found, published),
            **named,
            "entries": sorted(index for index, _ in pairs),
            # since the register of receivers: stated only by a lot that names one or has
            # a voucher, so a manifest issued before reads as it did
            **({"receivers": [register.record(code, at) for code, at in receivers]}
               if receivers else {}),
            **({"vouchers": vouchers} if vouchers else {})}


# What a lot manifest states of each voucher (lot.voucher).
VOUCHER_FIELDS = ("kind", "voucher_no", "counterparty", "quantity_g", "price_per_t", "amount",
                  "currency", "note")


def _registered(data: dict[str, Any]) -> dict[str, Any]:
    """A shipment's or receipt's register code, when it names one (entries before the
    register name a receiver by free text and state no code)."""
    return {"receiver_code": data["receiver_code"]} if "receiver_code" in data else {}


def is_evidence(subject: str) -> bool:
    """A chain a certificate carries besides its subjects: the catalogue's, the scales' and
    the receivers' (what judges them), the plant's identity and the operators' register
    entries."""
    return (subject in (CATALOGUE_SUBJECT, IDENTITY_SUBJECT)
            or subject.startswith(("scale:", "receiver:", OPERATOR_PREFIX)))


# -- dispatch -------------------------------------------------------------------------------

def unstated(kind: str, statements: dict[str, Any]) -> tuple[str, ...]:
    """The members a certificate of `kind` gained later that these statements, issued before,
    do not state (none, unless they lack every one of them): a verifier derives and compares
    the others. Taking them out of an issued certificate changes its SHA-256, which its
    issuance entry holds, so that fails the issuance check."""
    return tuple(name for group in LATER_MEMBERS.get(kind, ())
                 if not any(member in statements for member in group) for name in group)


def derive(kind: str, pairs: list[Pair], statements: dict[str, Any],
           origin: str) -> dict[str, Any]:
    """Derive `kind`'s statements again, with the parameters the given statements name
    (label, lot, period, categories, GWP basis), without the members they predate
    (`unstated`): what a verifier compares them with."""
    if kind not in ("unit", "period", "lot"):
        raise StatementError(f"kind {kind!r} is not unit, period or lot")
    try:
        if kind == "unit":
            label, basis = statements["unit"]["label"], statements["refrigerant"]["gwp_basis"]
        elif kind == "period":
            period = statements["period"]
            params = {"start": period["from"], "end": period["to"],
                      "time_zone": period["time_zone"], "categories": statements["categories"],
                      "gwp_basis": statements["gwp_basis"]}
        else:
            lot = statements["lot"]
    except (KeyError, TypeError) as exc:
        raise StatementError(f"the statements do not name what they are about: missing "
                             f"{exc}") from None
    missing = unstated(kind, statements)
    identity = "plant_identity" not in missing
    if kind == "unit":
        return unit_statements(pairs, label, gwp_basis=basis, fund="fund" not in missing,
                               steps_evidence=UNIT_EVIDENCE_MEMBER not in missing,
                               identity=identity)
    if kind == "period":
        return period_statements(pairs, plant=origin, **params, identity=identity)
    return lot_statements(pairs, lot, identity=identity)
