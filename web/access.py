"""Who may open which route: every view declares it, and one hook enforces it.

`@roles_required("manager", "admin")` or `@public` only *mark* the view function; the
`enforce` hook (run before every request) reads the mark. Marking instead of wrapping means
the decorator works above or below `@bp.route`, and the role matrix test reads the very
data that enforcement uses. `create_app` refuses to start if any route is unmarked, so a
forgotten declaration fails loudly instead of exposing a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_login import current_user

from ledger.tables import CONSOLE_ROLES

ROLES: tuple[str, ...] = CONSOLE_ROLES
ROLE_NAMES = {"worker": lazy_gettext("Worker"), "manager": lazy_gettext("Manager"),
              "inspector": lazy_gettext("Inspector"), "admin": lazy_gettext("Administrator")}
V = TypeVar("V", bound=Callable[..., Any])
_MARK = "dledger_access"


@dataclass(frozen=True)
class Access:
    """A route's rule: open to anyone (`public`), or to signed-in users with one of `roles`."""

    public: bool
    roles: frozenset[str]

    def allows(self, role: str | None) -> bool:
        return self.public or role in self.roles


PUBLIC = Access(public=True, roles=frozenset())


def roles_required(*roles: str) -> Callable[[V], V]:
    """Mark a view as open to signed-in users with one of `roles`."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"roles_required needs roles from {ROLES}, got {roles!r}")

    def mark(view: V) -> V:
        setattr(view, _MARK, Access(public=False, roles=frozenset(roles)))
        return view

    return mark


def public(view: V) -> V:
    """Mark a view as open without signing in (it does its own authentication, if any)."""
    setattr(view, _MARK, PUBLIC)
    return view


def access_of(app: Flask, endpoint: str) -> Access | None:
    """The rule declared for `endpoint`; static files are public by design."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    return getattr(app.view_functions[endpoint], _MARK, None)


def unmarked_endpoints(app: Flask) -> list[str]:
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if access_of(app, rule.endpoint) is None})


def current_role() -> str | None:
    return current_user.role if current_user.is_authenticated else None


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def enforce() -> ResponseReturnValue | None:
    """Before every request: let it through, send to sign-in (401 for the API), or 403."""
    if request.endpoint is None:  # no route: Flask answers 404/405
        return None
    rule = access_of(current_app, request.endpoint)
    if rule is None:
        abort(403)  # unreachable after create_app's check; fail closed all the same
    if rule.allows(current_role()):
        return None
    if current_user.is_authenticated:
        abort(403)
    if is_api_request():
        return jsonify(error="sign in, or sign the request with a station key"), 401
    return redirect(url_for("auth.login", next=here()))


def here() -> str:
    """This request's path and query, to come back to after signing in or switching language."""
    return request.full_path.removesuffix("?")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def init_app(app: Flask) -> None:
    app.before_request(enforce)
