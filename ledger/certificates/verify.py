"""The inspector's verifier: every check a certificate must pass, each reported in words.

The checks are here; what they ask the plant's console is ledger.certificates.console_client,
a certificate PDF is read by ledger.certificates.verify_pdf, and a v2 report's entries are
checked by ledger.certificates.verify_v2.

Offline it needs only the document and the plant's verifier key(s) (or a policy file with
witness keys and a quorum). With the console's address it also checks revocation and, when
the inspector's saved checkpoint has another size than the certificate's, fetches the
consistency proof between them. Imports only the standard library, `cryptography` and the
ledger's format modules (no database, no web framework): a test imports it with those blocked.

    report = verify(document_bytes, vkeys=["<plant vkey>"])
    report.ok          # True only when no check failed
    report.checks      # [Check(name, ok, detail)]: ok is None for a check that could not run
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger import merkle
from ledger.certificates import statements as derive
from ledger.certificates import verify_v2
from ledger.certificates.console_client import Console, ConsoleError, HttpConsole
from ledger.certificates.differences import first_difference, show
from ledger.certificates.document import FORMAT_V2, LINES, DocumentError, parse, sha256
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.encoding import decode_base64
from ledger.note import NoteError, Verifier, open_note
from ledger.proof import InclusionProof, ProofFormatError
from ledger.tiles import TileSource
from ledger.witness.policy import Policy

FORMAT_CHECK = "Certificate format"
SIGNATURE_CHECK = "Checkpoint signed by the plant"
INCLUSION_CHECK = "Every entry is in the log"
CHAIN_CHECK = "Entry chain complete"
STATEMENTS_CHECK = "Statements match the entries"
ISSUANCE_CHECK = "Issuance logged"
PRINTED_CHECK = "Printed pages match the attachment"
TRUSTED_CHECK = "Consistent with your saved checkpoint"
REVOCATION_CHECK = "Not revoked"
CHECK_NAMES = (FORMAT_CHECK, PRINTED_CHECK, SIGNATURE_CHECK, INCLUSION_CHECK, CHAIN_CHECK,
               STATEMENTS_CHECK, ISSUANCE_CHECK, TRUSTED_CHECK, REVOCATION_CHECK)


@dataclass(frozen=True)
class Check:
    """One check: ok True (passed), False (failed) or None (could not run: not a failure)."""

    name: str
    ok: bool | None
    detail: str


VERIFIED, NOT_VERIFIED, UNPROVEN = "verified", "not verified", "unproven"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    sha256: str | None = None
    kind: str | None = None
    saved_checkpoint: bool = False  # the inspector gave one: consistency with it must hold

    @property
    def verdict(self) -> str:
        """verified; not verified (a check failed); or unproven: every check that ran
        passed, but consistency with the inspector's saved checkpoint could not be proven
        (offline, with checkpoints of other sizes)."""
        if not self.checks or any(c.ok is False for c in self.checks):
            return NOT_VERIFIED
        trusted = [c for c in self.checks if c.name == TRUSTED_CHECK]
        if self.saved_checkpoint and (not trusted or trusted[0].ok is None):
            return UNPROVEN
        return VERIFIED

    @property
    def ok(self) -> bool:
        """True only when verified."""
        return self.verdict == VERIFIED

    def add(self, name: str, ok: bool | None, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "verdict": self.verdict, "sha256": self.sha256,
                "kind": self.kind,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail}
                           for c in self.checks]}


# -- trust ----------------------------------------------------------------------------------

class _Trust:
    """The plant keys (and, with a policy, the witness quorum) the inspector trusts."""

    def __init__(self, vkeys: Sequence[str] | None, policy: Policy | None):
        self.policy = policy
        self.verifiers: list[Verifier] = list(policy.log_verifiers) if policy else []
        self.problem: str | None = None
        for vkey in vkeys or []:
            try:
                self.verifiers.append(Verifier.parse(vkey))
            except NoteError as exc:
                self.problem = f"the verifier key {vkey.strip()[:60]!r} is not valid: {exc}"
        if not self.verifiers and self.problem is None:
            self.problem = ("no trusted plant key was given: pass the plant's verifier key "
                            "(--vkey, from `dledger key show`) or a policy file (--policy)")

    def open(self, note: str, what: str) -> Checkpoint:
        """The checkpoint in `note` once a trusted plant key's signature verifies and the
        origin is that key's name; raises ValueError saying why not."""
        if self.problem:
            raise ValueError(self.problem)
        try:
            text, signed_by = open_note(note, self.verifiers)
            checkpoint = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise ValueError(f"{what} is not signed by a trusted plant key: {exc}") from None
        if checkpoint.origin not in {v.name for v in signed_by}:
            raise ValueError(f"{what} is for log {checkpoint.origin!r} but was signed by "
                             f"{signed_by[0].name!r}")
        return checkpoint


# -- the verifier ---------------------------------------------------------------------------

@dataclass
class _Entry:
    index: int
    body: bytes
    entry: dict[str, Any]

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = self.entry["event"]
        return event


def verify(document: dict[str, Any] | bytes | str | Path, *, vkeys: Sequence[str] | None = None,
           policy: Policy | None = None, trusted_checkpoint: str | None = None,
           console: str | Console | None = None,
           entries: verify_v2.Opener | None = None, tiles: TileSource | None = None) -> Report:
    """Check a certificate; see the module docstring and docs/certificates.md. A v2 report
    whose entries travel beside it reads them from `entries` (it opens the bundle file) or
    from the plant's `tiles`. Given a file (a Path), a report's lines are read from it as
    they are checked, so a report of any size is verified in the same memory."""
    report = Report()
    try:
        doc = parse(document)
        report.sha256, report.kind = sha256(doc), doc["kind"]
    except DocumentError as exc:
        report.add(FORMAT_CHECK, False, f"this is not a certificate: {exc}")
        return report
    report.add(FORMAT_CHECK, True, f"{doc['format']}, {doc['kind']} certificate, "
                                   f"SHA-256 {report.sha256}")
    if isinstance(console, str):
        console = HttpConsole(console)
    trust = _Trust(vkeys, policy)
    checkpoint = _check_signature(report, doc, trust)
    if doc["format"] == FORMAT_V2:
        _check_bundle(report, doc, checkpoint, entries, tiles, trust.verifiers)
    else:
        entries_read = _check_inclusion(report, doc, checkpoint)
        _check_chain(report, doc, entries_read, checkpoint, console)
        _check_statements(report, doc, entries_read)
    issuance = _check_issuance(report, doc, trust, checkpoint)
    report.saved_checkpoint = trusted_checkpoint is not None
    carried = [c for c in (checkpoint, issuance) if c is not None]
    _check_trusted(report, trust, trusted_checkpoint, carried, console)
    _check_revocation(report, console)
    return report


def _check_signature(report: Report, doc: dict[str, Any], trust: _Trust) -> Checkpoint | None:
    try:
        checkpoint = trust.open(doc["checkpoint"], "the certificate's checkpoint")
    except ValueError as exc:
        report.add(SIGNATURE_CHECK, False, str(exc))
        return None
    if checkpoint.origin != doc["origin"]:
        report.add(SIGNATURE_CHECK, False, f"the certificate says origin {doc['origin']!r} but "
                   f"its checkpoint is for {checkpoint.origin!r}")
        return None
    if trust.policy is not None:
        ok, detail = trust.policy.check(doc["checkpoint"])
        report.add(SIGNATURE_CHECK, ok, detail)  # plant-signed: the other checks still run
        return checkpoint
    report.add(SIGNATURE_CHECK, True, f"signed by the plant key of {checkpoint.origin}, "
                                      f"tree size {checkpoint.size}")
    return checkpoint


def _read_entry(item: dict[str, Any], where: str) -> _Entry:
    body = decode_base64(item["entry"])
    if body is None:
        raise ValueError(f"{where}: the entry is not canonical base64")
    try:
        entry = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError(f"{where}: the entry bytes are not JSON") from None
    if (not isinstance(entry, dict) or entry.get("v") != 1 or entry.get("index") != item["index"]
            or not isinstance(entry.get("event"), dict)):
        raise ValueError(f"{where}: the bytes are not ledger entry {item['index']} "
                         "(v 1, its index, an event)")
    event = entry["event"]
    if not all(isinstance(event.get(k), str) for k in ("type", "subject", "time", "station",
                                                       "operator")) or \
            not isinstance(event.get("data"), dict):
        raise ValueError(f"{where}: the entry's event lacks type, subject, time, station, "
                         "operator or data")
    return _Entry(item["index"], body, entry)


def _prove(item: dict[str, Any], body: bytes, checkpoint: Checkpoint, note: str,
           where: str) -> None:
    try:
        proof = InclusionProof.parse(item["proof"])
    except ProofFormatError as exc:
        raise ValueError(f"{where}: the proof is malformed: {exc}") from None
    if proof.index != item["index"]:
        raise ValueError(f"{where}: the proof is for entry {proof.index}, not {item['index']}")
    if proof.checkpoint_note != note:
        raise ValueError(f"{where}: the proof ends with another checkpoint than the one it "
                         "is checked against")
    try:
        merkle.verify_inclusion(item["index"], checkpoint.size, merkle.leaf_hash(body),
                                proof.hashes, checkpoint.root)
    except merkle.ProofError as exc:
        raise ValueError(f"{where}: not in the tree of size {checkpoint.size}: {exc} (the "
                         "entry's bytes were changed, or it is not this log's entry)") from None


def _check_inclusion(report: Report, doc: dict[str, Any],
                     checkpoint: Checkpoint | None) -> list[_Entry] | None:
    entries: list[_Entry] = []
    problems: list[str] = []
    previous = -1
    for item in doc["entries"]:
        where = f"entry {item['index']}"
        if item["index"] <= previous:
            problems.append(f"{where}: entries must be listed once each, by increasing index")
        previous = item["index"]
        try:
            entry = _read_entry(item, where)
            entries.append(entry)
            if checkpoint is not None:
                _prove(item, entry.body, checkpoint, doc["checkpoint"], where)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        report.add(INCLUSION_CHECK, False, problems[0] + more)
    elif checkpoint is None:
        report.add(INCLUSION_CHECK, None, "the checkpoint is not trusted, so there is nothing "
                                          "to prove against")
    else:
        report.add(INCLUSION_CHECK, True, f"{len(entries)} entries, each proven in the tree of "
                                          f"size {checkpoint.size}")
    return entries if len(entries) == len(doc["entries"]) else None


def _check_bundle(report: Report, doc: dict[str, Any], checkpoint: Checkpoint | None,
                  given: verify_v2.Opener | None, tiles: TileSource | None,
                  plant_keys: Sequence[Verifier]) -> None:
    """Checks 3 to 5 for a v2 report: its bundle, multi-leaf proof, chains and lines."""
    if checkpoint is None:
        for name in (INCLUSION_CHECK, CHAIN_CHECK, STATEMENTS_CHECK):
            report.add(name, None, "the checkpoint is not trusted, so there is nothing to "
                                   "prove against")
        return
    try:
        outcome = verify_v2.check(doc, checkpoint, verify_v2.source_for(doc, given, tiles,
                                                                         plant_keys))
    except verify_v2.EntriesError as exc:
        for name in (INCLUSION_CHECK, CHAIN_CHECK, STATEMENTS_CHECK):
            report.add(name, False, str(exc) if name == INCLUSION_CHECK else
                       "the entries could not be read (see above)")
        return
    report.add(INCLUSION_CHECK, outcome.inclusion is None, outcome.inclusion or (
        f"{outcome.count:,} entries of the bundle (SHA-256 {doc['entries']['sha256']}), proven "
        f"together by one multi-leaf proof of {len(doc['entries']['proof'])} hashes in the "
        f"tree of size {checkpoint.size}"))
    units = len(doc["statements"][LINES[doc["kind"]]])
    report.add(CHAIN_CHECK, outcome.chain is None, outcome.chain or (
        f"the entries of {units:,} units link back to the first without a gap "
        f"(subject_prev), and so do the chains that judge them; {outcome.chains:,} chains in "
        "all"))
    figures = ("every line and total" if doc["kind"] == "period" else
               "every cell of the table (rows, totals, days, fractions, destinations, units)")
    report.add(STATEMENTS_CHECK, outcome.statements is None, outcome.statements or (
        f"{figures} derived again from the {outcome.count:,} entries, corrections "
        "applied, matches, and so do the flags and statuses the plant's rules give them "
        "under the catalogue carried"))


def _chain_subjects(doc: dict[str, Any]) -> list[str]:
    statements = doc["statements"]
    if doc["kind"] == "unit":
        return ["unit:" + str((statements.get("unit") or {}).get("label"))]
    if doc["kind"] == "lot":
        return ["lot:" + str(statements.get("lot"))]
    return ["unit:" + str(line.get("label")) for line in statements.get("lines") or []
            if isinstance(line, dict)]


def _is_evidence(subject: str) -> bool:
    """A chain a certificate carries to judge its subjects: the catalogue's, a scale's, a
    receiver's."""
    return subject == derive.CATALOGUE_SUBJECT or subject.startswith(("scale:", "receiver:"))


def _check_chain(report: Report, doc: dict[str, Any], entries: list[_Entry] | None,
                 checkpoint: Checkpoint | None, console: Console | None) -> None:
    if entries is None:
        report.add(CHAIN_CHECK, False, "some entries could not be read (see above)")
        return
    subjects = _chain_subjects(doc)
    by_subject: dict[str, list[_Entry]] = {s: [] for s in subjects}
    evidence: dict[str, list[_Entry]] = {}
    for entry in entries:
        subject = entry.event["subject"]
        if subject in by_subject:
            by_subject[subject].append(entry)
        elif _is_evidence(subject):
            evidence.setdefault(subject, []).append(entry)
        elif doc["kind"] != "lot":
            report.add(CHAIN_CHECK, False, f"entry {entry.index} is about {subject}, which the "
                       f"certificate is not about ({', '.join(subjects[:3])})")
            return
    for subject, chain in [*by_subject.items(), *sorted(evidence.items())]:
        if not chain:
            report.add(CHAIN_CHECK, False, f"the certificate carries no entry about {subject}")
            return
        expected = None
        for entry in chain:
            if entry.entry.get("subject_prev") != expected:
                found = entry.entry.get("subject_prev")
                report.add(CHAIN_CHECK, False, f"entry {entry.index} says the previous entry "
                           f"about {subject} is {found}, but the certificate's is {expected}: "
                           "an entry of the chain is missing or another was put in")
                return
            expected = entry.index
    what = subjects[0] if len(subjects) == 1 else f"{len(subjects)} units"
    words = f"the entries of {what} link back to the first without a gap (subject_prev)"
    if evidence:
        words += (f", and so do the {len(evidence)} chains that judge them (catalogue, "
                  "scales)")
    # Consoles written before unit_entries existed simply skip this cross-check.
    if (doc["kind"] == "unit" and checkpoint is not None
            and hasattr(console, "unit_entries")):
        problem = _console_chain(console, subjects[0], by_subject[subjects[0]], checkpoint)
        if problem:
            report.add(CHAIN_CHECK, False, problem)
            return
        words += "; the console holds no other entry about it before the checkpoint"
    report.add(CHAIN_CHECK, True, words)


def _console_chain(console: Any, subject: str, chain: list[_Entry],
                   checkpoint: Checkpoint) -> str | None:
    """Words saying how the console's record of the unit differs from the certificate's
    chain below the checkpoint (an entry left out, such as a later correction), or None."""
    try:
        held = console.unit_entries(subject.partition(":")[2])
    except ConsoleError as exc:
        return f"the console could not list the unit's entries: {exc}"
    if held is None:
        return f"the console knows no {subject}"
    missing = sorted(set(i for i in held if i < checkpoint.size) - {e.index for e in chain})
    if missing:
        return (f"the console holds entry {missing[0]} about {subject} before the checkpoint "
                f"(size {checkpoint.size}), which the certificate leaves out")
    return None


def _check_statements(report: Report, doc: dict[str, Any],
                      entries: list[_Entry] | None) -> None:
    if entries is None:
        report.add(STATEMENTS_CHECK, False, "some entries could not be read (see above)")
        return
    pairs = [(e.index, e.event) for e in entries]
    try:
        expected = derive.derive(doc["kind"], pairs, doc["statements"], doc["origin"])
    except (derive.StatementError, KeyError, TypeError, ValueError) as exc:
        report.add(STATEMENTS_CHECK, False, f"the statements cannot be derived from the "
                                            f"entries: {exc}")
        return
    difference = first_difference(doc["statements"], expected, "statements")
    if difference:
        report.add(STATEMENTS_CHECK, False, difference)
        return
    unstated = derive.unstated(doc["kind"], doc["statements"])
    fund = (", the unit's nameplate facts and fund class" if doc["kind"] == "unit"
            and not unstated else "")
    words = (f"every figure derived again from the {len(pairs)} entries, corrections applied, "
             f"matches, and so do the flags and statuses the plant's rules give them{fund} "
             "under the catalogue carried")
    if unstated:
        words += ("; the certificate was issued before unit certificates stated the "
                  "nameplate facts and the fund class: it states neither, so they are not "
                  "checked")
    report.add(STATEMENTS_CHECK, True, words)


def _check_issuance(report: Report, doc: dict[str, Any], trust: _Trust,
                    checkpoint: Checkpoint | None) -> Checkpoint | None:
    issuance = doc.get("issuance")
    if issuance is None:
        report.add(ISSUANCE_CHECK, False, "the certificate has no issuance section: it was "
                                          "never issued (a draft)")
        return None
    if checkpoint is None:
        report.add(ISSUANCE_CHECK, None, "the certificate's checkpoint is not trusted")
        return None
    digest = sha256(doc)
    try:
        later = trust.open(issuance["checkpoint"], "the issuance checkpoint")
        if later.origin != checkpoint.origin:
            raise ValueError(f"the issuance checkpoint is for {later.origin!r}")
        hashes = [decode_base64(h) for h in issuance["consistency"]]
        if any(h is None or len(h) != 32 for h in hashes):
            raise ValueError("the consistency proof holds a line that is not a base64 hash")
        try:
            merkle.verify_consistency(checkpoint.size, later.size, checkpoint.root, later.root,
                                      hashes)  # type: ignore[arg-type]
        except merkle.ProofError as exc:
            raise ValueError(f"the issuance checkpoint (size {later.size}) does not extend the "
                             f"certificate's (size {checkpoint.size}): {exc}") from None
        item = issuance["entry"]
        entry = _read_entry(item, f"issuance entry {item['index']}")
        _prove(item, entry.body, later, issuance["checkpoint"], f"issuance entry {item['index']}")
        event = entry.event
        if (event["type"] != "certificate.issued" or event["subject"] != f"cert:{digest}"
                or event["data"].get("sha256") != digest
                or event["data"].get("kind") != doc["kind"]):
            raise ValueError(f"entry {item['index']} is {event['type']} about "
                             f"{event['subject']} ({show(event['data'])}), not the issuance "
                             f"of this {doc['kind']} certificate {digest}")
    except ValueError as exc:
        report.add(ISSUANCE_CHECK, False, str(exc))
        return None
    report.add(ISSUANCE_CHECK, True, f"entry {item['index']} records the issuance on "
               f"{event['time']} by {event['operator']}, in the tree of size {later.size} that "
               f"extends the certificate's")
    return later


def _check_trusted(report: Report, trust: _Trust, saved: str | None,
                   carried: list[Checkpoint], console: Console | None) -> None:
    """The inspector's saved checkpoint against every checkpoint the certificate carries
    (its own and its issuance's): one of the same size must have the same root (a fork
    otherwise, even offline); else a consistency proof from the console must link them."""
    if saved is None:
        report.add(TRUSTED_CHECK, None, "no saved checkpoint was given "
                                        "(--trusted-checkpoint)")
        return
    try:
        trusted = trust.open(saved, "your saved checkpoint")
    except ValueError as exc:
        report.add(TRUSTED_CHECK, False, str(exc))
        return
    if not carried:
        report.add(TRUSTED_CHECK, None, "the certificate's checkpoints are not trusted")
        return
    if any(c.origin != trusted.origin for c in carried):
        report.add(TRUSTED_CHECK, False, f"your saved checkpoint is for log {trusted.origin!r}, "
                   f"the certificate for {carried[0].origin!r}")
        return
    same_size = [c for c in carried if c.size == trusted.size]
    if any(c.root != trusted.root for c in same_size):
        report.add(TRUSTED_CHECK, False, f"the log forked: at size {trusted.size} your saved "
                                         "checkpoint and one the certificate carries have "
                                         "different roots")
        return
    if same_size:
        report.add(TRUSTED_CHECK, True, f"your saved checkpoint is one the certificate carries "
                                        f"(size {trusted.size}, same root)")
        return
    shown = carried[-1]
    old, new = sorted((trusted, shown), key=lambda c: c.size)
    if console is None:
        report.add(TRUSTED_CHECK, None, f"not proven offline: your saved checkpoint is at "
                   f"size {trusted.size}, the certificate's at "
                   f"{', '.join(str(c.size) for c in carried)}; the consistency proof between "
                   "them comes from the console (--console URL)")
        return
    try:
        proof = console.consistency(old.size, new.size)
    except ConsoleError as exc:
        report.add(TRUSTED_CHECK, False, f"the console cannot prove that the log at size "
                   f"{new.size} extends size {old.size} ({exc}): if the plant's log is now "
                   "shorter than a checkpoint it signed, it was rolled back")
        return
    try:
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    except merkle.ProofError as exc:
        mine = "your saved" if old is trusted else "the certificate's"
        report.add(TRUSTED_CHECK, False, f"the log forked or was rolled back: {mine} checkpoint "
                   f"(size {old.size}) is not a prefix of the tree of size {new.size}: {exc}")
        return
    report.add(TRUSTED_CHECK, True, f"the tree of size {new.size} extends the one of size "
               f"{old.size} (consistency proof from the console verified against both signed "
               "roots)")


def _check_revocation(report: Report, console: Console | None) -> None:
    if console is None:
        report.add(REVOCATION_CHECK, None, "offline: only the console knows of revocations "
                                           "(--console URL)")
        return
    digest = report.sha256 or ""
    try:
        answer = console.certificate(digest)
    except ConsoleError as exc:
        report.add(REVOCATION_CHECK, False, f"the console could not say: {exc}")
        return
    if answer is None or answer.get("issued") is None:
        report.add(REVOCATION_CHECK, False, f"the console knows no certificate {digest}")
        return
    revoked = answer.get("revoked")
    if revoked:
        report.add(REVOCATION_CHECK, False, f"revoked at entry {revoked.get('index')} on "
                   f"{revoked.get('time')}: {revoked.get('reason')} (approved by "
                   f"{revoked.get('approved_by')})")
        return
    report.add(REVOCATION_CHECK, True, f"the console lists it as issued at entry "
                                       f"{answer.get('issued')} and not revoked")
