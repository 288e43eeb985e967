"""Names on screen for the codes the ledger stores (categories, fractions, components,
sources), for every area of the console, so that one code has one name in each language.
The ledger keeps the codes; an unknown code is shown as it is, so a category the process
catalogue adds later still reads correctly, just untranslated."""

from __future__ import annotations

from flask_babel import lazy_gettext

CATEGORY_NAMES = {
    "fridge": lazy_gettext("Fridge"),
    "washing_machine": lazy_gettext("Washing machine"),
    "room_ac": lazy_gettext("Room air conditioner"),
    "crt_tv": lazy_gettext("CRT TV"),
    "flat_tv": lazy_gettext("Flat-panel TV"),
    "crt_monitor": lazy_gettext("CRT monitor"),
    "flat_monitor": lazy_gettext("Flat-panel monitor"),
    "desktop_pc": lazy_gettext("Desktop PC"),
    "laptop": lazy_gettext("Laptop"),
    "electric_water_heater": lazy_gettext("Electric water heater"),
    "gas_water_heater": lazy_gettext("Gas water heater"),
    "microwave": lazy_gettext("Microwave oven"),
    "range_hood": lazy_gettext("Range hood"),
}

CODE_NAMES = {
    **CATEGORY_NAMES,
    # output fractions and components
    "steel": lazy_gettext("Steel"),
    "copper": lazy_gettext("Copper"),
    "aluminium": lazy_gettext("Aluminium"),
    "plastics": lazy_gettext("Plastics"),
    "cables": lazy_gettext("Cables"),
    "pcb": lazy_gettext("Circuit boards"),
    "motor": lazy_gettext("Motors"),
    "compressor": lazy_gettext("Compressors"),
    "pu_foam": lazy_gettext("PU foam"),
    "glass": lazy_gettext("Glass"),
    "lcd_panel": lazy_gettext("LCD panels"),
    "crt_funnel_glass": lazy_gettext("CRT funnel glass (leaded)"),
    "crt_panel_glass": lazy_gettext("CRT panel glass"),
    "concrete": lazy_gettext("Concrete counterweights"),
    "oil": lazy_gettext("Compressor oil"),
    "compressor_oil": lazy_gettext("Compressor oil"),
    "battery": lazy_gettext("Batteries"),
    "capacitor": lazy_gettext("Capacitors"),
    "mercury_backlight": lazy_gettext("Mercury backlights"),
    # where a unit came from
    "trade_in": lazy_gettext("Trade-in"),
    "collector": lazy_gettext("Collector"),
    "retailer": lazy_gettext("Retailer"),
    "municipal": lazy_gettext("Municipal collection"),
    "business": lazy_gettext("Business"),
    "other": lazy_gettext("Other"),
}


def code_name(code: str | None) -> str:
    """The translated name of a ledger code, or the code itself when it has none."""
    if code is None:
        return "—"
    name = CODE_NAMES.get(code)
    return str(name) if name is not None else code


def template_names() -> dict[str, object]:
    return {"code_name": code_name}
