"""The fund table (拆解处理情况表) in the console: issued from the certificates page as a
background job, listed, opened, and its figures on the public verify page."""

from __future__ import annotations

import json
import re
import time

from ledger.certificates import jobs
from ledger.certificates.verify import verify

DAY = "2026-11-20"


def _issue(client, csrf_token, **form):
    return client.post("/certificates/issue", data={"csrf_token": csrf_token(client), **form})


def _client(client_for, role):
    client = client_for(role)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _finished(home, job_id):
    deadline = time.monotonic() + 120
    while True:
        job = jobs.read(home, job_id)
        if job["state"] not in ("starting", "running"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_the_fund_table_is_issued_in_the_background_and_shown(sample_app, client_for,
                                                              csrf_token):
    manager = _client(client_for, "manager")
    form = manager.get("/certificates/").text
    assert 'name="kind" value="fund_table"' in form and "Prepare fund table" in form
    response = _issue(manager, csrf_token, kind="fund_table", start=DAY, end=DAY)
    assert response.status_code == 302 and "/certificates/jobs/" in response.headers["Location"]
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    page = manager.get(response.headers["Location"]).text
    assert f"Fund dismantling table {DAY} to {DAY}" in page
    home = sample_app.extensions["dledger"].instance.home
    job = _finished(home, job_id)
    assert job["state"] == "done", job
    listing = manager.get("/certificates/").text
    assert "Fund table" in listing  # the kind's name (ledger/rules/codes.py)
    digest = re.search(r'href="/certificates/([0-9a-f]{64})"', listing).group(1)
    document = json.loads(manager.get(f"/certificates/{digest}/json").data)
    assert document["kind"] == "fund_table"
    assert verify(document, vkeys=[sample_app.extensions["dledger"].instance.vkey()]).ok
    totals = document["statements"]["totals"]
    shown = manager.get(f"/certificates/{digest}").text
    assert "Fund dismantling table" in shown and f"{DAY} — {DAY}" in shown
    assert f"{totals['in_scope']['counted']:,}" in shown
    public = _client(client_for, None).get(f"/verify/{digest}").text
    figures = public[public.index('id="certified-figures"'):]
    for words, value in (("Opening stock", totals["opening"]),
                         ("Units received", totals["received"]),
                         ("Closing stock", totals["closing"]),
                         ("Counted for the fund", totals["in_scope"]["counted"])):
        assert re.search(rf"{words}</t[dh]>\s*<td[^>]*>{value}<", figures), words
    chinese = client_for(None).get(f"/verify/{digest}", headers={"Accept-Language": "zh-CN"})
    assert "期初库存" in chinese.text and "计入基金台数" in chinese.text
    status = client_for(None).get(f"/api/v1/certificates/{digest}")
    assert status.status_code == 200 and status.get_json()["kind"] == "fund_table"


def test_a_fund_table_takes_no_categories(sample_app, client_for, csrf_token):
    manager = _client(client_for, "manager")
    response = _issue(manager, csrf_token, kind="fund_table", start=DAY, end=DAY,
                      categories=["fridge"])
    assert response.status_code == 422
    assert "The fund table lists every category; choose none." in response.text
    backwards = _issue(manager, csrf_token, kind="fund_table", start=DAY, end="2026-11-01")
    assert backwards.status_code == 422 and "swap the dates" in backwards.text
