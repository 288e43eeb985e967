"""The fund table (废弃电器电子产品拆解处理情况表) laid out as the form reads, for both its
renderings: the PDF (ledger.certificates.fund_pdf) and the plant's XLSX
(ledger.certificates.fund_xlsx) take their rows, columns and headers from here, so the two
say the same thing in the same words.

The form's body: the statements' rows grouped by fund category (a heading row each), each
sub-class under its category; then the units outside the fund (out of scope, unclassified,
not a fund product), shown with their counts and never counted; then the totals. Its annexes
are lists of lines (days, fractions, destinations, units), each described by its `Column`s:
the header in Chinese and English and the kind of value, which decides how a cell is written
(`text`: in words, for the PDF and the CSV; the XLSX writes numbers as numbers).
Codes are put in words by ledger.certificates.words; nothing here names a code itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.certificates.words import (
    NO_VALUE,
    TRUTH,
    Words,
    both,
    fund_codes,
    fund_name_in,
    fund_named,
    kg,
    name_in,
    named,
)
from ledger.fund.classify import REASON_TEXT, FundClass
from ledger.rules.codes import (
    FUND_REASON_NAMES,
    FUND_SCOPE_NAMES,
    FUND_SCOPES,
    NAMEPLATE_FIELD_NAMES,
    STATUS_NAMES,
)

STATUSES = ("creditable", "flagged", "excluded")
OUTSIDE = ("out_of_scope", "unclassified", "not_fund_product")  # shown, never counted


class FormError(ValueError):
    """The statements are not a fund table's; the message names the member."""


@dataclass(frozen=True)
class Column:
    """One column of an annex: the member of a line it shows, its header, its kind."""

    key: str
    zh: str
    en: str
    kind: str  # text int kg time bool date fraction category scope fund_category sub_class
    # reason status

    def header(self, time_zone: str) -> str:
        zone = f" ({time_zone})" if self.kind == "time" else ""
        return f"{self.zh} {self.en}{zone}"


DAY_COLUMNS = (Column("date", "日期", "Date", "date"),
               Column("received", "接收", "Received", "int"),
               Column("dismantled", "拆解", "Dismantled", "int"))
FRACTION_COLUMNS = (Column("fraction", "物料", "Fraction", "fraction"),
                    Column("hazardous", "危险废物", "Hazardous", "bool"),
                    Column("opening_g", "期初 kg", "Opening", "kg"),
                    Column("output_g", "产出 kg", "Output", "kg"),
                    Column("shipped_g", "发运 kg", "Shipped", "kg"),
                    Column("closing_g", "期末 kg", "Closing", "kg"),
                    Column("returned_g", "联单已返回 kg", "Manifest returned", "kg"))
DESTINATION_COLUMNS = (Column("lot", "批次", "Lot", "text"),
                       Column("fraction", "物料", "Fraction", "fraction"),
                       Column("hazardous", "危险废物", "Hazardous", "bool"),
                       Column("receiver", "接收单位", "Receiver", "text"),
                       Column("receiver_code", "统一社会信用代码", "Credit code", "text"),
                       Column("receiver_licence", "许可证", "Licence", "text"),
                       Column("manifest_no", "转移联单号", "Manifest", "text"),
                       Column("shipped_at", "发运时间", "Shipped", "time"),
                       Column("net_g", "净重 kg", "Net", "kg"),
                       Column("received_g", "接收重量 kg", "Received", "kg"),
                       Column("returned", "联单已返回", "Returned", "bool"),
                       Column("counted_g", "计入 kg", "Counted", "kg"))
UNIT_COLUMNS = {column.key: column for column in (
    Column("label", "单元标签", "Unit label", "text"),
    Column("category", "类别", "Category", "category"),
    Column("scope", "基金范围", "Fund scope", "scope"),
    Column("fund_category", "基金类别", "Fund category", "fund_category"),
    Column("sub_class", "品种", "Sub-class", "sub_class"),
    Column("reason", "原因", "Reason", "reason"),
    Column("counts", "计数", "Counts", "int"),
    Column("received_at", "入厂时间", "Received", "time"),
    Column("completed_at", "完成时间", "Completed", "time"),
    Column("status", "状态", "Status", "status"),
    Column("version", "补贴版本", "Fund version", "text"),
    Column("opening", "期初在库", "In opening stock", "bool"),
    Column("closing", "期末在库", "In closing stock", "bool"),
    Column("last_entry", "末条目", "Last entry", "int"))}
NUMBERED = Column("", "序号", "No.", "int")  # the first column of the units' CSV and sheet


def cell_text(column: Column, value: Any, words: Words) -> str:
    """A cell as the PDF and the CSV print it: codes in words, kg with three decimals, times
    in the plant's zone, none as "—" (empty in the CSV: see `csv_text`)."""
    kind = column.kind
    if value is None:
        return NO_VALUE
    if kind == "kg":
        return kg(value)
    if kind == "bool":
        return TRUTH[bool(value)]
    if kind == "time":
        return words.time(value)
    if kind == "int":
        return f"{value:,}"
    if kind in ("fraction", "category"):
        return named(value, "fractions" if kind == "fraction" else "categories")
    if kind == "scope":
        return both(FUND_SCOPE_NAMES, value)
    if kind == "reason":
        return f"{reason_text(value, 'zh-CN')} / {reason_text(value, 'en')}"
    if kind == "status":
        return both(STATUS_NAMES, value)
    if kind == "fund_category":
        return fund_named(value, "categories")
    if kind == "sub_class":
        return fund_named(value, "classes")
    return str(value)


def csv_text(column: Column, value: Any, words: Words) -> str | int:
    """A cell as the CSV writes it: as printed, but numbers plain (no grouping, so that a
    spreadsheet reads them as numbers) and none empty."""
    if value is None:
        return ""
    if column.kind == "int":
        return int(value)
    if column.kind == "kg":
        return f"{Decimal(value) / 1000:.3f}"
    return cell_text(column, value, words)


def unit_columns(statements: dict[str, Any]) -> tuple[Column, ...]:
    """The units' columns, in the order the statements' `columns` give them."""
    columns = statements.get("columns")
    if not isinstance(columns, list) or not columns:
        raise FormError("the fund table's statements name no columns for its units")
    unknown = [name for name in columns if name not in UNIT_COLUMNS]
    if unknown:
        raise FormError(f"the fund table's units have a column {unknown[0]!r} this version "
                        f"cannot print; it knows {', '.join(UNIT_COLUMNS)}")
    return tuple(UNIT_COLUMNS[name] for name in columns)


def unit_lines(statements: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The units, each as an object of named members, read one at a time (a quarter holds a
    quarter of a million: `units` may be a StringArray kept on disk)."""
    columns = statements["columns"]
    for position, text in enumerate(statements["units"]):
        try:
            values = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise FormError(f"units[{position}] is not the JSON text of an array: {exc}") \
                from None
        if not isinstance(values, list) or len(values) != len(columns):
            raise FormError(f"units[{position}] has not the {len(columns)} values of the "
                            "columns")
        yield dict(zip(columns, values, strict=True))


# -- the form's body --------------------------------------------------------------------------

MEMBERS = ("plant", "period", "catalogue", "rows", "totals", "days", "fractions",
           "destinations", "stock_count", "reconciliation", "columns", "units")
COUNTING = ("opening", "received", "dismantled", "closing", "counted")


def check(statements: Any) -> None:
    """Raise FormError naming the first member the renderings need that is missing or
    mistyped (what is true is the verifier's business, not the renderer's)."""
    if not isinstance(statements, dict):
        raise FormError("the fund table's statements must be an object")
    for name in MEMBERS:
        if name not in statements:
            raise FormError(f"the fund table's statements have no {name!r}")
    for position, row in enumerate(statements["rows"]):
        for name in ("scope", *COUNTING, "amounts", "standardised"):
            if name not in row:
                raise FormError(f"rows[{position}] has no {name!r}")
        if row["scope"] not in ("in_scope", *OUTSIDE):
            raise FormError(f"rows[{position}].scope {row['scope']!r} is not one of in_scope, "
                            f"{', '.join(OUTSIDE)}")
    for name in (*COUNTING, "in_scope"):
        if name not in statements["totals"]:
            raise FormError(f"totals has no {name!r}")
    for name in (*COUNTING, "amounts", "standardised"):
        if name not in statements["totals"]["in_scope"]:
            raise FormError(f"totals.in_scope has no {name!r}")
    unit_columns(statements)


@dataclass(frozen=True)
class FormRow:
    """A line of the form's body: a heading (`row` None) or a row of figures, with its name
    in Chinese and English; `total` for the totals."""

    zh: str
    en: str
    row: dict[str, Any] | None
    level: int = 0  # 0 a category or section heading, a total; 1 a row under a heading
    total: bool = False


IN_SCOPE_TOTAL = ("属基金范围合计", "In the fund's scope, total")
OUTSIDE_HEADING = ("基金范围外的单元（列示，不计入）",
                   "Units outside the fund (shown, never counted)")
NONE_OUTSIDE = ("无", "none")
ALL_TOTAL = ("全部单元合计", "All units, total")
FIELD_SEPARATOR = {"zh-CN": "：", "en": ": "}


def characters() -> str:
    """Every character of the form's own words (the PDF's first font is cut to them with
    the templates', ledger.certificates.fonts): headers, headings, the nameplate fields an
    outside row names."""
    texts = [column.zh + column.en for column in (*DAY_COLUMNS, *FRACTION_COLUMNS,
                                                  *DESTINATION_COLUMNS,
                                                  *UNIT_COLUMNS.values(), NUMBERED)]
    texts += ["".join(pair) for pair in (IN_SCOPE_TOTAL, OUTSIDE_HEADING, NONE_OUTSIDE,
                                         ALL_TOTAL)]
    texts += [*FIELD_SEPARATOR.values(), " · "]
    texts += [name for names in NAMEPLATE_FIELD_NAMES.values() for name in names.values()]
    return "".join(sorted(set("".join(texts))))


def body(statements: dict[str, Any]) -> list[FormRow]:
    """The form's body in order: each fund category's heading and its sub-classes, the units
    outside the fund under their own heading, the totals (in scope, all)."""
    found: list[FormRow] = []
    category = None
    for row in _in_form_order([r for r in statements["rows"] if r["scope"] == "in_scope"]):
        if row["fund_category"] != category:
            category = row["fund_category"]
            found.append(FormRow(fund_name_in(category, "categories", "zh-CN"),
                                 fund_name_in(category, "categories", "en"), None))
        found.append(FormRow(fund_name_in(row["sub_class"], "classes", "zh-CN"),
                             fund_name_in(row["sub_class"], "classes", "en"), row, 1))
    totals = statements["totals"]
    found.append(FormRow(*IN_SCOPE_TOTAL, totals["in_scope"], total=True))
    outside = _in_form_order([row for row in statements["rows"] if row["scope"] in OUTSIDE])
    found.append(FormRow(*OUTSIDE_HEADING, None))
    for row in outside:
        found.append(FormRow(*_outside_names(row), row, 1))
    if not outside:
        found.append(FormRow(*NONE_OUTSIDE, None, 1))
    # what the fund pays is the in-scope total's: units outside it are never paid
    found.append(FormRow(*ALL_TOTAL, {**totals, "amounts": [], "standardised": []},
                         total=True))
    return found


def _in_form_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in the form's order: by scope (codes.FUND_SCOPES: in scope, out of scope, not a
    fund product, unclassified), then fund category and sub-class in the fund tables' order
    (televisions first), codes the tables do not know after them; otherwise as the
    statements give them."""
    scopes = FUND_SCOPES
    categories, classes = fund_codes("categories"), fund_codes("classes")

    def rank(row: dict[str, Any]) -> tuple[int, int, int]:
        category, sub_class = row.get("fund_category"), row.get("sub_class")
        return (scopes.index(row["scope"]),
                categories.index(category) if category in categories else len(categories),
                classes.index(sub_class) if sub_class in classes else len(classes))

    return sorted(rows, key=rank)  # stable: the statements' order within a rank


def _outside_names(row: dict[str, Any]) -> tuple[str, str]:
    """An outside row's name: its scope, then what it sums (the fund category and the reason,
    or the catalogue category)."""
    def parts(language: str) -> list[str]:
        reason = row.get("reason") or {}
        code, field = reason.get("code"), reason.get("field")
        found = ([name_in(row["catalogue_category"], "categories", language)]
                 if row.get("catalogue_category") else
                 [fund_name_in(row.get("fund_category"), "categories", language)])
        if code is None or row["scope"] == "not_fund_product":
            return found  # the scope's name says it all
        field_name = None if field is None else (
            NAMEPLATE_FIELD_NAMES[field][language] if field in NAMEPLATE_FIELD_NAMES else field)
        if row["scope"] == "unclassified" and code == "missing" and field_name:
            return [*found, field_name]  # the scope's name says the nameplate is missing
        name = FUND_REASON_NAMES[code][language] if code in FUND_REASON_NAMES else code
        if field_name:
            name += f"{FIELD_SEPARATOR[language]}{field_name}"
        return [*found, name]

    scope = FUND_SCOPE_NAMES[row["scope"]]
    return (" · ".join((scope["zh-CN"], *parts("zh-CN"))),
            " · ".join((scope["en"], *parts("en"))))


def versions(statements: dict[str, Any]) -> list[dict[str, str]]:
    """The versions of what the fund pays that the rows price units by, with their names
    and bases, for the form's legend."""
    codes = sorted({item["version"] for row in statements["rows"]
                    for member in ("amounts", "standardised") for item in row[member]})
    return [{"code": code, "zh": fund_name_in(code, "versions", "zh-CN"),
             "en": fund_name_in(code, "versions", "en")} for code in codes]


def reason_text(reason: dict[str, Any] | None, language: str) -> str:
    """Why a unit is outside the fund, in `language`: the classifier's own words, naming the
    field and the value (ledger/fund/classify.py)."""
    if reason is None:
        return NO_VALUE
    code = reason["code"]
    if code not in REASON_TEXT:
        return FUND_REASON_NAMES[code][language] if code in FUND_REASON_NAMES else str(code)
    text = FundClass("out_of_scope", reason=code, field=reason.get("field"),
                     value=reason.get("value"), limit=reason.get("limit")).reason_text(language)
    return text or NO_VALUE


def amount_text(value: str | None) -> str:
    """An amount in 元 as printed: two decimals, thousands grouped."""
    return NO_VALUE if value is None else f"{Decimal(value):,.2f}"


def figure_text(value: str | None) -> str:
    """A rate, factor or volume as printed: its digits, thousands grouped."""
    return NO_VALUE if value is None else f"{Decimal(value):,}"
