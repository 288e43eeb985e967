"""Numeric query parameters (list cursors, proof choices, tree sizes): a value that is not a
whole number within the databases' 64-bit integers is refused with 400 naming it, never 500
(issue 13, break 1: `?before=99999999999999999999` overflowed SQLite's integer)."""

from __future__ import annotations

import html

import pytest

from web.paging import MAX_NUMBER, whole_number

EN = {"Accept-Language": "en"}
UNIT = "/units/CN3301-2026-0004812"
LOT = "/lots/LOT-20261120-ALU"
BAD = ["99999999999999999999", str(2**63), "²", "٣", "-1", "1e3", "0x10", " 12a"]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("path, name", [("/lots/", "before"), ("/certificates/", "before"),
                                        (UNIT, "proof"), (LOT, "proof")])
def test_a_bad_number_is_refused_with_400_naming_it(sample_app, client_for, path, name, value):
    response = client_for("admin").get(path, query_string={name: value}, headers=EN)
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert f"{name}={value.strip()!r}" in page
    assert "is not a whole number from 0 to" in page


@pytest.mark.parametrize("path", ["/lots/", "/certificates/"])
def test_a_cursor_at_the_bound_still_pages(sample_app, client_for, path):
    client = client_for("admin")
    assert client.get(path, query_string={"before": str(MAX_NUMBER)}).status_code == 200
    assert client.get(path, query_string={"before": ""}).status_code == 200


def test_the_consistency_form_refuses_non_ascii_digits(sample_app, client_for):
    response = client_for("admin").get("/ledger/consistency", headers=EN,
                                       query_string={"old": "²", "new": "99999999999999999999"})
    assert response.status_code == 422  # the form's own answer (it was a 500 for '²')


def test_whole_number():
    assert whole_number("0") == 0 and whole_number(str(MAX_NUMBER)) == MAX_NUMBER
    assert whole_number(str(MAX_NUMBER + 1)) is None and whole_number("²") is None
    assert whole_number("5", low=6) is None and whole_number("") is None
