"""Where two JSON values differ, in words: how the verifier says which figure is wrong."""

from __future__ import annotations

import json
from typing import Any


def first_difference(stated: Any, derived: Any, path: str) -> str | None:
    """Words naming the first place where `stated` and `derived` differ, with both values."""
    if isinstance(stated, dict) and isinstance(derived, dict):
        for key in sorted(set(stated) | set(derived)):
            if key not in derived:
                return f"{path}.{key} is stated but the entries give no such figure"
            if key not in stated:
                return f"{path}.{key} is missing; the entries say {show(derived[key])}"
            found = first_difference(stated[key], derived[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(stated, list) and isinstance(derived, list):
        for i, (a, b) in enumerate(zip(stated, derived, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(stated) != len(derived):
            return (f"{path} has {len(stated)} items; the entries give {len(derived)}")
        return None
    if type(stated) is not type(derived) or stated != derived:
        return (f"{path}: the certificate says {show(stated)}, the entries say "
                f"{show(derived)}")
    return None


def show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."
