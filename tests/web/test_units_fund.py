"""A unit's page in the fund's terms, on the sample day: its sub-class and rate, or why the
fund does not count it (a 12-inch CRT TV, a 600 L fridge), in both languages."""

from __future__ import annotations

import html
import re

SMALL_TV = "CN3301-2026-0004820"  # 12-inch CRT TV
BIG_FRIDGE = "CN3301-2026-0004822"  # 600 L
HOST = "CN3301-2026-0004831"  # a desktop host set with a monitor


def card(client, label: str, language: str) -> str:
    page = client.get(f"/units/{label}", headers={"Accept-Language": language})
    assert page.status_code == 200
    found = re.search(r'<section class="ul-card"[^>]*id="fund".*?</section>',
                      page.get_data(as_text=True), re.S)
    assert found, "the unit page has no fund card"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))


def test_out_of_scope_units_say_why(sample_app, client_for) -> None:
    client = client_for("inspector")
    tv = " ".join(card(client, SMALL_TV, "en").split())
    assert "Outside the fund's scope" in tv
    assert "Screen size (inches) 12 is outside the fund's scope (≥ 14)" in tv
    fridge = " ".join(card(client, BIG_FRIDGE, "zh-CN").split())
    assert "超出基金范围" in fridge and "600 超出基金范围（≥ 50, ≤ 500）" in fridge


def test_a_desktop_set_shows_its_sub_class_and_pairing(sample_app, client_for) -> None:
    text = " ".join(card(client_for("manager"), HOST, "zh-CN").split())
    assert "属基金范围" in text and "台式微型计算机（含主机和显示器）" in text
    assert "配套整机标签 CN3301-2026-0004819" in text
