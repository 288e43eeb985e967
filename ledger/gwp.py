"""GWP-100 factors (kg CO2e per kg of gas) for the refrigerants and blowing agents a plant
recovers, on the two bases the console offers: IPCC AR4 (the default; what EU F-gas rules
use) and IPCC AR5. Figures from docs/reference/refrigerants.md:

- AR4: IPCC AR4 WG1 Table TS.2 and the EU F-gas Regulation annex (R-410A 2 088).
- AR5: AR5 WG1 Table 8.A.1 as tabulated (R-410A 1 923.5).
- Hydrocarbons (R-600a isobutane, R-290 propane, cyclopentane) are not in the IPCC core
  tables: 3 is the usual convention, used here on both bases and marked `conventional`.

A gas not in the table has no CO2e: `co2e_kg` returns None and the dashboard says so, rather
than guessing a factor. It lives in ledger/ because certificates state CO2e too (standard
library only: certificate verifiers re-derive those figures offline).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BASES = ("AR4", "AR5")
# Where each basis's figures come from, as certificates state it beside each factor.
SOURCES = {"AR4": "IPCC AR4 WG1 Table TS.2 (GWP-100)",
           "AR5": "IPCC AR5 WG1 Table 8.A.1 (GWP-100)"}


@dataclass(frozen=True)
class Factor:
    gas: str
    ar4: Decimal
    ar5: Decimal
    conventional: bool = False  # not an IPCC figure: the usual convention for hydrocarbons

    def of(self, basis: str) -> Decimal:
        return self.ar4 if basis == "AR4" else self.ar5


_TABLE = [
    Factor("R-12", Decimal(10900), Decimal(10200)),
    Factor("R-11", Decimal(4750), Decimal(4660)),
    Factor("HCFC-141b", Decimal(725), Decimal(782)),
    Factor("R-22", Decimal(1810), Decimal(1760)),
    Factor("R-134a", Decimal(1430), Decimal(1300)),
    Factor("R-410A", Decimal(2088), Decimal("1923.5")),
    Factor("R-32", Decimal(675), Decimal(677)),
    Factor("R-600a", Decimal(3), Decimal(3), conventional=True),
    Factor("R-290", Decimal(3), Decimal(3), conventional=True),
    Factor("cyclopentane", Decimal(3), Decimal(3), conventional=True),
]
# Other spellings stations may send for the same gas.
_ALIASES = {"CFC-12": "R-12", "CFC-11": "R-11", "R-141b": "HCFC-141b", "HCFC-22": "R-22",
            "HFC-134a": "R-134a", "HFC-32": "R-32", "R-600A": "R-600a", "ISOBUTANE": "R-600a",
            "PROPANE": "R-290", "R-601": "cyclopentane", "CYCLOPENTANE": "cyclopentane"}
FACTORS = {factor.gas: factor for factor in _TABLE}
_BY_KEY = {**{name.upper(): factor for name, factor in FACTORS.items()},
           **{alias.upper(): FACTORS[name] for alias, name in _ALIASES.items()}}


def factor(gas: str) -> Factor | None:
    """The factor for `gas` (R-134a, HFC-134a, r134a... ), or None if unknown."""
    if gas in FACTORS:
        return FACTORS[gas]
    key = gas.strip().upper()
    if key.startswith("R") and not key.startswith("R-"):
        key = "R-" + key[1:]
    return _BY_KEY.get(key) or _BY_KEY.get(gas.strip().upper())


def co2e_kg(gas: str, grams: int, basis: str) -> Decimal | None:
    """kg CO2e of `grams` of `gas` on `basis` (AR4 or AR5); None for an unknown gas."""
    if basis not in BASES:
        raise ValueError(f"GWP basis {basis!r}: use AR4 or AR5")
    known = factor(gas)
    if known is None:
        return None
    return Decimal(grams) / 1000 * known.of(basis)
