"""Convert a scale's displayed value to integer grams at the scale's resolution."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, DecimalException

from devices.reading import FrameError

GRAMS_PER_UNIT: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "t": Decimal(1_000_000),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}


def to_grams(value: str | Decimal, unit: str, resolution_g: int) -> int:
    """`value` in `unit` as grams, rounded to the nearest multiple of `resolution_g`.

    Rounding to the resolution matters for lb and oz, whose steps do not fall on grams;
    for g and kg it only drops digits finer than the scale can resolve.
    """
    try:
        factor = GRAMS_PER_UNIT[unit.lower()]
    except KeyError:
        known = ", ".join(GRAMS_PER_UNIT)
        raise FrameError(f"unknown unit {unit!r}; this driver knows {known}") from None
    try:
        grams = Decimal(value) * factor
        steps = (grams / resolution_g).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return int(steps) * resolution_g
    except (DecimalException, ValueError):
        raise FrameError(f"weight {value!r} is not a finite number") from None
