"""The unified social credit code (统一社会信用代码, GB 32100-2015) that names a Chinese legal
entity: 18 characters, the last a check character computed from the other 17, so a code
typed wrong by one character (or two swapped) is caught where it is entered, not found later
on a manifest that names nobody.

Layout: registration authority (1 character), entity category (1), administrative division
(6 digits), organisation code (9), check character (1). Characters are digits and capital
letters without I, O, Z, S, V.
"""

from __future__ import annotations

import re

CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the 31 characters, by value
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^i mod 31 for positions 1..17
PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
_PATTERN = re.compile(PATTERN)


def check_character(first17: str) -> str:
    """The 18th character the first 17 call for: 31 - (Σ value × weight mod 31), 31 → 0."""
    total = sum(CHARACTERS.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARACTERS[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with `code` as a unified social credit code, or None when it is one."""
    if len(code) != 18:
        return f"{code!r} has {len(code)} characters; a unified social credit code has 18"
    if not _PATTERN.fullmatch(code):
        return (f"{code!r} is not a unified social credit code: digits and capital letters "
                "without I, O, Z, S, V, characters 3-8 digits (the division code)")
    expected = check_character(code[:17])
    if code[17] != expected:
        return (f"{code!r} fails its check character: the 18th is {code[17]!r}, the first 17 "
                f"call for {expected!r} (GB 32100-2015); check the code on the licence")
    return None
