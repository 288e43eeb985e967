"""An inspector's saved checkpoint against one the plant shows later: a log that only grows
passes; a smaller tree (rolled back) or one that does not extend the saved tree (forked or
rewritten) is exposed.

Standard library + ledger.merkle/checkpoint only: certificate verifiers call it offline.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from ledger import merkle
from ledger.checkpoint import Checkpoint


class RollbackError(ValueError):
    """The presented checkpoint does not extend the trusted one: the log was rolled back,
    forked or rewritten."""


class ProofNeeded(ValueError):
    """The presented tree is larger than the trusted one and no consistency proof was given."""


def check_extends(trusted: Checkpoint, presented: Checkpoint,
                  proof: Sequence[bytes] | None = None) -> str:
    """Words saying how `presented` extends `trusted`; raises RollbackError when it does not.

    `proof` is the RFC 9162 consistency proof from `trusted.size` to `presented.size`; it is
    needed only when the presented tree is larger (ProofNeeded if it is missing).
    """
    if presented.origin != trusted.origin:
        raise RollbackError(f"the checkpoint is for log {presented.origin!r}, the trusted one for "
                            f"{trusted.origin!r}")
    if presented.size < trusted.size:
        raise RollbackError(f"the log was rolled back: the checkpoint has {presented.size} "
                            f"entries, fewer than the {trusted.size} of the trusted checkpoint")
    if presented.size == trusted.size:
        if presented.root != trusted.root:
            raise RollbackError(f"the log forked: at size {trusted.size} the checkpoint's root "
                                f"{_b64(presented.root)} differs from the trusted root "
                                f"{_b64(trusted.root)}")
        return f"the checkpoint is the trusted checkpoint (size {trusted.size})"
    if trusted.size == 0:
        return f"the trusted checkpoint is the empty log; the log now has {presented.size} entries"
    if proof is None:
        raise ProofNeeded(f"a consistency proof from size {trusted.size} to {presented.size} is "
                          "needed to compare with the trusted checkpoint")
    try:
        merkle.verify_consistency(trusted.size, presented.size, trusted.root, presented.root,
                                  proof)
    except merkle.ProofError as exc:
        raise RollbackError(f"the log at size {presented.size} does not extend the trusted "
                            f"checkpoint at size {trusted.size} (forked or rewritten): "
                            f"{exc}") from None
    return (f"the log at size {presented.size} extends the trusted checkpoint at size "
            f"{trusted.size} (consistency proof verified)")


def _b64(root: bytes) -> str:
    return base64.b64encode(root).decode()
