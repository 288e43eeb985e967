"""Strict standard base64 (RFC 4648 §4), as every format the ledger reads uses it.

Strict means canonical: Python's decoder also accepts non-zero padding bits, so two texts
would decode to the same bytes; a signed or hashed format must not allow that.
"""

from __future__ import annotations

import base64
import binascii


def decode_base64(text: str) -> bytes | None:
    """The bytes `text` encodes, or None when it is not canonical base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None
