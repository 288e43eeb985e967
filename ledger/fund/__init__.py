"""The fund's terms: what a unit's nameplate says (nameplate), the fund's tables of categories,
sub-classes and rates (tables), and which sub-class a unit falls in (classify)."""
