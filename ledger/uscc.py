"""The unified social credit code (统一社会信用代码, GB 32100-2015) that names a Chinese legal
entity: 18 characters, the last a check character computed from the other 17, so a code
typed wrong by one character (or two swapped) is caught where it is entered, not found later
on a manifest that names nobody.

Layout: registration authority (1 character), entity category (1), administrative division
(6 digits), organisation code (9, its last a check character of its own, GB 11714), check
character (1). Characters are digits and capital letters without I, O, Z, S, V. The one home
of this arithmetic: the register of receivers and the plant's identity both check by it.
"""

from __future__ import annotations

import re

CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the 31 characters, by value
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 3^i mod 31 for positions 1..17
PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
_PATTERN = re.compile(PATTERN)
# GB 11714: the organisation code (9th to 17th characters) carries its own check at the 17th.
ORG_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_characters(code: str) -> tuple[str, str]:
    """The 17th (GB 11714: 11 - (Σ value × weight mod 11), 10 → X, 11 → 0) and 18th
    (GB 32100-2015: 31 - (Σ value × weight mod 31), 31 → 0) characters the rest of `code`
    calls for; `code` must already match PATTERN."""
    rest = 11 - sum(ORG_CHARACTERS.index(c) * w
                    for c, w in zip(code[8:16], ORG_WEIGHTS, strict=True)) % 11
    seventeenth = {10: "X", 11: "0"}.get(rest, str(rest))
    total = sum(CHARACTERS.index(c) * w
                for c, w in zip(code[:16] + seventeenth, WEIGHTS, strict=True))
    return seventeenth, CHARACTERS[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """What is wrong with `code` as a unified social credit code, or None when it is one."""
    if len(code) != 18:
        return f"{code!r} has {len(code)} characters; a unified social credit code has 18"
    if not _PATTERN.fullmatch(code):
        return (f"{code!r} is not a unified social credit code: digits and capital letters "
                "without I, O, Z, S, V, characters 3-8 digits (the division code)")
    seventeenth, eighteenth = check_characters(code)
    for position, found, expected, standard in ((17, code[16], seventeenth, "GB 11714"),
                                                (18, code[17], eighteenth, "GB 32100-2015")):
        if found != expected:
            return (f"{code!r} fails its check character: the {position}th is {found!r}, the "
                    f"characters before it call for {expected!r} ({standard}); check the code "
                    "on the licence")
    return None
