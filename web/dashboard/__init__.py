"""The managers' dashboard: throughput, work in progress, cycle times, refrigerant recovered
(kg and CO2e), outputs by fraction, yield coefficients, mass balance, the ledger's flags and
the stations' refused attempts, for
today, this shift, this week or chosen dates, in the plant's time zone; and, as of now, the
last size a witness cosigned and a witness that fell behind (witnesses.py).

Every figure is an SQL aggregate over an indexed range of the read models (web/dashboard/
queries.py), so the page stays fast with years of data; every table exports to CSV and XLSX
(`?format=csv|xlsx&table=<key>` with the same range arguments).

A range that includes now is live: htmx fetches the same page every DLEDGER_DASHBOARD_REFRESH_S
seconds and swaps in its figures (static/live.js keeps open details open), so the page stays
put; without JavaScript it is the same page, refreshed by hand. A past range does not poll.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from web.access import roles_required
from web.context import console, engine
from web.dashboard import export, names, queries, ranges, report, settings, witnesses
from web.dashboard.chart import Bar, bars_svg
from web.date_range import date_message
from web.formatting import localtime
from web.names import catalogue_in_force
from web.nav import add_nav

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
               static_folder="static")
add_nav(bp, "index", lazy_gettext("Dashboard"), order=10)

# The order of the tables on the page (and the keys of their exports).
TABLES = ("alerts", "refusals", "categories", "stations", "refrigerants", "fractions", "yields",
          "massbalance", "wip", "throughput")


@bp.record_once
def _load_settings(state: BlueprintSetupState) -> None:
    state.app.extensions[settings.EXTENSION] = settings.load(state.app.config)


def dashboard_settings() -> settings.DashboardSettings:
    return current_app.extensions[settings.EXTENSION]


def now() -> datetime:
    """The present; tests pin it with config DLEDGER_DASHBOARD_NOW (a datetime or ISO text)."""
    pinned = current_app.config.get("DLEDGER_DASHBOARD_NOW")
    if pinned is None:
        return datetime.now(UTC)
    return pinned if isinstance(pinned, datetime) else datetime.fromisoformat(pinned)


def range_message(error: ranges.RangeError) -> str:
    v = error.values
    fields = {"from": _("From"), "to": _("To"), "date": _("Date")}
    shared = date_message(error.code, v, fields)
    if shared is not None:
        return shared
    if error.code == "too_long":
        return _("%(days)s days is more than the dashboard shows at once (%(limit)s days): "
                 "choose a shorter range.", days=v["days"], limit=v["limit"])
    if error.code == "bad_shift":
        return _("There is no shift “%(value)s”: the plant's shifts are %(known)s.",
                 value=v["value"], known=v["known"])
    return _("Unknown range “%(value)s”: choose today, this shift, this week or dates.",
             value=v.get("value", ""))


def describe(span: ranges.Range) -> str:
    labels = {"today": _("Today"), "week": _("This week"), "custom": _("Chosen dates")}
    if span.kind == "shift" and span.shift is not None:
        return _("Shift: %(name)s (%(hours)s)", name=names.shift(span.shift.name),
                 hours=str(span.shift))
    return labels.get(span.kind, span.kind)


def chart(figures: queries.Figures, span: ranges.Range) -> object:
    pattern = "HH:mm" if span.hourly else "MM-dd"
    bars = []
    for start, end, n in report.hour_buckets(figures, span):
        full = (f"{localtime(start, 'yyyy-MM-dd HH:mm')}–{localtime(end, 'HH:mm')}"
                if span.hourly else localtime(start, "yyyy-MM-dd"))
        bars.append(Bar(localtime(start, pattern), n, f"{full}: {n}"))
    title = _("Units completed per hour") if span.hourly else _("Units completed per day")
    return bars_svg(bars, title, _("No unit completed in this range."))


@bp.route("/")
@roles_required("manager", "admin")
def index() -> ResponseReturnValue:
    info = console()
    config = dashboard_settings()
    moment = now()
    form = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    try:
        span = ranges.parse(request.args, info.timezone, config.shifts, moment)
    except ranges.RangeError as error:
        return render_template("dashboard/index.html", error=range_message(error), span=None,
                               form=form, console=info, settings=config,
                               shift_name=names.shift), 400
    fmt = request.args.get("format")
    if fmt is not None and (fmt not in export.FORMATS or request.args.get("table") not in TABLES):
        return render_template(
            "dashboard/index.html", span=None, form=form, console=info, settings=config,
            shift_name=names.shift,
            error=_("Exports are ?format=csv or ?format=xlsx with table= one of %(tables)s.",
                    tables=", ".join(TABLES))), 400
    with engine().connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot for the roll-up and the unit rows
            conn.execution_options(isolation_level="REPEATABLE READ")
        figures = queries.collect(conn, span, alert_rows=None if fmt else queries.ALERT_ROWS)
    built = report.build(figures, span, catalogue_in_force(), info.gwp, moment)
    witnessing = witnesses.add_to(built, moment)
    if fmt is not None:
        return _export(built["tables"][request.args["table"]], span, fmt, info.timezone.key)
    if span.kind == "custom":
        form = {"from": span.first_day.isoformat(), "to": span.last_day.isoformat()}
    selected: dict[str, Any] = span.query()  # url_for takes its values as Any
    links = {key: {f: url_for("dashboard.index", **selected, format=f, table=key)
                   for f in export.FORMATS} for key in TABLES}
    live = span.start <= moment < span.end
    return render_template("dashboard/index.html", error=None, span=span, form=form,
                           console=info, settings=config, built=built, chart=chart(figures, span),
                           describe=describe(span), links=links, now=moment, live=live,
                           poll_url=url_for("dashboard.index", **selected),
                           shift_name=names.shift, display=report.display, fmt=report.fmt,
                           alert_limit=queries.ALERT_ROWS, witnessing=witnessing)


def _export(table: report.Table, span: ranges.Range, fmt: str, zone: str) -> Response:
    caption = (f"{table.title} · {localtime(span.start)} – {localtime(span.end)} ({zone})")
    body = export.to_csv(table, caption) if fmt == "csv" else export.to_xlsx(table, caption)
    name = f"dashboard-{table.key}-{span.first_day:%Y%m%d}-{span.last_day:%Y%m%d}.{fmt}"
    return Response(body, content_type=export.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
