"""The navigation bar: each blueprint adds its own entries; each user sees what they may open.

An entry names a view; whether a user sees it comes from that view's access mark (see
web.access), so the nav can never offer a page that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app
from flask.blueprints import BlueprintSetupState

from web.access import access_of, current_role

EXTENSION = "dledger_nav"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str  # a lazy_gettext string, translated when the nav renders
    order: int


def add_nav(bp: Blueprint, view: str, label: str, order: int) -> None:
    """Show `bp`'s `view` in the nav as `label` (use lazy_gettext), sorted by `order`."""

    def register(state: BlueprintSetupState) -> None:
        item = NavItem(f"{state.name}.{view}", label, order)
        state.app.extensions.setdefault(EXTENSION, []).append(item)

    bp.record_once(register)


def nav_items() -> list[NavItem]:
    """The entries the current user may open, in order."""
    role = current_role()
    items = current_app.extensions.get(EXTENSION, [])
    visible = [item for item in items
               if (rule := access_of(current_app, item.endpoint)) and rule.allows(role)]
    return sorted(visible, key=lambda item: item.order)


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": nav_items})
