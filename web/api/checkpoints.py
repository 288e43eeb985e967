"""The signed checkpoints the API answers with: the latest one (signed on demand), and the
sizes signed so far, which a refusal names so that the caller can ask for one that exists."""

from __future__ import annotations

from ledger.keys import KeyFileError
from ledger.log import LedgerError, SignedCheckpoint
from ledger.note import NoteError, Verifier, open_note
from web.api.errors import ApiError
from web.context import console, ledger


def latest_checkpoint() -> SignedCheckpoint:
    """The latest checkpoint signed by the current plant key, signing one if the log grew.

    Reading the stored one first keeps the plant key (and its Argon2id unlock) off the path
    of every public request; it is opened only when there is something new to sign.
    """
    instance, led = console().instance, ledger()
    signed = led.checkpoint_at(led.size())
    if signed is not None and _signed_by(signed.note, instance.vkey()):
        return signed
    try:
        return led.checkpoint(instance.signer())
    except KeyFileError as exc:
        raise ApiError(503, f"the console cannot sign a checkpoint: {exc}") from None
    except LedgerError as exc:  # a truncated or rewritten log: never sign, say so
        raise ApiError(503, str(exc)) from None


def _signed_by(note: str, vkey: str) -> bool:
    try:
        open_note(note, [Verifier.parse(vkey)])
    except NoteError:
        return False
    return True


def signed_sizes() -> str:
    """The latest sizes with a signed checkpoint, as a refusal names them."""
    sizes = ledger().signed_sizes(6)
    if not sizes:
        return "no checkpoint is signed yet: GET /api/v1/checkpoint signs one"
    listed = ", ".join(str(s) for s in sizes[:5]) + (", ..." if len(sizes) > 5 else "")
    return f"checkpoints are signed at sizes {listed}; or omit size for the latest"


def signed_before(size: int) -> int:
    """The largest size below `size` with a signed checkpoint, or `size` itself if none."""
    found = ledger().signed_before(size)
    return size if found is None else found
