"""The auditor's sampling (审核抽样, issue 15 point 6): an inspector draws days of a range from a
seed, and sees each drawn day's units with their records and evidence references, and the
day's 物料系数 check per category against the catalogue's yields and count coefficients.

The draw is made in ledger/fund/sampling.py (SHA-256 of "<seed>:<date>", the smallest keys:
docs/console.md), so anyone can make it again by hand; the page's address carries the range,
the count and the seed, so a draw is repeated, shared and printed as its URL. Read-only: no
form here writes anything (the form is a GET).

Who: inspectors, managers and admins; workers no (a worker's own records are on the units
pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ledger.fund import sample_days, sampling
from ledger.fund.sampling import Drawn, SamplingError
from ledger.rules import codes
from web.access import roles_required
from web.context import console, engine
from web.date_range import date_message
from web.names import catalogue_in_force, glossary_name, language, template_names
from web.nav import add_nav
from web.paging import number_arg
from web.sampling import days

bp = Blueprint("sampling", __name__, url_prefix="/sampling", template_folder="templates")
add_nav(bp, "index", lazy_gettext("Sampling"), order=45)
bp.context_processor(template_names)

VIEWERS = ("inspector", "manager", "admin")
FIELDS = ("from", "to", "count", "seed")
DEFAULT_COUNT = 3
DEFAULT_DAYS = 30  # the range offered: the 30 days before today


@dataclass(frozen=True)
class Draw:
    first: date
    last: date
    count: int
    seed: int
    candidates: int  # days of the range with dismantling
    drawn: list[Drawn]

    def query(self) -> dict[str, str]:
        """The URL arguments that make this draw again."""
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "count": str(self.count), "seed": str(self.seed)}


def make_draw(form: dict[str, str]) -> Draw:
    """The draw the form asks for; raises SamplingError naming the value at fault."""
    span = sampling.parse_range(form["from"], form["to"])
    count = sampling.parse_count(form["count"])
    seed = sampling.parse_seed(form["seed"])
    zone = console().timezone.key
    with engine().connect() as conn:
        candidates = sample_days.days_with_dismantling(
            conn, [sample_days.day_of(day, zone) for day in span])
    if not candidates:
        raise SamplingError("no_days", first=span[0].isoformat(), last=span[-1].isoformat())
    return Draw(span[0], span[-1], count, seed, len(candidates),
                sampling.draw(seed, candidates, count))


def message(error: SamplingError) -> str:
    """What was wrong with the draw asked for, naming the value, and what to give instead."""
    v = error.values
    fields = {"from": _("From"), "to": _("To"), "day": _("Day")}
    shared = date_message(error.code, v, fields)
    if shared is not None:
        return shared
    if error.code == "too_long":
        return _("The range has %(days)s days; a draw is made from at most %(limit)s days: "
                 "choose a shorter range.", days=v["days"], limit=v["limit"])
    if error.code == "bad_count":
        return _("“%(value)s” is not a number of days to draw: give a whole number from 1 to "
                 "%(limit)s.", value=v["value"], limit=v["limit"])
    if error.code == "too_many":
        return _("You asked for %(count)s days, but only %(days)s days of this range had "
                 "units completed: draw %(days)s or fewer, or choose a longer range.",
                 count=v["count"], days=v["days"])
    if error.code == "bad_seed":
        return _("The seed “%(value)s” is not a whole number: give digits only (at most "
                 "%(digits)s), e.g. the seed the page offers.", value=v["value"],
                 digits=v["digits"])
    if error.code == "not_drawn":
        return _("%(day)s is not one of the days this draw gives (%(days)s): open the day "
                 "from the draw's page.", day=v["day"], days=v["days"])
    return _("No unit was completed from %(first)s to %(last)s: choose another range.",
             first=v.get("first", ""), last=v.get("last", ""))


def step_name(step: str) -> str:
    """A count coefficient's step by the catalogue's name of what it counts."""
    names = catalogue_in_force().step_name(step)
    return names.get(language(), step)


def _names() -> dict[str, Any]:
    return {"step_name": step_name, "share": days.share_text,
            "verdict_name": lambda code: glossary_name(codes.COEFFICIENT_VERDICT_NAMES, code),
            "type_name": lambda code: glossary_name(codes.EVENT_TYPE_NAMES, code)}


bp.context_processor(_names)


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(template, zone=console().timezone.key, **context), status


@bp.route("/")
@roles_required(*VIEWERS)
def index() -> ResponseReturnValue:
    form = {name: request.args.get(name, "") for name in FIELDS}
    if not any(form.values()):  # a fresh page: a fresh seed, the last 30 days
        today = datetime.now(console().timezone).date()
        form = {"from": (today - timedelta(days=DEFAULT_DAYS)).isoformat(),
                "to": (today - timedelta(days=1)).isoformat(), "count": str(DEFAULT_COUNT),
                "seed": str(sampling.new_seed())}
        return _page("sampling/index.html", form=form, draw=None, error=None)
    try:
        drawing = make_draw(form)
    except SamplingError as error:
        return _page("sampling/index.html", 400, form=form, draw=None, error=message(error))
    views = [days.day_view(drawn.day, None, 1) for drawn in drawing.drawn]
    return _page("sampling/index.html", form=drawing.query(), draw=drawing, error=None,
                 views=views, address=url_for("sampling.index", _external=True,
                                              **drawing.query()))


@bp.route("/day/<day>")
@roles_required(*VIEWERS)
def day(day: str) -> ResponseReturnValue:
    """One day's units, a page at a time; with a draw's arguments, as a day of that draw."""
    form = {name: request.args.get(name, "") for name in FIELDS}
    drawing = None
    try:
        chosen = sampling.parse_day(day, "day")
        if any(form.values()):
            drawing = make_draw(form)
            drawn = [d.day for d in drawing.drawn]
            if chosen not in drawn:
                raise SamplingError("not_drawn", day=chosen.isoformat(),
                                    days=", ".join(d.isoformat() for d in drawn))
    except SamplingError as error:
        return _page("sampling/day.html", 400, error=message(error), draw=None, view=None,
                     form=form)
    position = number_arg("start", 1) or 1
    view = days.day_view(chosen, days.cursor(request.args.get("after")), position)
    return _page("sampling/day.html", error=None, draw=drawing, view=view, form=form,
                 address=request.url)
