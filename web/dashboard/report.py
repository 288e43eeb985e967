"""The dashboard's tables, built from the raw figures: one definition serves the page, the
CSV and the XLSX export, so the three always show the same numbers.

Cells hold raw values (integer grams, UTC text, seconds, Decimal tonnes); `Column.kind`
says how to show them on screen (`display`) and how to write them to a file (`export`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _

from ledger import gwp
from ledger.catalogue import Catalogue, Tolerances
from ledger.rules import codes, reasons
from ledger.rules.flags import mass_balance_deviation_pct
from web.dashboard import yields
from web.dashboard.queries import Figures
from web.dashboard.ranges import Range
from web.formatting import MISSING, localtime
from web.names import code_name, flag_text, flag_title, glossary_name, resolution_name
from web.refusals import rule_name


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text, int, kg, pct, t, factor, duration, time, status
    places: int = 1  # decimals for kg and pct


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None
    note: str | None = None


@dataclass(frozen=True)
class Status:
    code: str  # within, below, above, unknown, alert, ok
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class AlertKind:
    code: str
    title: str
    count: int | None  # None: no data source
    rule: str

# What the dashboard counts as a refused duplicate intake (attempt.refused rules).
DUPLICATE_INTAKE = (reasons.DUPLICATE_LABEL.code, reasons.DUPLICATE_TRADE_IN.code)


# -- formatting --------------------------------------------------------------------------------

@cache
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


@cache
def _separators(locale: str) -> tuple[str, str]:
    symbols = Locale.parse(locale).number_symbols.get("latn", {})
    return symbols.get("group", ","), symbols.get("decimal", ".")


def format_decimal(value: Any, format: str) -> str:
    """Babel's format_decimal in the request's locale, fast for the plain `#,##0.000`
    patterns: a page formats thousands of cells, and Babel's general path was most of the
    page's time. Other patterns go to Babel (parsed once)."""
    locale = get_locale()
    head, _dot, decimals = format.partition(".")
    if head == "#,##0" and set(decimals) <= {"0"}:
        group, decimal = _separators(str(locale))
        text = f"{value:,.{len(decimals)}f}"
        if (group, decimal) != (",", "."):
            text = text.translate({ord(","): group, ord("."): decimal})
        return "-" + text[1:] if text.startswith("-") else text
    return _pattern(format).apply(value, locale)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def display(value: Any, column: Column) -> str:
    """A cell as text on screen, in the request's locale."""
    if value is None:
        return MISSING
    kind = column.kind
    if kind == "int":
        return format_decimal(value, format="#,##0")
    if kind == "kg":
        return format_decimal(Decimal(value) / 1000, format="#,##0." + "0" * column.places)
    if kind == "pct":
        return format_decimal(value, format="#,##0." + "0" * column.places) + " %"
    if kind == "t":
        return format_decimal(value, format="#,##0.000")
    if kind == "factor":
        return format_decimal(value, format="#,##0.#")
    if kind == "duration":
        return duration(value)
    if kind == "time":
        return localtime(value)
    return str(value)


def fmt(value: Any, kind: str, places: int = 1) -> str:
    """`display` for a single figure (the key figures at the top of the page)."""
    return display(value, Column("", kind, places))


def export(value: Any, column: Column) -> Any:
    """A cell for a file: numbers as numbers (kg, %, t), times in plant time, text as text."""
    if value is None:
        return None
    kind = column.kind
    if kind == "kg":
        return (Decimal(value) / 1000).quantize(Decimal("0.001"))
    if kind == "pct":
        return round(Decimal(str(value)), 2)
    if kind == "t":
        return Decimal(value).quantize(Decimal("0.000001"))
    if kind == "factor":
        return Decimal(value)
    if kind == "duration":
        return round(Decimal(str(value)) / 60, 1)  # minutes
    if kind == "time":
        return localtime(value)
    if kind in ("status", "text"):
        return str(value)
    return value


def export_title(column: Column) -> str:
    """A column's header in a file: durations are written as minutes, not h:mm."""
    if column.kind != "duration":
        return column.title
    return column.title.replace("h:mm", "min").replace("时:分", "分钟")


def _pct(part: float, whole: float) -> float | None:
    return part * 100.0 / whole if whole else None


def _share(part: int, whole: int) -> Decimal | None:
    """An exact share in per cent, as the catalogue's yield ranges are."""
    return Decimal(part) * 100 / Decimal(whole) if whole else None


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the tables ---------------------------------------------------------------------------------

def build(figures: Figures, span: Range, catalogue: Catalogue, basis: str,
          now: datetime) -> dict[str, Any]:
    """Everything the page shows: key figures, alert summary, the chart's bars, the tables.
    `catalogue` is the one in force: its yield ranges and tolerances."""
    tolerances = catalogue.tolerances
    tables = {t.key: t for t in (
        _categories(figures), _stations(figures), _throughput(figures, span),
        _wip(figures, now), _refrigerants(figures, basis), _fractions(figures),
        _yields(figures, catalogue), _mass_balance(figures, tolerances),
        _alerts(figures, tolerances, now), _refusals(figures))}
    units = sum(row["units"] for row in figures.by_category.values())
    active_hours = sum(1 for n in figures.per_hour.values() if n)
    gross = sum(row["gross_g"] for row in figures.by_category.values())
    out = sum(row["outputs_g"] + row["refrigerant_g"] for row in figures.by_category.values())
    co2e = sum((gwp.co2e_kg(gas, row["recovered_g"], basis) or Decimal(0))
               for gas, row in figures.refrigerants.items()) / 1000
    key = {
        "units": units,
        "per_active_hour": units / active_hours if active_hours else None,
        "peak_hour": max(figures.per_hour.values(), default=0),
        "wip": sum(row["units"] for row in figures.wip.values()),
        "cycle_median": figures.cycle_all[0],
        "cycle_p90": figures.cycle_all[1],
        "refrigerant_g": sum(row["recovered_g"] for row in figures.refrigerants.values()),
        "co2e_t": co2e,
        "outputs_g": sum(row["mass_g"] for row in figures.fractions.values()),
        "mass_balance_pct": mass_balance_deviation_pct(out, gross),
    }
    flagged = replace(tables["yields"], note=None, rows=[
        row for row in tables["yields"].rows if row[5].code in ("below", "above")])
    return {"key": key, "tables": tables, "alerts": alert_kinds(figures, tolerances, now),
            "flags_total": sum(n for n, _open in figures.flag_counts.values()),
            "yields_flagged": flagged}


def _categories(f: Figures) -> Table:
    table = Table("categories", _("Units completed by category"), [
        Column(_("Category")), Column(_("Units completed"), "int"),
        Column(_("Gross intake weight (kg)"), "kg"), Column(_("Outputs (kg)"), "kg"),
        Column(_("Refrigerant (kg)"), "kg", 3), Column(_("Cycle time, median (h:mm)"), "duration"),
        Column(_("Cycle time, p90 (h:mm)"), "duration")])
    for code, row in sorted(f.by_category.items(), key=lambda kv: (-kv[1]["units"], kv[0])):
        median, p90 = f.cycle.get(code, (None, None))
        table.rows.append([code_name(code), row["units"], row["gross_g"], row["outputs_g"],
                           row["refrigerant_g"], median, p90])
    table.total = [_("Total"), sum(r[1] for r in table.rows), sum(r[2] for r in table.rows),
                   sum(r[3] for r in table.rows), sum(r[4] for r in table.rows),
                   *f.cycle_all]
    table.note = _("Cycle time: from intake (unit received) to unit completed.")
    return table


def _stations(f: Figures) -> Table:
    table = Table("stations", _("Activity by station"), [
        Column(_("Station")), Column(_("Units received"), "int"),
        Column(_("Refrigerant recoveries"), "int"), Column(_("Outputs weighed"), "int"),
        Column(_("Units completed"), "int")])
    for station, row in sorted(f.stations.items()):
        table.rows.append([station, row["received"], row["recoveries"], row["outputs"],
                           row["completed"]])
    if table.rows:
        table.total = [_("Total")] + [sum(r[i] for r in table.rows) for i in range(1, 5)]
    return table


def hour_buckets(f: Figures, span: Range) -> list[tuple[datetime, datetime, int]]:
    """(start, end, units completed) per plant-time hour (ranges up to 2 days) or day."""
    counts: dict[datetime, int] = {}
    for hour, n in f.per_hour.items():
        moment = datetime.fromisoformat(hour + ":00:00+00:00").astimezone(span.start.tzinfo)
        if not span.hourly:
            moment = moment.replace(hour=0)
        counts[moment] = counts.get(moment, 0) + n
    buckets = []
    if span.hourly:
        moment = span.start.astimezone(UTC)
        while moment < span.end:
            local = moment.astimezone(span.start.tzinfo)
            buckets.append((local, local + timedelta(hours=1), counts.get(local, 0)))
            moment += timedelta(hours=1)
    else:
        day = span.first_day
        while day <= span.last_day:
            local = datetime(day.year, day.month, day.day, tzinfo=span.start.tzinfo)
            buckets.append((local, local + timedelta(days=1), counts.get(local, 0)))
            day += timedelta(days=1)
    return buckets


def _throughput(f: Figures, span: Range) -> Table:
    title = _("Units completed per hour") if span.hourly else _("Units completed per day")
    table = Table("throughput", title, [
        Column(_("From (plant time)")), Column(_("To (plant time)")),
        Column(_("Units completed"), "int")])
    pattern = "yyyy-MM-dd HH:mm" if span.hourly else "yyyy-MM-dd"
    for start, end, n in hour_buckets(f, span):
        table.rows.append([localtime(start, pattern), localtime(end, pattern), n])
    table.total = [_("Total"), "", sum(r[2] for r in table.rows)]
    return table


def _wip(f: Figures, now: datetime) -> Table:
    table = Table("wip", _("Work in progress now"), [
        Column(_("Category")), Column(_("Units in progress"), "int"),
        Column(_("Gross intake weight (kg)"), "kg"), Column(_("Oldest received"), "time"),
        Column(_("Oldest waiting (h:mm)"), "duration")])
    for code, row in sorted(f.wip.items(), key=lambda kv: (-kv[1]["units"], kv[0])):
        waiting = (now - _utc(row["oldest"])).total_seconds() if row["oldest"] else None
        table.rows.append([code_name(code), row["units"], row["gross_g"], row["oldest"],
                           waiting])
    if table.rows:
        table.total = [_("Total"), sum(r[1] for r in table.rows), sum(r[2] for r in table.rows),
                       min(r[3] for r in table.rows), max(r[4] for r in table.rows)]
    table.note = _("Units received and not yet completed, whatever the range above.")
    return table


def _refrigerants(f: Figures, basis: str) -> Table:
    table = Table("refrigerants", _("Refrigerant recovered"), [
        Column(_("Refrigerant")), Column(_("Recoveries"), "int"),
        Column(_("Recovered (kg)"), "kg", 3), Column(_("Nameplate charge (kg)"), "kg", 3),
        Column(_("Recovered of nameplate (%)"), "pct"),
        Column(_("GWP100 (%(basis)s)", basis=basis), "factor"),
        Column(_("CO2e (t, %(basis)s)", basis=basis), "t")])
    conventional = []
    total = Decimal(0)
    for gas, row in sorted(f.refrigerants.items(), key=lambda kv: -kv[1]["recovered_g"]):
        known = gwp.factor(gas)
        co2e = gwp.co2e_kg(gas, row["recovered_g"], basis)
        tonnes = co2e / 1000 if co2e is not None else None
        total += tonnes or 0
        if known and known.conventional:
            conventional.append(gas)
        table.rows.append([gas, row["recoveries"], row["recovered_g"], row["nameplate_g"] or None,
                           _pct(row["recovered_g"], row["nameplate_g"]),
                           known.of(basis) if known else None, tonnes])
    table.total = [_("Total"), sum(r[1] for r in table.rows), sum(r[2] for r in table.rows),
                   sum(r[3] or 0 for r in table.rows) or None, None, None, total]
    notes = [_("GWP100 values from IPCC %(basis)s; change the basis with DLEDGER_GWP (AR4 or "
               "AR5).", basis=basis)]
    if conventional:
        notes.append(_("%(gases)s: hydrocarbons are not in the IPCC core tables; a GWP of 3 is "
                       "the usual convention.", gases=", ".join(sorted(conventional))))
    unknown = [r[0] for r in table.rows if r[5] is None]
    if unknown:
        notes.append(_("No GWP value for %(gases)s: no CO2e counted for it.",
                       gases=", ".join(unknown)))
    table.note = " ".join(notes)
    return table


def _fractions(f: Figures) -> Table:
    table = Table("fractions", _("Outputs by fraction"), [
        Column(_("Fraction")), Column(_("Hazardous"), "status"), Column(_("Weighings"), "int"),
        Column(_("Mass (kg)"), "kg"), Column(_("Share of outputs (%)"), "pct")])
    whole = sum(row["mass_g"] for row in f.fractions.values())
    for code, row in sorted(f.fractions.items(), key=lambda kv: -kv[1]["mass_g"]):
        hazardous = Status("alert", _("Hazardous")) if row["hazardous"] else ""
        table.rows.append([code_name(code), hazardous, row["entries"], row["mass_g"],
                           _pct(row["mass_g"], whole)])
    table.total = [_("Total"), "", sum(r[2] for r in table.rows), whole,
                   100.0 if whole else None]
    table.note = _("Material outputs and weighed components (batteries, capacitors, oil...) "
                   "by the fraction of the lot they went into, when weighed in this range.")
    return table


def _yields(f: Figures, catalogue: Catalogue) -> Table:
    table = Table("yields", _("Yield coefficients by category"), [
        Column(_("Category")), Column(_("Fraction")), Column(_("Mass (kg)"), "kg"),
        Column(_("Yield, share of gross (%)"), "pct"), Column(_("Expected (%)")),
        Column(_("Check"), "status")])
    words = {"within": _("Within range"), "below": _("Below range"),
             "above": _("Above range"), "unknown": _("No expected range")}
    for category in sorted(f.yields.keys() | f.by_category.keys()):
        gross = f.by_category.get(category, {}).get("gross_g", 0)
        masses = dict(f.yields.get(category, {}))
        known = catalogue.categories.get(category)
        for fraction in known.yields if known else ():
            masses.setdefault(fraction, 0)
        for fraction, mass in sorted(masses.items(), key=lambda kv: -kv[1]):
            share = _share(mass, gross)
            status, span = yields.check(catalogue, category, fraction, share or Decimal(0))
            expected = (f"{format_decimal(span[0], format='0.##')}–"
                        f"{format_decimal(span[1], format='0.##')}" if span else None)
            table.rows.append([code_name(category), code_name(fraction), mass, share,
                               expected, Status(status, words[status])])
    table.note = _("Outputs of the units completed in this range, as a share of their gross "
                   "intake weight. Expected ranges come from the process catalogue in force "
                   "(published in the ledger); the ledger flags each unit outside them.")
    return table


def _mass_balance(f: Figures, tolerances: Tolerances) -> Table:
    limit = format_decimal(tolerances.mass_balance_pct, format="0.##")
    table = Table("massbalance", _("Mass balance at completion"), [
        Column(_("Category")), Column(_("Units completed"), "int"),
        Column(_("Gross intake weight (kg)"), "kg"),
        Column(_("Outputs + refrigerant (kg)"), "kg"), Column(_("Deviation (%)"), "pct", 2),
        Column(_("Units outside ±%(limit)s %%", limit=limit), "int")])
    for code, row in sorted(f.by_category.items(), key=lambda kv: (-kv[1]["units"], kv[0])):
        weighed = row["outputs_g"] + row["refrigerant_g"]
        table.rows.append([code_name(code), row["units"], row["gross_g"], weighed,
                           _pct(weighed - row["gross_g"], row["gross_g"]),
                           row["out_of_balance"]])
    gross = sum(r[2] for r in table.rows)
    weighed = sum(r[3] for r in table.rows)
    table.total = [_("Total"), sum(r[1] for r in table.rows), gross, weighed,
                   _pct(weighed - gross, gross), sum(r[5] for r in table.rows)]
    table.note = _("Deviation = (outputs + refrigerant − gross) / gross. Negative: weight not "
                   "accounted for by weighed outputs (dust, water, unweighed parts).")
    return table


def alert_kinds(f: Figures, tolerances: Tolerances, now: datetime) -> list[AlertKind]:
    """How many flags of each kind the ledger raised in the range (reviewed ones included),
    the scales due a check now, and the refused duplicate intakes."""
    pct = format_decimal(tolerances.low_recovery_pct, format="0.##")
    balance = format_decimal(tolerances.mass_balance_pct, format="0.##")
    hours = format_decimal(tolerances.calibration_period_h, format="0.##")
    receipt = format_decimal(tolerances.receipt_pct, format="0.##")
    rules = {
        reasons.LOW_RECOVERY.code: _("Recovered less than %(pct)s %% of the nameplate charge.",
                                     pct=pct),
        reasons.MASS_BALANCE.code: _("Outputs + refrigerant differ from the gross weight by "
                                     "more than %(pct)s %% at completion.", pct=balance),
        reasons.YIELD.code: _("A fraction's share of the gross weight is outside the "
                              "catalogue's expected range."),
        reasons.CALIBRATION_OVERDUE.code: _("Weighed on a scale with no passing calibration "
                                            "check within %(hours)s h before.", hours=hours),
        reasons.RECEIPT_WEIGHT.code: _("A lot was received more than %(pct)s %% off its "
                                       "sealed weight.", pct=receipt),
    }
    kinds = [AlertKind(code, flag_title(code), f.flag_counts.get(code, (0, 0))[0], rule)
             for code, rule in rules.items()]
    kinds.append(AlertKind("scales_due", _("Scales due a calibration check"),
                           len(_overdue_scales(f, tolerances, now)),
                           _("No passing calibration check within %(hours)s h (as of now).",
                             hours=hours)))
    kinds.append(AlertKind("duplicate_intake", _("Refused duplicate intake"),
                           sum(f.refusal_counts.get(rule, 0) for rule in DUPLICATE_INTAKE),
                           _("Labels or trade-in codes received before, refused and recorded "
                             "by the stations.")))
    return kinds


def _overdue_scales(f: Figures, tolerances: Tolerances, now: datetime) -> dict[str, str]:
    """scale -> why it needs a check as of `now`: never passed, passed too long ago, or its
    last check failed."""
    limit = now - timedelta(hours=tolerances.calibration_period_h)
    overdue = {}
    for scale, _last_check, passed, last_pass in f.scales:
        if last_pass is None:
            overdue[scale] = "never"
        elif _utc(last_pass) < limit:
            overdue[scale] = "old"
        elif not passed:
            overdue[scale] = "failed"
    return overdue


def _alerts(f: Figures, tolerances: Tolerances, now: datetime) -> Table:
    table = Table("alerts", _("Open alerts"), [
        Column(_("Alert"), "status"), Column(pgettext("alert", "Subject")), Column(_("Detail")),
        Column(_("Review")), Column(_("Time"), "time")])
    language = str(get_locale() or "en").replace("_Hans_", "-")
    for subject, code, _key, params, at, resolution, _review in f.flags:
        table.rows.append([Status(code, flag_title(code)), subject.split(":", 1)[1],
                           flag_text(code, params, language),
                           resolution_name(resolution), at])
    overdue = _overdue_scales(f, tolerances, now)
    for scale, last_check, _passed, last_pass in f.scales:
        why = overdue.get(scale)
        if why is None:
            continue
        if why == "never":
            detail = _("No passing calibration check recorded.")
        elif why == "failed":
            detail = _("The last calibration check failed.")
        else:
            detail = _("Last passing check %(hours)s h ago.",
                       hours=format_decimal((now - _utc(last_pass)).total_seconds() / 3600,
                                            format="#,##0"))
        table.rows.append([Status("scales_due", _("Scales due a calibration check")), scale,
                           detail, "", last_pass or last_check])
    table.note = _("Flags: computed by the ledger's rules for the units completed and the lots "
                   "received in the range above, with their managers' review. Scales: as of "
                   "now.")
    return table


def _refusals(f: Figures) -> Table:
    table = Table("refusals", _("Refused attempts"), [
        Column(_("Time"), "time"), Column(_("Station")), Column(_("Operator")),
        Column(_("Rule")), Column(_("Attempted")), Column(_("About")), Column(_("Entry"), "int")])
    for idx, at, station, operator, rule, attempted, about in f.refusals:
        table.rows.append([at, station, operator, rule_name(rule),
                           glossary_name(codes.EVENT_TYPE_NAMES, attempted),
                           about.split(":", 1)[-1], idx])
    table.note = _("What the stations refused and recorded in the ledger, with the rule "
                   "that refused it.")
    return table
