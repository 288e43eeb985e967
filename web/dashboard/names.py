"""Display names for the codes stations send (categories, fractions, components).

The ledger keeps codes (`fridge`, `crt_funnel_glass`); managers read names in their language.
A code without a name here is shown as it is.
"""

from __future__ import annotations

from flask_babel import lazy_gettext

CATEGORIES = {
    "fridge": lazy_gettext("Fridge"),
    "room_ac": lazy_gettext("Room air conditioner"),
    "washing_machine": lazy_gettext("Washing machine"),
    "crt_tv": lazy_gettext("CRT TV"),
    "flat_tv": lazy_gettext("Flat-panel TV"),
    "desktop_pc": lazy_gettext("Desktop PC"),
    "laptop": lazy_gettext("Laptop"),
    "crt_monitor": lazy_gettext("CRT monitor"),
    "flat_monitor": lazy_gettext("Flat-panel monitor"),
    "range_hood": lazy_gettext("Range hood"),
    "electric_water_heater": lazy_gettext("Electric water heater"),
    "gas_water_heater": lazy_gettext("Gas water heater"),
    "microwave": lazy_gettext("Microwave oven"),
}

FRACTIONS = {
    "steel": lazy_gettext("Steel"),
    "copper": lazy_gettext("Copper"),
    "aluminium": lazy_gettext("Aluminium"),
    "plastics": lazy_gettext("Plastics"),
    "pcb": lazy_gettext("Circuit boards"),
    "crt_funnel_glass": lazy_gettext("CRT funnel glass (leaded)"),
    "crt_panel_glass": lazy_gettext("CRT panel glass"),
    "pu_foam": lazy_gettext("PU foam"),
    "compressor": lazy_gettext("Compressors"),
    "cables": lazy_gettext("Cables"),
    "glass": lazy_gettext("Glass"),
    "lcd_panel": lazy_gettext("LCD panels"),
    "motor": lazy_gettext("Motors"),
    "concrete": lazy_gettext("Concrete counterweights"),
    "oil": lazy_gettext("Compressor oil"),
    "compressor_oil": lazy_gettext("Compressor oil"),
    "battery": lazy_gettext("Batteries"),
    "capacitor": lazy_gettext("Capacitors"),
    "mercury_backlight": lazy_gettext("Mercury backlights"),
}


def category(code: str | None) -> str:
    return str(CATEGORIES[code]) if code in CATEGORIES else (code or "—")


def fraction(code: str | None) -> str:
    return str(FRACTIONS[code]) if code in FRACTIONS else (code or "—")

SHIFTS = {"day": lazy_gettext("day shift"), "night": lazy_gettext("night shift")}


def shift(name: str) -> str:
    return str(SHIFTS[name]) if name in SHIFTS else name
