"""Enumerations the events use, with their names in each language: one definition each
(events.py, the catalogue, the station's configuration, the kiosk's lists and the console
all read them from here)."""

from __future__ import annotations

# Where a unit came from (unit.received.source).
SOURCES = ("trade_in", "collector", "retailer", "municipal", "business", "other")

SOURCE_NAMES = {
    "trade_in": {"zh-CN": "以旧换新", "en": "Trade-in programme"},
    "collector": {"zh-CN": "回收商", "en": "Collector"},
    "retailer": {"zh-CN": "零售商", "en": "Retailer"},
    "municipal": {"zh-CN": "市政回收", "en": "Municipal collection"},
    "business": {"zh-CN": "企事业单位", "en": "Business"},
    "other": {"zh-CN": "其他", "en": "Other"},
}

# Why a unit has no refrigerant recovered (refrigerant.absent.reason).
ABSENT_REASONS = ("not_refrigerant_bearing", "circuit_empty", "compressor_missing",
                  "circuit_damaged", "pumped_down_before_collection")

# What the rules flag (recorded, not refused). Unit flags, then the lot flag.
UNIT_FLAGS = ("low_recovery", "mass_balance", "calibration_overdue", "yield_out_of_range")
LOT_FLAGS = ("receipt_weight",)
FLAG_CODES = UNIT_FLAGS + LOT_FLAGS

FLAG_NAMES = {
    "low_recovery": {"zh-CN": "制冷剂回收率低", "en": "Low refrigerant recovery"},
    "mass_balance": {"zh-CN": "质量平衡超差", "en": "Mass balance"},
    "calibration_overdue": {"zh-CN": "秤校验过期", "en": "Calibration overdue"},
    "yield_out_of_range": {"zh-CN": "产出率超出范围", "en": "Yield out of range"},
    "receipt_weight": {"zh-CN": "接收重量不符", "en": "Receipt weight"},
}

# What a manager's review of a flag decides (flag.reviewed.resolution).
RESOLUTIONS = ("credit", "exclude")
RESOLUTION_NAMES = {"credit": {"zh-CN": "复核后计入", "en": "Credited after review"},
                    "exclude": {"zh-CN": "复核后剔除", "en": "Excluded after review"}}

# What the rules conclude about a unit or lot (ledger.rules.judge.Judgement.status).
STATUSES = ("creditable", "flagged", "excluded")
STATUS_NAMES = {"creditable": {"zh-CN": "可计入", "en": "Creditable"},
                "flagged": {"zh-CN": "有待复核标记", "en": "Flagged"},
                "excluded": {"zh-CN": "不予计入", "en": "Excluded"}}
