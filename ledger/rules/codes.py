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
    "calibration_overdue": {"zh-CN": "校准逾期", "en": "Calibration overdue"},
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

# What a certificate certifies (certificate.issued.kind; ledger/certificates/document.py KINDS).
CERTIFICATE_KIND_NAMES = {
    "unit": {"zh-CN": "整机拆解证书", "en": "Unit dismantling certificate"},
    "period": {"zh-CN": "期间报告", "en": "Period report"},
    "lot": {"zh-CN": "批次转移清单", "en": "Lot shipment manifest"},
}

# What happened, for every event type a page shows (ledger/events.py EVENT_TYPES).
EVENT_TYPE_NAMES = {
    "unit.received": {"zh-CN": "整机入厂", "en": "Unit received"},
    "refrigerant.recovered": {"zh-CN": "制冷剂回收", "en": "Refrigerant recovery"},
    "refrigerant.absent": {"zh-CN": "无制冷剂可回收", "en": "No refrigerant to recover"},
    "component.removed": {"zh-CN": "部件拆除", "en": "Component removed"},
    "material.output": {"zh-CN": "拆解产物", "en": "Material output"},
    "unit.completed": {"zh-CN": "拆解完成", "en": "Unit completed"},
    "lot.opened": {"zh-CN": "批次开启", "en": "Lot opened"},
    "lot.sealed": {"zh-CN": "批次封存", "en": "Lot sealed"},
    "lot.shipped": {"zh-CN": "批次发运", "en": "Lot shipped"},
    "lot.received": {"zh-CN": "接收单位确认接收", "en": "Receipt confirmed by the receiver"},
    "scale.calibrated": {"zh-CN": "秤校准核查", "en": "Scale calibration check"},
    "cylinder.registered": {"zh-CN": "回收钢瓶登记", "en": "Recovery cylinder registered"},
    "station.registered": {"zh-CN": "工位密钥批准", "en": "Station key approved"},
    "station.revoked": {"zh-CN": "工位密钥撤销", "en": "Station key revoked"},
    "key.rotated": {"zh-CN": "工厂密钥更换", "en": "Plant key replaced"},
    "catalogue.published": {"zh-CN": "工艺目录发布", "en": "Process catalogue published"},
    "flag.reviewed": {"zh-CN": "标记已复核", "en": "Flag reviewed"},
    "attempt.refused": {"zh-CN": "操作被拒绝", "en": "Attempt refused"},
    "certificate.issued": {"zh-CN": "证书签发", "en": "Certificate issued"},
    "certificate.revoked": {"zh-CN": "证书撤销", "en": "Certificate revoked"},
    "correction": {"zh-CN": "更正", "en": "Correction"},
}
