"""Every refusal and flag the rules raise: a code, its parameters and a message in each
language, as `%(name)s` templates (masses in params are integer grams, `*_g`).

The ledger's refusal messages, the kiosk's messages (its Chinese comes from here, not from a
copy), the certificate PDF and the console's alerts all render these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class Reason:
    """A rule's verdict, named: `code` is what events and APIs carry."""

    code: str
    en: str
    zh: str

    def text(self, params: dict[str, Any], language: str = "en") -> str:
        template = self.zh if language == "zh-CN" else self.en
        return template % params


class Refusal(Exception):
    """A rule forbids this event; nothing is written. `reason.code` says which rule."""

    def __init__(self, reason: Reason, /, **params: Any):
        super().__init__(reason.text(params))
        self.reason = reason
        self.params = params

    @property
    def code(self) -> str:
        return self.reason.code

    def text(self, language: str = "en") -> str:
        return self.reason.text(self.params, language)


@dataclass(frozen=True)
class Flag:
    """A questionable record, kept and raised: `key` tells apart flags of one code on one
    subject (the fraction of a yield, the scale of a calibration), `params` the figures."""

    code: str
    params: dict[str, Any]
    key: str | None = None

    @property
    def reason(self) -> Reason:
        return FLAGS[self.code]

    def text(self, language: str = "en") -> str:
        return self.reason.text(self.params, language)

    def record(self) -> dict[str, Any]:
        """The flag as certificates state it and the projection stores it."""
        return {"code": self.code, "key": self.key, "params": self.params}


@dataclass
class _Registry:
    reasons: dict[str, Reason] = field(default_factory=dict)

    def add(self, code: str, en: str, zh: str) -> Reason:
        if code in self.reasons:
            raise ValueError(f"reason {code!r} is defined twice")
        self.reasons[code] = Reason(code, en, zh)
        return self.reasons[code]


_refusals = _Registry()
_flags = _Registry()
refusal = _refusals.add
flag = _flags.add

# -- any event --------------------------------------------------------------------------------

NO_CATALOGUE = refusal(
    "no_catalogue",
    "No process catalogue is in force: publish one (catalogue.published; `dledger init` "
    "does, `dledger catalogue publish` for an older instance) before recording %(type)s",
    "尚未发布工艺目录：请先发布（catalogue.published；`dledger init` 会发布，旧实例用 "
    "`dledger catalogue publish`），再记录 %(type)s")
TIME_IN_FUTURE = refusal(
    "time_in_future",
    "Event time %(time)s is %(ahead_s)s s after it was logged (%(logged)s), more than the "
    "allowed clock skew of %(skew_s)s s: set the clock of %(station)s right",
    "事件时间 %(time)s 比记账时间 %(logged)s 晚 %(ahead_s)s 秒，超过允许的时钟偏差 %(skew_s)s "
    "秒：请校准 %(station)s 的时钟")
TIME_TOO_EARLY = refusal(
    "time_too_early",
    "Event time %(time)s is before %(earliest)s (%(why)s): check the clock of %(station)s",
    "事件时间 %(time)s 早于 %(earliest)s（%(why)s）：请检查 %(station)s 的时钟")
CATALOGUE_HASH = refusal(
    "catalogue_hash",
    "The catalogue's sha256 %(stated)s is not the SHA-256 of its content (%(actual)s)",
    "目录声明的 sha256 %(stated)s 与其内容的 SHA-256（%(actual)s）不符")
CATALOGUE_INVALID = refusal(
    "catalogue_invalid", "The catalogue is not valid: %(error)s", "目录无效：%(error)s")

# -- units ------------------------------------------------------------------------------------

UNKNOWN_CATEGORY = refusal(
    "unknown_category",
    "Category %(category)s is not in the catalogue in force (%(known)s)",
    "类别 %(category)s 不在现行目录中（%(known)s）")
WEIGHT_OUT_OF_RANGE = refusal(
    "weight_out_of_range",
    "%(gross_g)s g is outside the usual weight of a %(category)s (%(low_g)s–%(high_g)s g): "
    "check the category and the scale, then weigh again",
    "%(gross_g)s g 超出 %(category)s 的通常重量（%(low_g)s–%(high_g)s g）：请核对类别和秤，"
    "然后重新称重")
NAMEPLATE_GAS = refusal(
    "nameplate_refrigerant",
    "Nameplate refrigerant %(refrigerant)s is not one a %(category)s holds (%(allowed)s): "
    "check the nameplate",
    "铭牌制冷剂 %(refrigerant)s 不是 %(category)s 所用的制冷剂（%(allowed)s）：请核对铭牌")
NAMEPLATE_CONTRADICTS = refusal(
    "nameplate_contradicts",
    "Nameplate %(field)s %(value)s contradicts a %(category)s, which is %(implied)s: check "
    "the nameplate and the category",
    "铭牌 %(field)s %(value)s 与 %(category)s 不符（应为 %(implied)s）：请核对铭牌和类别")
DUPLICATE_LABEL = refusal(
    "duplicate_label",
    "Label %(label)s was already received (%(category)s, %(gross_g)s g): a label is used "
    "once; check the label on the unit or put it aside for the supervisor",
    "标签 %(label)s 已入库（%(category)s，%(gross_g)s g）：一个标签只能用一次；请核对整机上的"
    "标签，或将整机暂放交班组长处理")
DUPLICATE_TRADE_IN = refusal(
    "duplicate_trade_in",
    "Trade-in code %(code)s was already received with unit %(holder)s: a code is used once; "
    "put the unit aside for the supervisor",
    "以旧换新编码 %(code)s 已随整机 %(holder)s 入库：一个编码只能用一次；请将整机暂放交班组长"
    "处理")
SET_WITH_SELF = refusal(
    "set_with_self",
    "Unit %(label)s names itself as the other half of its set (set_with): give the label of "
    "the host or monitor it came with",
    "整机 %(label)s 的配套整机标签（set_with）是其自身：请填写与其配套的主机或显示器的标签")
NOT_A_SET = refusal(
    "not_a_set",
    "Unit %(label)s (%(category)s, computer type %(kind)s) is neither a desktop host nor a "
    "monitor: only those two form a set; leave set_with empty, or record its pc_type",
    "整机 %(label)s（%(category)s，电脑类型 %(kind)s）不是台式机主机或显示器：只有二者可配套；"
    "请不填配套整机标签，或记录其电脑类型")
SET_KIND = refusal(
    "set_kind",
    "Unit %(label)s, a %(kind)s, forms a set with a %(needs)s, and unit %(partner)s is a "
    "%(partner_kind)s: check the labels",
    "整机 %(label)s 为 %(kind)s，须与 %(needs)s 配套，而整机 %(partner)s 为 %(partner_kind)s："
    "请核对标签")
SET_PARTNER_TAKEN = refusal(
    "set_partner_taken",
    "Unit %(held)s is already set with %(other)s, so unit %(label)s cannot be set with "
    "%(partner)s: a unit is in one set; check the labels, or correct the other set first",
    "整机 %(held)s 已与 %(other)s 配套，整机 %(label)s 不能与 %(partner)s 配套：一台整机只属于"
    "一套；请核对标签，或先更正另一套的记录")
SET_NOT_PAIRED = refusal(
    "set_not_paired",
    "Unit %(label)s is set with %(partner)s, but %(partner)s was not weighed in naming "
    "%(label)s back (set_with) before this: weigh in the other half with set_with %(label)s, "
    "or correct the label, before completing",
    "整机 %(label)s 与 %(partner)s 配套，但 %(partner)s 此前未以配套整机标签 %(label)s 入库："
    "完成前请将另一半以配套整机标签 %(label)s 入库，或更正标签")
NOT_RECEIVED = refusal(
    "not_received",
    "Unit %(label)s has not been weighed in: do the intake first",
    "整机 %(label)s 尚未入库称重：请先入库")
ALREADY_COMPLETED = refusal(
    "already_completed",
    "Unit %(label)s is already completed: nothing more can be recorded for it (fix its record "
    "with a correction)",
    "整机 %(label)s 已完成：不能再为其记录（如需更正请用更正记录）")
DEPOLLUTION_FIRST = refusal(
    "depollution_first",
    "Depollution first: %(steps)s not yet recorded for unit %(label)s",
    "请先去污：整机 %(label)s 尚未记录 %(steps)s")
AFTER_OUTPUTS = refusal(
    "after_outputs",
    "Refrigerant must be recorded before dismantling, and outputs of unit %(label)s are "
    "already recorded: call the supervisor",
    "制冷剂须在拆解前记录，而整机 %(label)s 已有产物记录：请呼叫班组长")
IMPOSSIBLE_MASS = refusal(
    "impossible_mass",
    "%(mass_g)s g cannot have come out of unit %(label)s, which weighed %(gross_g)s g in: "
    "check the scale and the unit",
    "整机 %(label)s 入库仅 %(gross_g)s g，不可能产出 %(mass_g)s g：请核对秤和整机")
UNKNOWN_COMPONENT = refusal(
    "unknown_component",
    "Component %(component)s is not in the catalogue in force (%(known)s)",
    "部件 %(component)s 不在现行目录中（%(known)s）")
UNKNOWN_FRACTION = refusal(
    "unknown_fraction",
    "Fraction %(fraction)s is not in the catalogue in force (%(known)s)",
    "物料 %(fraction)s 不在现行目录中（%(known)s）")
NO_REFRIGERANT_RECORD = refusal(
    "no_recovery",
    "Unit %(label)s (%(category)s) holds refrigerant: recover it by weighing the cylinder "
    "before and after, or record why there is none, before completing",
    "整机 %(label)s（%(category)s）含制冷剂：完成前请称量回收瓶回收前后重量进行回收，或记录无"
    "制冷剂的原因")
STEPS_MISSING = refusal(
    "steps_missing",
    "Unit %(label)s cannot be completed: %(steps)s not yet recorded",
    "整机 %(label)s 不能完成：尚未记录 %(steps)s")
NO_OUTPUTS = refusal(
    "no_outputs",
    "Unit %(label)s has no outputs yet: weigh what came out of it into its lots first",
    "整机 %(label)s 尚无产物：请先将拆出的物料称重放入批次")

# -- refrigerant and cylinders ----------------------------------------------------------------

NOT_REFRIGERANT_BEARING = refusal(
    "not_refrigerant_bearing",
    "A %(category)s holds no refrigerant: no recovery is recorded for it",
    "%(category)s 不含制冷剂：无需记录回收")
REFRIGERANT_RECORDED = refusal(
    "refrigerant_recorded",
    "Unit %(label)s already has its refrigerant recorded as %(recorded)s",
    "整机 %(label)s 的制冷剂已记录为 %(recorded)s")
WRONG_GAS = refusal(
    "wrong_gas",
    "Unit %(label)s holds %(gas)s (%(why)s), not %(refrigerant)s: never mix refrigerants",
    "整机 %(label)s 所含为 %(gas)s（%(why)s），不是 %(refrigerant)s：严禁混装制冷剂")
CHARGE_MISMATCH = refusal(
    "charge_mismatch",
    "The recovery states a nameplate charge of %(stated_g)s g, the unit's intake %(charge_g)s "
    "g: the charge is the nameplate's, recorded at intake",
    "回收记录的铭牌充注量为 %(stated_g)s g，入库记录为 %(charge_g)s g：充注量以入库时的铭牌为准")
UNKNOWN_CYLINDER = refusal(
    "unknown_cylinder",
    "Cylinder %(cylinder)s is not registered: register it (tare, water capacity) on the "
    "console first",
    "回收瓶 %(cylinder)s 未登记：请先在管理台登记（皮重、水容积）")
WRONG_CYLINDER = refusal(
    "wrong_cylinder",
    "Cylinder %(cylinder)s is for %(cylinder_gas)s, the unit holds %(gas)s: never mix "
    "refrigerants; scan a %(gas)s cylinder",
    "回收瓶 %(cylinder)s 用于 %(cylinder_gas)s，整机所含为 %(gas)s：严禁混装；请扫描 %(gas)s "
    "回收瓶")
CYLINDER_OVERFILL = refusal(
    "cylinder_overfill",
    "Cylinder %(cylinder)s would weigh %(gross_g)s g, above its Guideline K limit of "
    "%(limit_g)s g: nothing recorded; use another cylinder",
    "回收瓶 %(cylinder)s 将重 %(gross_g)s g，超过其 Guideline K 上限 %(limit_g)s g：未记录；"
    "请换用其他回收瓶")
CYLINDER_DISCONTINUOUS = refusal(
    "cylinder_discontinuous",
    "Cylinder %(cylinder)s weighs %(before_g)s g before this recovery, but %(last_after_g)s g "
    "after its last one (entry %(last_entry)s), more than %(tolerance_g)s g apart: check "
    "that it is the same cylinder, alone on the scale",
    "回收瓶 %(cylinder)s 本次回收前重 %(before_g)s g，而上次回收后（记录 %(last_entry)s）为 "
    "%(last_after_g)s g，相差超过 %(tolerance_g)s g：请确认是同一个回收瓶且秤上无其他物品")
CYLINDER_LIGHTER = refusal(
    "cylinder_lighter",
    "Cylinder %(cylinder)s weighs %(after_g)s g after, less than %(before_g)s g before the "
    "recovery: check that it is the same cylinder, alone on the scale",
    "回收瓶 %(cylinder)s 回收后重 %(after_g)s g，低于回收前的 %(before_g)s g：请确认是同一个"
    "回收瓶且秤上无其他物品")
CYLINDER_REGISTERED = refusal(
    "cylinder_registered",
    "Cylinder %(cylinder)s is already registered (entry %(entry)s): a cylinder id is used once",
    "回收瓶 %(cylinder)s 已登记（记录 %(entry)s）：回收瓶编号只能使用一次")
UNKNOWN_GAS = refusal(
    "unknown_refrigerant",
    "Refrigerant %(refrigerant)s is not in the catalogue in force (%(known)s)",
    "制冷剂 %(refrigerant)s 不在现行目录中（%(known)s）")
MAX_GROSS_ABOVE_LIMIT = refusal(
    "max_gross_above_limit",
    "Max gross %(max_gross_g)s g is above the Guideline K limit of %(limit_g)s g for "
    "%(refrigerant)s (tare %(tare_g)s g + 0.8 × water capacity %(water_capacity_g)s g × SG "
    "%(sg)s)",
    "最大总重 %(max_gross_g)s g 超过 %(refrigerant)s 的 Guideline K 上限 %(limit_g)s g（皮重 "
    "%(tare_g)s g + 0.8 × 水容积 %(water_capacity_g)s g × 比重 %(sg)s）")
UNKNOWN_ABSENT_REASON = refusal(
    "unknown_absent_reason",
    "Reason %(reason)s is not one of %(known)s",
    "原因 %(reason)s 不在 %(known)s 之中")
ABSENT_REASON_WRONG = refusal(
    "absent_reason",
    "A %(category)s holds no refrigerant: the reason is not_refrigerant_bearing, not "
    "%(reason)s",
    "%(category)s 不含制冷剂：原因应为 not_refrigerant_bearing，而不是 %(reason)s")

# -- lots -------------------------------------------------------------------------------------

LOT_STATE = refusal(
    "lot_state",
    "Lot %(lot)s is %(state)s; %(type)s needs it %(needs)s",
    "批次 %(lot)s 当前为 %(state)s；%(type)s 需要它处于 %(needs)s")
WRONG_LOT = refusal(
    "wrong_lot",
    "Lot %(lot)s holds %(lot_fraction)s, not %(fraction)s: scan the right lot",
    "批次 %(lot)s 装的是 %(lot_fraction)s，不是 %(fraction)s：请扫描正确的批次")
HAZARDOUS_LOT = refusal(
    "hazardous_lot",
    "%(fraction)s is hazardous, and lot %(lot)s is not marked hazardous: put it in a "
    "hazardous lot",
    "%(fraction)s 属危险废物，而批次 %(lot)s 未标为危险：请放入危险废物批次")
LOT_HAZARD_MISMATCH = refusal(
    "lot_hazard_mismatch",
    "Lot %(lot)s of %(fraction)s must be opened with hazardous = %(expected)s, as the "
    "catalogue classes the fraction",
    "%(fraction)s 的批次 %(lot)s 必须按目录分类以 hazardous = %(expected)s 开启")
NO_LICENCE = refusal(
    "no_receiver_licence",
    "Lot %(lot)s is hazardous: shipping it needs the receiver's licence number "
    "(receiver_licence)",
    "批次 %(lot)s 属危险废物：发运时须填写接收单位的许可证编号（receiver_licence）")
WRONG_MANIFEST = refusal(
    "wrong_manifest",
    "Manifest %(manifest_no)s is not the one lot %(lot)s was shipped with (%(shipped)s)",
    "联单 %(manifest_no)s 不是批次 %(lot)s 发运时的联单（%(shipped)s）")
WRONG_RECEIVER = refusal(
    "wrong_receiver",
    "Lot %(lot)s was shipped to %(shipped)s, not %(receiver)s: the receipt comes from the "
    "receiver it was shipped to",
    "批次 %(lot)s 发往 %(shipped)s，而不是 %(receiver)s：接收记录须来自发运时的接收单位")

# -- receivers and vouchers (ledger/rules/receivers.py) --------------------------------------

RECEIVER_NOT_REGISTERED = refusal(
    "receiver_not_registered",
    "Receiver %(receiver)s is not in the plant's register of receivers: register it (legal "
    "name, unified social credit code, licence and the fractions it covers) on the console's "
    "Receivers page, then %(what)s naming it by its code",
    "接收单位 %(receiver)s 未在本厂接收单位名录中登记：请先在管理台“接收单位”页登记（名称、统一"
    "社会信用代码、许可证及其核准的物料），再按其代码%(what)s")
LICENCE_NOT_COVERING = refusal(
    "licence_not_covering",
    "Lot %(lot)s is %(fraction)s, which receiver %(receiver)s (%(code)s) may not take: its "
    "licence %(licence)s covers %(covers)s. Ship it to a receiver licensed for %(fraction)s",
    "批次 %(lot)s 为 %(fraction)s，接收单位 %(receiver)s（%(code)s）无权接收：其许可证 "
    "%(licence)s 核准的物料为 %(covers)s。请发往持有 %(fraction)s 许可的接收单位")
LICENCE_NOT_VALID = refusal(
    "licence_not_valid",
    "Licence %(licence)s of receiver %(receiver)s (%(code)s) is not valid at %(time)s: it "
    "runs from %(valid_from)s until %(valid_until)s. Record its renewed licence in the "
    "register, or ship to another receiver",
    "接收单位 %(receiver)s（%(code)s）的许可证 %(licence)s 在 %(time)s 不在有效期内（有效期 "
    "%(valid_from)s 至 %(valid_until)s）：请在名录中登记其换发的许可证，或发往其他接收单位")
RECEIVER_REGISTERED = refusal(
    "receiver_registered",
    "Receiver %(code)s is already registered (as %(legal_name)s): record a change as "
    "receiver.updated",
    "接收单位 %(code)s 已登记（%(legal_name)s）：变更请记录为 receiver.updated")
VOUCHER_NOT_SHIPPED = refusal(
    "voucher_not_shipped",
    "Lot %(lot)s is %(state)s: a sales or disposal voucher is recorded for a lot once it is "
    "shipped to its receiver",
    "批次 %(lot)s 当前为 %(state)s：销售或处置凭证须在批次发运给接收单位后记录")
VOUCHER_COUNTERPARTY = refusal(
    "voucher_counterparty",
    "Voucher %(voucher_no)s names %(counterparty)s, but lot %(lot)s was shipped to "
    "%(receiver)s: the money's counterparty is the receiver of the goods",
    "凭证 %(voucher_no)s 的对方为 %(counterparty)s，而批次 %(lot)s 发往 %(receiver)s：资金往来"
    "对方须为货物的接收单位")
VOUCHER_RECORDED = refusal(
    "voucher_recorded",
    "Voucher %(voucher_no)s is already recorded for lot %(lot)s: a voucher is recorded once",
    "凭证 %(voucher_no)s 已为批次 %(lot)s 记录：每张凭证只记录一次")

CORRECTION_BREAKS_RULE = refusal(
    "correction_breaks_rule",
    "This correction would make entry %(entry)s break a rule: %(why)s",
    "此更正会使记录 %(entry)s 违反规则：%(why)s")

# -- storage and stock counts -----------------------------------------------------------------

UNKNOWN_ZONE = refusal(
    "unknown_zone",
    "Zone %(zone)s is not one of the catalogue's storage zones (%(known)s): choose one, or "
    "add it to the plant's catalogue under [zones] and publish it",
    "贮存区 %(zone)s 不在工艺目录的贮存区中（%(known)s）：请选择其一，或在工厂目录 [zones] 中添加"
    "并发布")
WRONG_ZONE = refusal(
    "wrong_zone",
    "Zone %(zone)s is a '%(kind)s' zone; %(what)s belongs in a '%(needs)s' zone (%(zones)s)",
    "贮存区 %(zone)s 为“%(kind)s”类贮存区；%(what)s 应放入“%(needs)s”类贮存区（%(zones)s）")
UNIT_SET_ASIDE = refusal(
    "unit_set_aside",
    "Unit %(label)s is set aside (%(reason)s): take it back before recording its dismantling",
    "整机 %(label)s 已暂存待处理（%(reason)s）：请先恢复拆解，再记录拆解")
NOT_SET_ASIDE = refusal(
    "not_set_aside",
    "Unit %(label)s is not set aside: there is nothing to take back",
    "整机 %(label)s 未暂存：无需恢复")
LOT_NOT_IN_PLANT = refusal(
    "lot_not_in_plant",
    "Lot %(lot)s is %(state)s: only a lot still in the plant (open or sealed) is stored",
    "批次 %(lot)s 状态为 %(state)s：只有仍在厂内的批次（开启或已封存）可入贮存区")
COUNT_RECORDED = refusal(
    "count_recorded",
    "Stock count %(count)s is already recorded: give a new count its own id",
    "盘点 %(count)s 已记录：新的盘点请使用新的编号")
NO_COUNT = refusal(
    "no_count",
    "Stock count %(count)s has not been recorded: record the count before adjusting it",
    "盘点 %(count)s 尚未记录：请先记录盘点，再调整差异")
NOT_COUNTED = refusal(
    "not_counted",
    "Stock count %(count)s did not count %(line)s: adjust a line the count holds",
    "盘点 %(count)s 未盘点 %(line)s：请调整盘点中已有的项目")
ALREADY_ADJUSTED = refusal(
    "already_adjusted",
    "The difference for %(line)s in stock count %(count)s is already adjusted",
    "盘点 %(count)s 中 %(line)s 的差异已调整")

# -- reviews and refusal records --------------------------------------------------------------

NO_SUCH_FLAG = refusal(
    "no_such_flag",
    "%(subject)s has no open %(flag)s flag%(about)s to review",
    "%(subject)s 没有待复核的 %(flag)s 标记%(about)s")
ATTEMPT_SUBJECT = refusal(
    "attempt_subject",
    "A refusal is recorded by the station that refused, about itself (station:%(station)s), "
    "not %(subject)s",
    "拒绝记录须由作出拒绝的工位以其自身为对象（station:%(station)s）记录，而不是 %(subject)s")
UNKNOWN_RULE = refusal(
    "unknown_rule", "Rule %(rule)s is not a rule of the ledger", "规则 %(rule)s 不是账本的规则")

# -- evidence of the key steps (ledger/rules/evidence.py) ----------------------------------------

EVIDENCE_MISSING = refusal(
    "evidence_missing",
    "Unit %(label)s cannot be completed: its key steps %(steps)s record no camera or photo, "
    "which the catalogue requires. Record them again with the cameras on, or have a manager "
    "record why (evidence.excused: a camera down); the unit is then flagged",
    "整机 %(label)s 不能完成：其关键步骤 %(steps)s 没有摄像或照片记录，而工艺目录要求记录。"
    "请在摄像头正常时重新记录，或由主管记录原因（evidence.excused：摄像头故障）；该整机将被标记")
# -- the plant's identity and its operators register -----------------------------------------

IDENTITY_SUBJECT = refusal(
    "identity_subject",
    "The plant's identity is recorded on plant:identity, not %(subject)s",
    "企业身份应登记在 plant:identity 上，而不是 %(subject)s")
USCC_FORM = refusal(
    "uscc_form",
    "%(uscc)s is not a unified social credit code: 18 characters of 0-9 and A-Y without I, "
    "O, S, V and Z, the 3rd to 8th digits (GB 32100-2015); copy it from the business licence",
    "%(uscc)s 不是统一社会信用代码：应为 18 位，由数字和除 I、O、S、V、Z 以外的大写字母组成，"
    "第 3–8 位为数字（GB 32100-2015）；请按营业执照填写")
USCC_CHECK = refusal(
    "uscc_check",
    "Character %(position)s of unified social credit code %(uscc)s is %(found)s, but the "
    "characters before it give %(expected)s (%(standard)s): check the code on the business "
    "licence",
    "统一社会信用代码 %(uscc)s 的第 %(position)s 位为 %(found)s，按 %(standard)s 校验应为 "
    "%(expected)s：请核对营业执照上的代码")
VALIDITY_DATES = refusal(
    "validity_dates",
    "%(document)s is valid from %(valid_from)s until %(valid_until)s: give real dates "
    "(YYYY-MM-DD), the end not before the start",
    "%(document)s 的有效期为 %(valid_from)s 至 %(valid_until)s：请填写有效日期（YYYY-MM-DD），"
    "截止日期不得早于起始日期")
OPERATOR_CODE = refusal(
    "operator_code",
    "Operator code %(code)s cannot be registered: use 1 to 64 letters, digits, '.', '_' or "
    "'-', starting with a letter or digit, as the events' operator field names the person",
    "操作员代码 %(code)s 无法登记：请使用 1–64 位字母、数字、“.”、“_”或“-”，以字母或数字开头，"
    "与事件的 operator 字段一致")
OPERATOR_NOT_ACTIVE = refusal(
    "operator_not_active",
    "Operator %(code)s is not in the operators register (never registered, or retired "
    "already): there is nothing to retire",
    "操作员 %(code)s 不在操作员名册中（未登记或已注销）：无需注销")

# -- flags ------------------------------------------------------------------------------------

LOW_RECOVERY = flag(
    "low_recovery",
    "Recovered %(recovered_g)s g of a %(nameplate_charge_g)s g nameplate charge, below "
    "%(threshold_pct)s %%: recorded and flagged; check the circuit for leaks or note why",
    "回收 %(recovered_g)s g，铭牌充注量 %(nameplate_charge_g)s g，低于 %(threshold_pct)s %%："
    "已记录并标记；请检查回路是否泄漏或注明原因")
MASS_BALANCE = flag(
    "mass_balance",
    "Outputs and refrigerant weigh %(accounted_g)s g against %(gross_g)s g in, beyond "
    "±%(tolerance_pct)s %%: recorded and flagged; check for a missed output or a wrong weight",
    "产物与制冷剂合计 %(accounted_g)s g，入库 %(gross_g)s g，偏差超过 ±%(tolerance_pct)s %%："
    "已记录并标记；请检查是否漏记产物或重量有误")
YIELD = flag(
    "yield_out_of_range",
    "%(fraction)s is %(mass_g)s g of the unit's %(gross_g)s g, outside the expected "
    "%(min_pct)s–%(max_pct)s %%: recorded and flagged",
    "%(fraction)s 为 %(mass_g)s g，占整机 %(gross_g)s g 的比例超出预期 %(min_pct)s–%(max_pct)s "
    "%%：已记录并标记")
CALIBRATION_OVERDUE = flag(
    "calibration_overdue",
    "Scale %(scale)s has no passing calibration check in the %(hours)s h before %(at)s "
    "(last: %(last_pass)s): the weighing is recorded and flagged; have it checked",
    "秤 %(scale)s 在 %(at)s 之前 %(hours)s 小时内没有合格的校验（上次：%(last_pass)s）："
    "称重已记录并标记；请安排校验")
EVIDENCE_EXCUSED = flag(
    "evidence_excused",
    "Unit %(label)s was completed without the evidence required of %(steps)s: %(reason)s "
    "(approved by %(approved_by)s): flagged; review it against the recorder's video",
    "整机 %(label)s 的关键步骤 %(steps)s 缺少要求的影像证据即完成：%(reason)s（批准人 "
    "%(approved_by)s）：已标记；请对照录像机的录像复核")
RECEIPT_WEIGHT = flag(
    "receipt_weight",
    "Lot %(lot)s was received at %(received_g)s g against %(net_g)s g sealed, beyond "
    "±%(tolerance_pct)s %%: recorded and flagged; reconcile with the receiver",
    "批次 %(lot)s 接收重量 %(received_g)s g，封装重量 %(net_g)s g，偏差超过 ±%(tolerance_pct)s "
    "%%：已记录并标记；请与接收单位核对")

REFUSALS: dict[str, Reason] = _refusals.reasons
FLAGS: dict[str, Reason] = _flags.reasons
