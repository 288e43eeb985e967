from decimal import Decimal

import pytest

from devices.reading import FrameError
from devices.units import to_grams


@pytest.mark.parametrize(
    ("value", "unit", "resolution", "grams"),
    [
        ("12.345", "kg", 1, 12345),
        ("-0.005", "kg", 1, -5),
        ("12.345", "kg", 5, 12345),
        ("12.347", "kg", 5, 12345),
        ("100.00", "g", 1, 100),
        ("27.216", "lb", 1, 12345),  # 12344.97 g
        ("1", "lb", 1, 454),
        ("1", "lb", 10, 450),
        ("0.5", "t", 100, 500_000),
        ("2", "oz", 1, 57),
        ("12.345", "KG", 1, 12345),
    ],
)
def test_converts_to_grams_at_resolution(value: str, unit: str, resolution: int, grams: int):
    assert to_grams(value, unit, resolution) == grams


def test_decimal_input():
    assert to_grams(Decimal("1.5"), "kg", 1) == 1500


@pytest.mark.parametrize(("value", "unit"), [("1", "stone"), ("x", "kg"), ("nan", "kg"),
                                             ("inf", "g"), ("1e999999999", "kg")])
def test_rejects_what_is_not_a_weight(value: str, unit: str):
    with pytest.raises(FrameError):
        to_grams(value, unit, 1)
