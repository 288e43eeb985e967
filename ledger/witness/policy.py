"""The inspector's trust policy, in the C2SP tlog-policy format: which plant keys sign the log,
which witnesses cosign it, and how many cosignatures make a checkpoint trustworthy.

    # comment
    log <plant vkey> [url]                   the plant's key; its name is the log's origin
    witness <name> <witness vkey> [url]      a cosignature/v1 key (type 0x04)
    group <name> all|any|<k> <member>...     k of the members (witnesses or earlier groups)
    quorum <name>|none                       exactly one; what a checkpoint needs

Names are defined before they are used, a member appears at most once per group, `none` is
reserved, and no key appears twice. See docs/witness.md. Standard library + `cryptography`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.note import NoteError, Verifier, open_note
from ledger.witness.cosignature import CosignatureError, CosignatureVerifier

NONE = "none"
_WHITESPACE = re.compile(r"[ \t]+")
_THRESHOLD = re.compile(r"[1-9][0-9]{0,3}")


class PolicyError(ValueError):
    """The policy file is malformed; the message names the line and the value at fault."""


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Witness:
    name: str
    verifier: CosignatureVerifier
    url: str | None = None


@dataclass(frozen=True)
class Log:
    verifier: Verifier
    url: str | None = None

    @property
    def origin(self) -> str:
        return self.verifier.name


@dataclass(frozen=True)
class PolicyResult:
    """The outcome of checking one note: ok, and in words why."""

    ok: bool
    detail: str
    checkpoint: Checkpoint | None = None
    cosigned_by: dict[str, int] = field(default_factory=dict)  # witness name -> timestamp


@dataclass(frozen=True)
class Policy:
    logs: tuple[Log, ...]
    witnesses: dict[str, Witness]
    groups: dict[str, Group]
    quorum: str

    @classmethod
    def parse(cls, text: str) -> Policy:
        return _Parser().parse(text)

    @property
    def log_verifiers(self) -> list[Verifier]:
        return [log.verifier for log in self.logs]

    @property
    def vkeys(self) -> list[str]:
        """The plant verifier keys, as `ledger.note.Verifier` strings."""
        return [log.verifier.vkey for log in self.logs]

    def open_checkpoint(self, note: str) -> Checkpoint:
        """The checkpoint in `note`, once a listed plant key's signature on it verifies and its
        origin is that key's name; raises PolicyError saying why not."""
        try:
            text, signed_by = open_note(note, self.log_verifiers)
            checkpoint = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise PolicyError(f"the checkpoint is not signed by a plant key of the policy: "
                              f"{exc}") from None
        if checkpoint.origin not in {v.name for v in signed_by}:
            raise PolicyError(f"the checkpoint's origin {checkpoint.origin!r} is not the name of "
                              f"the key that signed it ({signed_by[0].name!r})")
        return checkpoint

    def evaluate(self, note: str, now: int | None = None) -> PolicyResult:
        """Check the plant signature and the witness quorum on `note`, saying which witnesses
        cosigned. Cosignatures dated more than a day in the future are refused."""
        try:
            checkpoint = self.open_checkpoint(note)
        except PolicyError as exc:
            return PolicyResult(False, str(exc))
        latest = (int(time.time()) if now is None else now) + 86_400
        cosigned: dict[str, int] = {}
        problems: list[str] = []
        for name, witness in self.witnesses.items():
            try:
                timestamp = witness.verifier.verify(note)
            except CosignatureError as exc:
                problems.append(f"witness {name}: {exc}")
                continue
            if timestamp is None:
                continue
            if timestamp > latest:
                problems.append(f"witness {name}: the cosignature is dated {_utc(timestamp)}, "
                                "in the future")
                continue
            cosigned[name] = timestamp
        signed = (f"signed by the plant key of {checkpoint.origin} at size {checkpoint.size}")
        by = ", ".join(f"{n} ({_utc(t)})" for n, t in cosigned.items()) or "no listed witness"
        words = [signed, f"cosigned by {by}", *problems]
        if self.quorum == NONE:
            words.append("the policy requires no cosignature")
            return PolicyResult(not problems, "; ".join(words), checkpoint, cosigned)
        met = self._witnessed(self.quorum, set(cosigned))
        words.append(f"quorum {self._describe(self.quorum)} {'met' if met else 'NOT met'}")
        return PolicyResult(met and not problems, "; ".join(words), checkpoint, cosigned)

    def check(self, note: str) -> tuple[bool, str]:
        """(ok, detail): the plant signature verifies and the witness quorum is met."""
        result = self.evaluate(note)
        return result.ok, result.detail

    def _witnessed(self, name: str, cosigned: set[str]) -> bool:
        if name in self.witnesses:
            return name in cosigned
        group = self.groups[name]
        return sum(self._witnessed(m, cosigned) for m in group.members) >= group.threshold

    def _describe(self, name: str) -> str:
        if name in self.witnesses:
            return name
        group = self.groups[name]
        return f"{name} ({group.threshold} of {', '.join(group.members)})"


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(min(timestamp, 253402300799)))


class _Parser:
    def __init__(self) -> None:
        self.logs: list[Log] = []
        self.witnesses: dict[str, Witness] = {}
        self.groups: dict[str, Group] = {}
        self.quorum: str | None = None
        self.keys: dict[bytes, str] = {}  # raw public key -> where it was defined

    def parse(self, text: str) -> Policy:
        for number, raw_line in enumerate(text.split("\n"), start=1):
            bad = next((c for c in raw_line if (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F),
                       None)
            if bad is not None:
                raise PolicyError(f"line {number}: control character {bad!r} is not allowed")
            line = raw_line.strip(" \t")
            if not line or line.startswith("#"):
                continue
            keyword, *args = _WHITESPACE.split(line)
            handler = {"log": self._log, "witness": self._witness, "group": self._group,
                       "quorum": self._quorum}.get(keyword)
            if handler is None:
                raise PolicyError(f"line {number}: unknown keyword {keyword!r}; a policy line "
                                  "starts with log, witness, group or quorum")
            try:
                handler(args)
            except (PolicyError, NoteError, CosignatureError) as exc:
                raise PolicyError(f"line {number}: {exc}") from None
        if self.quorum is None:
            raise PolicyError("the policy has no quorum line; add `quorum <name>` or "
                              "`quorum none`")
        if not self.logs:
            raise PolicyError("the policy lists no plant key; add `log <vkey>` (from "
                              "`dledger key show`)")
        return Policy(tuple(self.logs), self.witnesses, self.groups, self.quorum)

    def _key(self, raw: bytes, what: str) -> None:
        if raw in self.keys:
            raise PolicyError(f"{what} has the same public key as {self.keys[raw]}")
        self.keys[raw] = what

    def _log(self, args: list[str]) -> None:
        if len(args) not in (1, 2):
            raise PolicyError("expected `log <vkey> [url]`")
        verifier = Verifier.parse(args[0])
        self._key(verifier.public_key.public_bytes_raw(), f"log {verifier.name}")
        self.logs.append(Log(verifier, args[1] if len(args) == 2 else None))

    def _new_name(self, name: str) -> None:
        if name == NONE:
            raise PolicyError("the name 'none' is reserved")
        if name in self.witnesses or name in self.groups:
            raise PolicyError(f"the name {name!r} is already defined")

    def _witness(self, args: list[str]) -> None:
        if len(args) not in (2, 3):
            raise PolicyError("expected `witness <name> <vkey> [url]`")
        name = args[0]
        self._new_name(name)
        verifier = CosignatureVerifier.parse(args[1])
        self._key(verifier.public_key.public_bytes_raw(), f"witness {name}")
        self.witnesses[name] = Witness(name, verifier, args[2] if len(args) == 3 else None)

    def _group(self, args: list[str]) -> None:
        if len(args) < 3:
            raise PolicyError("expected `group <name> all|any|<k> <member>...`")
        name, threshold, members = args[0], args[1], args[2:]
        self._new_name(name)
        for member in members:
            if member not in self.witnesses and member not in self.groups:
                raise PolicyError(f"group {name}: member {member!r} is not a witness or group "
                                  "defined on an earlier line")
        if len(set(members)) != len(members):
            duplicate = next(m for m in members if members.count(m) > 1)
            raise PolicyError(f"group {name}: member {duplicate!r} is listed twice")
        if threshold == "all":
            k = len(members)
        elif threshold == "any":
            k = 1
        elif _THRESHOLD.fullmatch(threshold) and int(threshold) <= len(members):
            k = int(threshold)
        else:
            raise PolicyError(f"group {name}: threshold {threshold!r} must be all, any, or a "
                              f"number from 1 to {len(members)}")
        self.groups[name] = Group(name, k, tuple(members))

    def _quorum(self, args: list[str]) -> None:
        if len(args) != 1:
            raise PolicyError("expected `quorum <name>` or `quorum none`")
        if self.quorum is not None:
            raise PolicyError("a policy has exactly one quorum line")
        name = args[0]
        if name != NONE and name not in self.witnesses and name not in self.groups:
            raise PolicyError(f"quorum {name!r} is not a witness or group defined on an "
                              "earlier line")
        self.quorum = name
