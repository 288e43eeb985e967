"""A fund table's statements as plain text (`dledger cert show`): the form's rows, Chinese
names first, then its annexes. The names come from the default fund tables and the codes'
names (ledger/fund/tables.toml, ledger/rules/codes.py); a code they do not name is printed as
it is."""

from __future__ import annotations

from typing import Any

from ledger.fund.tables import read_default
from ledger.rules.codes import FUND_SCOPE_NAMES

HEAD = ("opening", "received", "creditable", "flagged", "excluded", "closing", "counted")


def _name(names: dict[str, Any], code: str | None, english: bool = True) -> str:
    if code is None:
        return ""
    found = names.get(code)
    if not found:
        return code
    return f"{found['zh-CN']} {found['en']}" if english else f"{found['zh-CN']} ({code})"


def _row_name(row: dict[str, Any], tables: dict[str, Any]) -> str:
    parts = [_name(tables["categories"], row["fund_category"])]
    if row["sub_class"]:
        parts.append(_name(tables["classes"], row["sub_class"], english=False))
    if row["catalogue_category"]:
        parts.append(row["catalogue_category"])
    if row["reason"]:
        reason = row["reason"]
        parts.append(reason["code"] + (f": {reason['field']}" if reason["field"] else ""))
    return " / ".join(p for p in parts if p)


def _figures(row: dict[str, Any]) -> str:
    values = [row["opening"], row["received"], row["dismantled"]["creditable"],
              row["dismantled"]["flagged"], row["dismantled"]["excluded"], row["closing"],
              row["counted"]]
    return " ".join(f"{v:>10,}" for v in values)


def table_text(statements: dict[str, Any]) -> str:
    """The table, its totals, days, product per fraction and destinations, as lines."""
    tables = read_default()
    period = statements["period"]
    catalogue = statements["catalogue"]
    lines = [f"拆解处理情况表 Fund table: {statements['plant']}, {period['from']} to "
             f"{period['to']} ({period['time_zone']}); catalogue {catalogue['version']} "
             f"(entry {catalogue['entry']})", "",
             " ".join(f"{h:>10}" for h in HEAD)]
    scope = None
    for row in statements["rows"]:
        if row["scope"] != scope:
            scope = row["scope"]
            names = FUND_SCOPE_NAMES[scope]
            lines.append(f"{names['zh-CN']} {names['en']}")
        paid = [f"{a['amount']} 元 ({a['version']})" for a in row["amounts"]] + [
            f"{s['volume']} std ({s['version']})" for s in row["standardised"]]
        lines.append(f"{_figures(row)}  {_row_name(row, tables)}"
                     + (f": {', '.join(paid)}" if paid else ""))
    totals = statements["totals"]
    lines += [f"{_figures(totals)}  合计 Total",
              f"{_figures(totals['in_scope'])}  其中基金范围内 Of which in scope", "",
              "按日 Per day: date, received, dismantled"]
    lines += [f"  {d['date']} {d['received']:>8,} {d['dismantled']:>8,}"
              for d in statements["days"]]
    lines += ["", "产品出入库 Product per fraction (g): opening, output, shipped, closing, "
                  "returned"]
    lines += [" ".join(f"{f[k]:>12,}" for k in ("opening_g", "output_g", "shipped_g",
                                                 "closing_g", "returned_g"))
              + f"  {f['fraction']}" + (" (hazardous)" if f["hazardous"] else "")
              for f in statements["fractions"]]
    lines += ["", "去向 Destinations: lot, fraction, receiver, manifest, net g, counted g"]
    lines += [f"  {d['lot']} {d['fraction']} {d['receiver']} {d['manifest_no']} "
              f"{d['net_g'] if d['net_g'] is not None else '-'} {d['counted_g']}"
              + ("" if d["returned"] or not d["hazardous"] else " (manifest not returned)")
              for d in statements["destinations"]]
    lines += ["", f"{len(statements['units']):,} units listed (dledger cert show --json "
                  "FILE for each unit's line)"]
    return "\n".join(lines)
