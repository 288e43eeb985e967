"""Enumerations the events use: one definition each (events.py, the catalogue, the station's
configuration and the kiosk's lists all read them from here)."""

from __future__ import annotations

# Where a unit came from (unit.received.source).
SOURCES = ("trade_in", "collector", "retailer", "municipal", "business", "other")

# Why a unit has no refrigerant recovered (refrigerant.absent.reason).
ABSENT_REASONS = ("not_refrigerant_bearing", "circuit_empty", "compressor_missing",
                  "circuit_damaged", "pumped_down_before_collection")

# What the rules flag (recorded, not refused). Unit flags, then the lot flag.
UNIT_FLAGS = ("low_recovery", "mass_balance", "calibration_overdue", "yield_out_of_range")
LOT_FLAGS = ("receipt_weight",)
FLAG_CODES = UNIT_FLAGS + LOT_FLAGS

# What a manager's review of a flag decides (flag.reviewed.resolution).
RESOLUTIONS = ("credit", "exclude")
