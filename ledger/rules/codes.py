"""Enumerations the events use, with their names in each language: one definition each
(events.py, the catalogue, the station's configuration, the kiosk's lists and the console
all read them from here)."""

from __future__ import annotations

# What a subject's name may be (a unit's label, a lot's or a cylinder's id): the events'
# subjects and every field naming one (unit.received.set_with).
SUBJECT_NAME = r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}"

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

# What the intake reads off a unit's nameplate that decides its fund sub-class
# (unit.received; ledger/fund/nameplate.py says each field's unit and bounds).
DISPLAYS = ("crt", "lcd", "plasma", "oled", "rear_projection")
DISPLAY_NAMES = {
    "crt": {"zh-CN": "阴极射线管", "en": "CRT"},
    "lcd": {"zh-CN": "液晶（含LED背光）", "en": "LCD/LED"},
    "plasma": {"zh-CN": "等离子", "en": "Plasma"},
    "oled": {"zh-CN": "OLED", "en": "OLED"},
    "rear_projection": {"zh-CN": "背投", "en": "Rear projection"},
}
WASHER_TYPES = ("single_tub", "spin_dryer", "twin_tub", "pulsator", "drum")
WASHER_TYPE_NAMES = {
    "single_tub": {"zh-CN": "单桶洗衣机", "en": "Single-tub"},
    "spin_dryer": {"zh-CN": "脱水机", "en": "Spin dryer"},
    "twin_tub": {"zh-CN": "双桶洗衣机", "en": "Twin-tub"},
    "pulsator": {"zh-CN": "波轮式全自动洗衣机", "en": "Pulsator, automatic"},
    "drum": {"zh-CN": "滚筒式全自动洗衣机", "en": "Drum, automatic"},
}
AC_TYPES = ("packaged", "split", "multi_split")
AC_TYPE_NAMES = {
    "packaged": {"zh-CN": "整体式（窗机、穿墙式）", "en": "Packaged (window, through-wall)"},
    "split": {"zh-CN": "分体式（壁挂、柜机）", "en": "Split (wall, floor)"},
    "multi_split": {"zh-CN": "一拖多", "en": "Multi-split"},
}
PC_TYPES = ("desktop_host", "monitor", "all_in_one", "laptop", "tablet")
PC_TYPE_NAMES = {
    "desktop_host": {"zh-CN": "台式机主机", "en": "Desktop host"},
    "monitor": {"zh-CN": "显示器", "en": "Monitor"},
    "all_in_one": {"zh-CN": "一体机", "en": "All-in-one"},
    "laptop": {"zh-CN": "笔记本电脑", "en": "Laptop"},
    "tablet": {"zh-CN": "平板/掌上电脑", "en": "Tablet/palmtop"},
}
# Which computer type forms a desktop set with which (unit.received.set_with; the fund counts
# the set once, ledger/fund/tables.toml): a desktop host with a monitor, each naming the
# other (ledger/rules/sets.py).
SET_HALVES = {"desktop_host": "monitor", "monitor": "desktop_host"}
NAMEPLATE_FIELD_NAMES = {
    "screen_in": {"zh-CN": "屏幕尺寸（英寸）", "en": "Screen size (inches)"},
    "display": {"zh-CN": "显示技术", "en": "Display technology"},
    "volume_l": {"zh-CN": "总容积（升）", "en": "Total volume (L)"},
    "washer_type": {"zh-CN": "洗衣机类型", "en": "Washer type"},
    "dry_load_g": {"zh-CN": "额定洗涤容量（克）", "en": "Rated dry load (g)"},
    "ac_type": {"zh-CN": "空调类型", "en": "Air conditioner type"},
    "cooling_w": {"zh-CN": "额定制冷量（瓦）", "en": "Rated cooling capacity (W)"},
    "pc_type": {"zh-CN": "电脑类型", "en": "Computer type"},
    "set_with": {"zh-CN": "配套整机标签", "en": "Set with (label)"},
}

# Where a unit stands in the fund's terms (ledger/fund/classify.py), and why it is out of scope.
FUND_SCOPES = ("in_scope", "out_of_scope", "not_fund_product", "unclassified")
FUND_SCOPE_NAMES = {
    "in_scope": {"zh-CN": "属基金范围", "en": "In the fund's scope"},
    "out_of_scope": {"zh-CN": "超出基金范围", "en": "Outside the fund's scope"},
    "not_fund_product": {"zh-CN": "非基金目录产品", "en": "Not a fund product"},
    "unclassified": {"zh-CN": "无法归类（缺铭牌信息）", "en": "Unclassified (nameplate missing)"},
}

# What a storage zone holds (the catalogue's `zones`; HJ 527 zoned storage): units awaiting
# dismantling, dismantled products, or hazardous waste (only there).
ZONE_KINDS = ("units", "products", "hazardous")
ZONE_KIND_NAMES = {
    "units": {"zh-CN": "待拆解废弃电器电子产品贮存区", "en": "Units awaiting dismantling"},
    "products": {"zh-CN": "拆解产物贮存区", "en": "Dismantled products"},
    "hazardous": {"zh-CN": "危险废物贮存区", "en": "Hazardous waste store"},
}

# Why a unit is outside the fund's scope or unclassified, in a few words (ledger/fund/
# classify.py REASON_TEXT's codes, whose full text names the field and value): the name a
# row of the fund table (拆解处理情况表) that sums such units shows.
FUND_REASON_NAMES = {
    "missing": {"zh-CN": "缺铭牌信息", "en": "Nameplate facts missing"},
    "limit": {"zh-CN": "超出范围限值", "en": "Outside a scope limit"},
    "not_allowed": {"zh-CN": "类型不在基金范围", "en": "A type the fund does not cover"},
    "contradicts": {"zh-CN": "铭牌信息与类别不符", "en": "Nameplate contradicts the category"},
    "no_class": {"zh-CN": "不属于任何品种", "en": "Matches no sub-class"},
    "not_fund_product": {"zh-CN": "非基金目录产品", "en": "Not a fund product"},
    "no_tables": {"zh-CN": "目录未含基金表", "en": "Catalogue without fund tables"},
}

# The key steps whose record refers to what a camera saw (issue 16, CN-reviewers credit a
# unit when record and video agree): the event each is, and a component removal only of a
# hazardous component. A catalogue's [evidence] required names those a unit cannot be
# completed without (ledger/rules/evidence.py).
EVIDENCE_STEPS = ("intake", "refrigerant", "hazardous_component", "output", "lot_sealed",
                  "lot_shipped")
EVIDENCE_STEP_EVENTS = {"unit.received": "intake", "refrigerant.recovered": "refrigerant",
                        "component.removed": "hazardous_component",
                        "material.output": "output", "lot.sealed": "lot_sealed",
                        "lot.shipped": "lot_shipped"}
EVIDENCE_STEP_NAMES = {
    "intake": {"zh-CN": "入厂称重", "en": "Intake weighing"},
    "refrigerant": {"zh-CN": "制冷剂回收", "en": "Refrigerant recovery"},
    "hazardous_component": {"zh-CN": "危险部件拆除", "en": "Hazardous component removal"},
    "output": {"zh-CN": "产物称重", "en": "Output weighing"},
    "lot_sealed": {"zh-CN": "批次封存", "en": "Lot sealing"},
    "lot_shipped": {"zh-CN": "批次装车发运", "en": "Lot loading"},
}
# The photos an evidence reference may name, and the extension of each in the store.
PHOTO_TYPES = ("image/jpeg", "image/png")
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}

# What the rules flag (recorded, not refused). Unit flags, then the lot flag.
UNIT_FLAGS = ("low_recovery", "mass_balance", "calibration_overdue", "yield_out_of_range",
              "evidence_excused")
LOT_FLAGS = ("receipt_weight",)
FLAG_CODES = UNIT_FLAGS + LOT_FLAGS

FLAG_NAMES = {
    "low_recovery": {"zh-CN": "制冷剂回收率低", "en": "Low refrigerant recovery"},
    "mass_balance": {"zh-CN": "质量平衡超差", "en": "Mass balance"},
    "calibration_overdue": {"zh-CN": "校准逾期", "en": "Calibration overdue"},
    "yield_out_of_range": {"zh-CN": "产出率超出范围", "en": "Yield out of range"},
    "evidence_excused": {"zh-CN": "关键步骤缺少影像证据", "en": "Evidence missing, excused"},
    "receipt_weight": {"zh-CN": "接收重量不符", "en": "Receipt weight"},
}

# What each refusal rule forbids, in a few words (ledger/rules/reasons.py REFUSALS' codes): the
# name a list of refused attempts or a form's refusal shows beside the rule's full message.
REFUSAL_NAMES = {
    "no_catalogue": {"zh-CN": "未发布工艺目录", "en": "No process catalogue"},
    "time_in_future": {"zh-CN": "事件时间晚于记账时间", "en": "Event time in the future"},
    "time_too_early": {"zh-CN": "事件时间过早", "en": "Event time too early"},
    "catalogue_hash": {"zh-CN": "目录哈希不符", "en": "Catalogue hash mismatch"},
    "catalogue_invalid": {"zh-CN": "目录无效", "en": "Invalid catalogue"},
    "unknown_category": {"zh-CN": "类别不在目录中", "en": "Unknown category"},
    "weight_out_of_range": {"zh-CN": "重量超出通常范围", "en": "Weight out of range"},
    "nameplate_refrigerant": {"zh-CN": "铭牌制冷剂不符", "en": "Nameplate refrigerant mismatch"},
    "nameplate_contradicts": {"zh-CN": "铭牌信息与类别不符",
                              "en": "Nameplate contradicts the category"},
    "duplicate_label": {"zh-CN": "标签重复", "en": "Duplicate label"},
    "duplicate_trade_in": {"zh-CN": "以旧换新编码重复", "en": "Duplicate trade-in code"},
    "set_with_self": {"zh-CN": "配套整机为自身", "en": "Set with itself"},
    "not_a_set": {"zh-CN": "非台式机主机或显示器", "en": "Neither a host nor a monitor"},
    "set_kind": {"zh-CN": "配套类型不符", "en": "Not a host with a monitor"},
    "set_partner_taken": {"zh-CN": "已另行配套", "en": "Already in another set"},
    "set_not_paired": {"zh-CN": "配套未相互登记", "en": "Set not named both ways"},
    "not_received": {"zh-CN": "整机未入厂", "en": "Unit not received"},
    "already_completed": {"zh-CN": "整机已完成", "en": "Unit already completed"},
    "depollution_first": {"zh-CN": "须先去污", "en": "Depollution first"},
    "after_outputs": {"zh-CN": "制冷剂晚于产物", "en": "Refrigerant after outputs"},
    "impossible_mass": {"zh-CN": "产物重量不可能", "en": "Impossible mass"},
    "unknown_component": {"zh-CN": "部件不在目录中", "en": "Unknown component"},
    "unknown_fraction": {"zh-CN": "物料不在目录中", "en": "Unknown fraction"},
    "no_recovery": {"zh-CN": "未回收制冷剂", "en": "Refrigerant not recovered"},
    "steps_missing": {"zh-CN": "步骤未完成", "en": "Steps missing"},
    "no_outputs": {"zh-CN": "尚无产物", "en": "No outputs"},
    "not_refrigerant_bearing": {"zh-CN": "不含制冷剂", "en": "Holds no refrigerant"},
    "refrigerant_recorded": {"zh-CN": "制冷剂已记录", "en": "Refrigerant already recorded"},
    "wrong_gas": {"zh-CN": "制冷剂种类不符", "en": "Wrong refrigerant"},
    "charge_mismatch": {"zh-CN": "充注量不符", "en": "Charge mismatch"},
    "unknown_cylinder": {"zh-CN": "回收钢瓶未登记", "en": "Unregistered cylinder"},
    "wrong_cylinder": {"zh-CN": "回收钢瓶用错", "en": "Wrong cylinder"},
    "cylinder_overfill": {"zh-CN": "回收钢瓶超装", "en": "Cylinder overfill"},
    "cylinder_discontinuous": {"zh-CN": "回收钢瓶重量不连续", "en": "Cylinder weight jumps"},
    "cylinder_lighter": {"zh-CN": "回收钢瓶回收后变轻", "en": "Cylinder lighter after recovery"},
    "cylinder_registered": {"zh-CN": "回收钢瓶已登记", "en": "Cylinder already registered"},
    "unknown_refrigerant": {"zh-CN": "制冷剂不在目录中", "en": "Unknown refrigerant"},
    "max_gross_above_limit": {"zh-CN": "最大总重超限", "en": "Maximum gross above the limit"},
    "unknown_absent_reason": {"zh-CN": "无制冷剂原因未知", "en": "Unknown reason, no refrigerant"},
    "absent_reason": {"zh-CN": "无制冷剂原因不符", "en": "Wrong reason for no refrigerant"},
    "lot_state": {"zh-CN": "批次状态不符", "en": "Lot in the wrong state"},
    "wrong_lot": {"zh-CN": "批次物料不符", "en": "Wrong lot"},
    "hazardous_lot": {"zh-CN": "危险废物须入危废批次", "en": "Hazardous fraction, plain lot"},
    "lot_hazard_mismatch": {"zh-CN": "批次危险属性不符", "en": "Lot hazard class mismatch"},
    "no_receiver_licence": {"zh-CN": "缺接收单位许可证", "en": "No receiver licence"},
    "wrong_manifest": {"zh-CN": "联单不符", "en": "Wrong manifest"},
    "wrong_receiver": {"zh-CN": "接收单位不符", "en": "Wrong receiver"},
    "correction_breaks_rule": {"zh-CN": "更正违反规则", "en": "Correction breaks a rule"},
    "receiver_not_registered": {"zh-CN": "接收单位未登记", "en": "Receiver not registered"},
    "licence_not_covering": {"zh-CN": "接收单位许可证不含该物料",
                             "en": "Licence does not cover the fraction"},
    "licence_not_valid": {"zh-CN": "接收单位许可证不在有效期内", "en": "Licence not valid"},
    "receiver_registered": {"zh-CN": "接收单位已登记", "en": "Receiver already registered"},
    "voucher_not_shipped": {"zh-CN": "批次尚未发运", "en": "Voucher before shipping"},
    "voucher_counterparty": {"zh-CN": "凭证对方与接收单位不符",
                             "en": "Voucher counterparty is not the receiver"},
    "voucher_recorded": {"zh-CN": "凭证已记录", "en": "Voucher already recorded"},
    "unknown_zone": {"zh-CN": "贮存区不在目录中", "en": "Unknown zone"},
    "wrong_zone": {"zh-CN": "贮存区类别不符", "en": "Wrong kind of zone"},
    "unit_set_aside": {"zh-CN": "整机已暂存待处理", "en": "Unit set aside"},
    "not_set_aside": {"zh-CN": "整机未暂存", "en": "Unit not set aside"},
    "lot_not_in_plant": {"zh-CN": "批次已发运", "en": "Lot no longer in the plant"},
    "count_recorded": {"zh-CN": "盘点已记录", "en": "Stock count already recorded"},
    "no_count": {"zh-CN": "无此盘点", "en": "No such stock count"},
    "not_counted": {"zh-CN": "盘点无此项", "en": "Not in the stock count"},
    "already_adjusted": {"zh-CN": "差异已调整", "en": "Difference already adjusted"},
    "no_such_flag": {"zh-CN": "无此待复核标记", "en": "No such open flag"},
    "attempt_subject": {"zh-CN": "拒绝记录对象不符", "en": "Refusal about another subject"},
    "unknown_rule": {"zh-CN": "规则未知", "en": "Unknown rule"},
    "evidence_missing": {"zh-CN": "关键步骤缺少影像证据", "en": "Evidence missing"},
}

# What a voucher of a shipped lot records (lot.voucher.kind): the receiver bought the lot
# (销售), or the plant paid it to treat the lot (处置).
VOUCHER_KINDS = ("sale", "disposal")
VOUCHER_KIND_NAMES = {"sale": {"zh-CN": "销售凭证", "en": "Sale"},
                      "disposal": {"zh-CN": "处置凭证", "en": "Disposal"}}

# What a manager's review of a flag decides (flag.reviewed.resolution).
RESOLUTIONS = ("credit", "exclude")
RESOLUTION_NAMES = {"credit": {"zh-CN": "复核后计入", "en": "Credited after review"},
                    "exclude": {"zh-CN": "复核后剔除", "en": "Excluded after review"}}

# What the rules conclude about a unit or lot (ledger.rules.judge.Judgement.status).
STATUSES = ("creditable", "flagged", "excluded")
STATUS_NAMES = {"creditable": {"zh-CN": "可计入", "en": "Creditable"},
                "flagged": {"zh-CN": "有待复核标记", "en": "Flagged"},
                "excluded": {"zh-CN": "不予计入", "en": "Excluded"}}

# How a coefficient of the auditor's sampling compares with the catalogue's range
# (ledger/fund/sampling.py).
COEFFICIENT_VERDICTS = ("within", "below", "above", "no_range")
COEFFICIENT_VERDICT_NAMES = {
    "within": {"zh-CN": "在范围内", "en": "Within range"},
    "below": {"zh-CN": "低于范围", "en": "Below range"},
    "above": {"zh-CN": "高于范围", "en": "Above range"},
    "no_range": {"zh-CN": "目录无范围", "en": "No range in the catalogue"},
}

# What a certificate certifies (certificate.issued.kind; ledger/certificates/document.py KINDS).
CERTIFICATE_KIND_NAMES = {
    "unit": {"zh-CN": "整机拆解证书", "en": "Unit dismantling certificate"},
    "period": {"zh-CN": "期间报告", "en": "Period report"},
    "lot": {"zh-CN": "批次转移清单", "en": "Lot shipment manifest"},
    "fund_table": {"zh-CN": "拆解处理情况表", "en": "Fund table"},
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
    "unit.stored": {"zh-CN": "整机入贮存区", "en": "Unit stored"},
    "unit.set_aside": {"zh-CN": "整机暂存待处理", "en": "Unit set aside"},
    "unit.taken_back": {"zh-CN": "整机恢复拆解", "en": "Unit taken back"},
    "lot.stored": {"zh-CN": "批次入贮存区", "en": "Lot stored"},
    "lot.voucher": {"zh-CN": "销售/处置凭证", "en": "Sales or disposal voucher"},
    "receiver.registered": {"zh-CN": "接收单位登记", "en": "Receiver registered"},
    "receiver.updated": {"zh-CN": "接收单位登记变更", "en": "Receiver's entry updated"},
    "stock.counted": {"zh-CN": "库存盘点", "en": "Stock count"},
    "stock.adjusted": {"zh-CN": "盘点差异调整", "en": "Stock count difference adjusted"},
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
    "camera.registered": {"zh-CN": "摄像头登记", "en": "Camera registered"},
    "camera.retired": {"zh-CN": "摄像头停用", "en": "Camera retired"},
    "evidence.excused": {"zh-CN": "缺少影像证据说明", "en": "Missing evidence excused"},
}

# -- the plant's identity and its operators register (plant.identified, operator.*) -----------

# What a registered operator does at the plant (operator.registered.roles), in route order.
OPERATOR_ROLES = ("intake", "refrigerant_recovery", "dismantling", "storage", "shipping",
                  "manager", "administrator")
OPERATOR_ROLE_NAMES = {
    "intake": {"zh-CN": "入厂登记与称重", "en": "Intake and weighing"},
    "refrigerant_recovery": {"zh-CN": "制冷剂回收", "en": "Refrigerant recovery"},
    "dismantling": {"zh-CN": "拆解", "en": "Dismantling"},
    "storage": {"zh-CN": "贮存管理", "en": "Storage"},
    "shipping": {"zh-CN": "拆解产物出厂", "en": "Shipping"},
    "manager": {"zh-CN": "管理人员", "en": "Manager"},
    "administrator": {"zh-CN": "系统管理员", "en": "Administrator"},
}

REFUSAL_NAMES.update({
    "identity_subject": {"zh-CN": "企业身份对象不符", "en": "Identity on another subject"},
    "uscc_form": {"zh-CN": "统一社会信用代码格式不符", "en": "Malformed credit code"},
    "uscc_check": {"zh-CN": "统一社会信用代码校验不符", "en": "Credit code check fails"},
    "validity_dates": {"zh-CN": "有效期不符", "en": "Invalid validity dates"},
    "operator_code": {"zh-CN": "操作员代码不符", "en": "Invalid operator code"},
    "operator_not_active": {"zh-CN": "操作员未在册", "en": "Operator not in the register"},
})

EVENT_TYPE_NAMES.update({
    "plant.identified": {"zh-CN": "企业身份登记", "en": "Plant identity recorded"},
    "operator.registered": {"zh-CN": "操作员登记", "en": "Operator registered"},
    "operator.retired": {"zh-CN": "操作员注销", "en": "Operator retired"},
})
