"""A manager's review of a flag the ledger computed: on the unit page (and the lot page, for
receipt weight), each open flag has a form that appends a PLANT `flag.reviewed` entry
(resolution credit or exclude, a reason, approved_by = the signed-in user).

A flag is never deleted: it stays on the page with its latest review. The ledger checks the
review again (`no_such_flag` and the event's own checks) inside its append; the form checks
what a person can fix and names the value. Reads `rule_flags` by its primary key
(subject, code, flag_key) and the review's own entry from the subject's timeline.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from ledger.events import PLANT_STATION, EventError, parse_event, utc_now_ms
from ledger.log import AppendError, Submission
from ledger.rules import codes
from ledger.tables import RuleFlag, table_of
from web.access import current_role
from web.context import engine, ledger
from web.names import code_name, flag_text, flag_title, resolution_name
from web.refusals import refusal_text

REVIEWERS = ("manager", "admin")
MAX_REASON = 500
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$")  # the ledger's Code (approved_by)

rule_flags = table_of(RuleFlag)


@dataclass(frozen=True)
class FlagView:
    code: str
    key: str  # '' when the flag has none
    title: str
    text: str
    raised_index: int
    raised_at: str
    resolution: str | None
    resolution_name: str
    review: dict[str, Any] | None  # the review entry's data, time and index

    @property
    def open(self) -> bool:
        return self.resolution is None


def flags_of(subject: str, entries: Sequence[Any]) -> list[FlagView]:
    """The subject's computed flags with their latest review (`entries`: its timeline)."""
    query = select(rule_flags).where(rule_flags.c.subject == subject).order_by(
        rule_flags.c.raised_index, rule_flags.c.code, rule_flags.c.flag_key)
    with engine().connect() as conn:
        rows = conn.execute(query).all()
    reviews = {entry.index: entry for entry in entries if entry.type == "flag.reviewed"}
    views = []
    for row in rows:
        entry = reviews.get(row.review_index) if row.review_index is not None else None
        review = None if entry is None else {**entry.data, "time": entry.time,
                                             "index": entry.index}
        views.append(FlagView(row.code, row.flag_key, flag_title(row.code),
                              flag_text(row.code, json.loads(row.params)), row.raised_index,
                              row.raised_at, row.resolution, resolution_name(row.resolution),
                              review))
    return views


def can_review() -> bool:
    return current_role() in REVIEWERS


def _problem(subject: str, form: dict[str, str]) -> str | None:
    """What is wrong with the submitted review, naming the value; None if nothing."""
    flag, key = form["flag"], form["key"]
    if flag not in codes.FLAG_CODES:
        return gettext("Flag %(value)s is not a flag of the ledger's rules (%(known)s).",
                       value=repr(flag[:60]), known=", ".join(codes.FLAG_CODES))
    with engine().connect() as conn:
        row = conn.execute(select(rule_flags.c.resolution).where(
            rule_flags.c.subject == subject, rule_flags.c.code == flag,
            rule_flags.c.flag_key == key)).first()
    label = subject.split(":", 1)[-1]
    if row is None:
        return gettext("%(subject)s has no “%(flag)s” flag%(about)s to review.", subject=label,
                       flag=flag_title(flag), about=f" ({code_name(key)})" if key else "")
    if row.resolution is not None:
        return gettext("The “%(flag)s” flag of %(subject)s is already reviewed "
                       "(%(resolution)s).", flag=flag_title(flag), subject=label,
                       resolution=resolution_name(row.resolution))
    if form["resolution"] not in codes.RESOLUTIONS:
        return gettext("Choose whether to credit the record despite the flag or to exclude it "
                       "(not %(value)s).", value=repr(form["resolution"][:20]))
    if not form["reason"]:
        return gettext("Give the reason for your decision: it is recorded with the review and "
                       "shown to inspectors.")
    if len(form["reason"]) > MAX_REASON:
        return gettext("The reason is %(length)d characters long; shorten it to at most "
                       "%(max)d.", length=len(form["reason"]), max=MAX_REASON)
    if not _CODE.match(current_user.name):
        return gettext("Your user name %(name)s cannot be recorded as the approver in the "
                       "ledger (letters, digits, '.', '_', ':', '/', '+' or '-' only). Ask an "
                       "administrator for a user name in those characters.",
                       name=current_user.name)
    return None


def review(subject: str, back: str) -> ResponseReturnValue:
    """Handle a posted review of one of `subject`'s flags, then go back to its page (`back`)
    with what happened: recorded, or why not (nothing written)."""
    form = {name: " ".join((request.form.get(name) or "").split())
            for name in ("flag", "key", "resolution", "reason")}
    if problem := _problem(subject, form):
        flash(problem, "error")
        return redirect(back)
    data: dict[str, Any] = {"flag": form["flag"], "resolution": form["resolution"],
                            "reason": form["reason"], "approved_by": current_user.name}
    if form["key"]:
        data["key"] = form["key"]
    try:
        event = parse_event({"id": str(uuid.uuid4()), "type": "flag.reviewed",
                             "time": utc_now_ms(), "station": PLANT_STATION,
                             "operator": current_user.name, "subject": subject, "data": data})
        index = ledger().append([Submission(event)])[0].index
    except (EventError, AppendError) as exc:
        flash(refusal_text(exc), "error")
        return redirect(back)
    flash(gettext("Your review of the %(flag)s flag of %(subject)s is recorded at entry "
                  "%(index)s: %(resolution)s. The flag stays on the record with your review.",
                  flag=flag_title(form["flag"]), subject=subject, index=index,
                  resolution=resolution_name(form["resolution"])), "success")
    return redirect(back)
