"""A C2SP tlog-witness: `POST /add-checkpoint` cosigns a log's checkpoint once it is shown to
extend the latest checkpoint this witness cosigned for that log.

Request body: `old <size>`, up to 63 base64 consistency-proof lines, a blank line, the signed
checkpoint note. Answers (tlog-witness): 200 with the cosignature line; 400 malformed, or an
old size above the checkpoint's (a rollback); 403 no trusted log signature; 404 unknown origin;
409 the old size is not the size this witness cosigned last (body: that size, content type
text/x.tlog.size), or the same size with another root (a fork); 422 the proof does not verify.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from ledger import merkle
from ledger.checkpoint import Checkpoint, CheckpointError
from ledger.encoding import decode_base64
from ledger.note import NoteError, open_note, split
from ledger.witness.cosignature import Cosigner
from ledger.witness.state import Latest, WitnessState

MAX_PROOF_LINES = 63
MAX_BODY = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.reply = Reply(status, message + "\n")


@dataclass(frozen=True)
class _Submission:
    old: int
    proof: list[bytes]
    note: str
    text: str
    checkpoint: Checkpoint


def parse_request(body: bytes) -> _Submission:
    """The parts of an add-checkpoint body, checked for form only (400 otherwise)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "the request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise _Refused(400, "the body needs `old <size>`, the proof lines, a blank line and the "
                       "checkpoint")
    first, *proof_lines = head.split("\n")
    match = _OLD.fullmatch(first)
    if not match:
        raise _Refused(400, f"the first line {first[:40]!r} is not `old <size>`")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise _Refused(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in proof_lines:
        raw = decode_base64(line)
        if raw is None or len(raw) != 32:
            raise _Refused(400, f"proof line {line[:60]!r} is not the base64 of a 32-byte hash")
        proof.append(raw)
    try:
        checkpoint_text, _lines = split(note)
        checkpoint = Checkpoint.parse(checkpoint_text)
    except (NoteError, CheckpointError) as exc:
        raise _Refused(400, f"the checkpoint is malformed: {exc}") from None
    return _Submission(int(match.group(1)), proof, note, checkpoint_text, checkpoint)


class Witness:
    """The witness's decisions, independent of HTTP: `add_checkpoint(body) -> Reply`."""

    def __init__(self, cosigner: Cosigner, state: WitnessState,
                 clock: Callable[[], float] = time.time):
        self.cosigner = cosigner
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Reply:
        try:
            return self._add(parse_request(body), body)
        except _Refused as refused:
            return refused.reply

    def _add(self, sub: _Submission, body: bytes) -> Reply:
        cp = sub.checkpoint
        verifiers = self.state.verifiers(cp.origin)
        if not verifiers:
            raise _Refused(404, f"this witness does not follow the log {cp.origin!r}")
        try:
            open_note(sub.note, verifiers)
        except NoteError as exc:
            raise _Refused(403, f"the checkpoint is not signed by a key trusted for "
                           f"{cp.origin}: {exc}") from None
        if sub.old > cp.size:
            raise _Refused(400, f"old size {sub.old} is larger than the checkpoint's size "
                           f"{cp.size}: this witness never cosigns a smaller tree")
        latest = self.state.latest(cp.origin)
        known = latest.size if latest else 0
        if sub.old != known:
            return _conflict(known)
        self._check_consistency(sub, latest, body)
        if not self.state.advance(cp.origin, latest, Latest(cp.size, cp.root), sub.note):
            current = self.state.latest(cp.origin)
            return _conflict(current.size if current else 0)
        return Reply(200, self.cosigner.cosign(sub.text, int(self.clock())))

    def _check_consistency(self, sub: _Submission, latest: Latest | None, body: bytes) -> None:
        cp = sub.checkpoint
        if latest is None or latest.size == 0:  # every tree extends the empty one
            if sub.proof:
                raise _Refused(422, "the proof must be empty when the old size is 0")
            return
        if cp.size == latest.size:
            if cp.root != latest.root:
                reason = (f"fork: size {cp.size} was cosigned with another root; refusing to "
                          "cosign a second tree of the same size")
                self.state.keep_evidence(cp.origin, reason, body.decode())
                raise _Refused(409, reason)
            if sub.proof:
                raise _Refused(422, "the proof must be empty when the sizes are equal")
            return
        try:
            merkle.verify_consistency(latest.size, cp.size, latest.root, cp.root, sub.proof)
        except merkle.ProofError as exc:
            reason = (f"the consistency proof from size {latest.size} to {cp.size} does not "
                      f"verify: {exc}")
            self.state.keep_evidence(cp.origin, reason, body.decode())
            raise _Refused(422, reason) from None

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        if request.path == "/add-checkpoint":
            if request.method != "POST":
                reply = Reply(405, "use POST\n")
            else:
                try:
                    reply = self.add_checkpoint(request.get_data(cache=False))
                except RequestEntityTooLarge:
                    reply = Reply(413, f"the body is larger than {MAX_BODY} bytes\n")
        elif request.path == "/" and request.method in ("GET", "HEAD"):
            reply = Reply(200, f"C2SP tlog-witness {self.cosigner.name}\n"
                               f"{self.cosigner.verifier.vkey}\n")
        else:
            reply = Reply(404, "not found; this witness answers POST /add-checkpoint\n")
        response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        if reply.status == 405:
            response.headers["Allow"] = "POST"
        return response(environ, start_response)


def _conflict(size: int) -> Reply:
    return Reply(409, f"{size}\n", SIZE_CONTENT_TYPE)
