"""The console's certificate pages: issue (unit, lot, period in the background), list,
download, revoke; who may do what; the public verify page (upload, QR code arrival, size
limit, tampering shown in words, zh-CN)."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from pypdf import PdfReader

from ledger.certificates import archive, jobs
from ledger.certificates import document as doc_format
from web.context import console

LABEL = "CN3301-2026-0004812"
LOT = "LOT-20261120-STEEL"
DAY = "2026-11-20"


def _issue(client, csrf_token, **form):
    return client.post("/certificates/issue", data={"csrf_token": csrf_token(client), **form})


def _sha256(response) -> str:
    match = re.search(r"/certificates/([0-9a-f]{64})$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


@pytest.fixture
def client_in(client_for):
    """A client for `role` (None: anonymous) that asks for English pages."""

    def make(role):
        client = client_for(role)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def manager(sample_app, client_in):
    return client_in("manager")


@pytest.fixture
def unit_sha256(manager, csrf_token) -> str:
    response = _issue(manager, csrf_token, kind="unit", unit=LABEL)
    assert response.status_code == 302
    return _sha256(response)


def test_issue_unit_certificate_then_list_open_and_download(sample_app, manager, unit_sha256):
    page = manager.get(f"/certificates/{unit_sha256}")
    assert page.status_code == 200 and LABEL in page.text and unit_sha256 in page.text
    listing = manager.get("/certificates/")
    assert unit_sha256[:16] in listing.text
    as_json = manager.get(f"/certificates/{unit_sha256}/json")
    assert as_json.status_code == 200 and as_json.mimetype == "application/json"
    document = json.loads(as_json.data)
    assert doc_format.sha256(document) == unit_sha256
    assert document["statements"]["unit"]["label"] == LABEL
    as_pdf = manager.get(f"/certificates/{unit_sha256}/pdf")
    assert as_pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(as_pdf.data))
    assert reader.attachments["certificate.json"] == [as_json.data]
    # the QR code's address: this console's verify page for this certificate
    with sample_app.app_context():
        assert archive.load(console().instance.home, unit_sha256) == document


def test_issue_from_the_unit_page(manager, client_in, csrf_token):
    page = manager.get(f"/units/{LABEL}").text
    assert 'action="/certificates/issue"' in page and f'name="unit" value="{LABEL}"' in page
    assert 'action="/certificates/issue"' not in client_in("inspector").get(f"/units/{LABEL}").text
    response = _issue(manager, csrf_token, kind="unit", unit=LABEL)  # what its button posts
    assert response.status_code == 302 and LABEL in manager.get(response.headers["Location"]).text


def test_issue_lot_manifest(manager, csrf_token):
    response = _issue(manager, csrf_token, kind="lot", lot=LOT)
    assert response.status_code == 302
    assert LOT in manager.get(response.headers["Location"]).text


def test_bad_requests_say_what_to_fix_and_issue_nothing(manager, csrf_token):
    before = manager.get("/certificates/").text.count('class="status-badge')
    unknown = _issue(manager, csrf_token, kind="unit", unit="CN3301-2026-9999999")
    assert unknown.status_code == 422
    assert "CN3301-2026-9999999" in unknown.text and "check the label" in unknown.text
    bad = _issue(manager, csrf_token, kind="unit", unit="no spaces please")
    assert bad.status_code == 422 and "e.g. CN3301-2026-0001234" in bad.text
    dates = _issue(manager, csrf_token, kind="period", start="2026-13-01", end=DAY)
    assert dates.status_code == 422 and "2026-13-01" in dates.text
    backwards = _issue(manager, csrf_token, kind="period", start=DAY, end="2026-11-01")
    assert backwards.status_code == 422 and "swap the dates" in backwards.text
    assert manager.get("/certificates/").text.count('class="status-badge') == before


def test_who_may_do_what(sample_app, client_in, csrf_token, unit_sha256):
    inspector = client_in("inspector")
    assert inspector.get("/certificates/").status_code == 200
    assert inspector.get(f"/certificates/{unit_sha256}/pdf").status_code == 200
    assert "Issue a certificate" not in inspector.get("/certificates/").text
    assert _issue(inspector, csrf_token, kind="unit", unit=LABEL).status_code == 403
    revoke = inspector.post(f"/certificates/{unit_sha256}/revoke",
                            data={"csrf_token": csrf_token(inspector), "reason": "no"})
    assert revoke.status_code == 403
    worker = client_in("worker")
    assert worker.get("/certificates/").status_code == 403
    assert worker.get(f"/certificates/{unit_sha256}/json").status_code == 403
    anonymous = client_in(None)
    assert anonymous.get(f"/certificates/{unit_sha256}/pdf").status_code == 302
    assert anonymous.get(f"/verify/{unit_sha256}").status_code == 200  # the public page


def test_forms_need_the_csrf_token(manager, unit_sha256):
    assert manager.post("/certificates/issue", data={"kind": "unit",
                                                     "unit": LABEL}).status_code == 400
    assert manager.post(f"/certificates/{unit_sha256}/revoke",
                        data={"reason": "x"}).status_code == 400


def test_revoke_with_reason_then_the_verify_page_says_revoked(manager, csrf_token, unit_sha256,
                                                              client_in):
    url = f"/certificates/{unit_sha256}/revoke"
    empty = manager.post(url, data={"csrf_token": csrf_token(manager), "reason": "  "})
    assert empty.status_code == 422 and "Give the reason" in empty.text
    done = manager.post(url, data={"csrf_token": csrf_token(manager),
                                   "reason": "intake weighed on the wrong scale"})
    assert done.status_code == 302
    page = manager.get(f"/certificates/{unit_sha256}").text
    assert "Revoked on" in page and "intake weighed on the wrong scale" in page
    assert "revoked" in manager.get("/certificates/").text
    again = manager.post(url, data={"csrf_token": csrf_token(manager), "reason": "twice"})
    assert again.status_code == 422 and "already revoked" in again.text
    verify = client_in(None).get(f"/verify/{unit_sha256}").text
    assert 'data-ok="false"' in verify and "intake weighed on the wrong scale" in verify


def test_period_report_runs_in_the_background_with_progress(sample_app, manager, csrf_token):
    response = _issue(manager, csrf_token, kind="period", start=DAY, end=DAY,
                      categories=["fridge", "room_ac"])
    assert response.status_code == 302 and "/certificates/jobs/" in response.headers["Location"]
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    page = manager.get(response.headers["Location"])
    assert page.status_code == 200 and 'id="job-status"' in page.text
    home = sample_app.extensions["dledger"].instance.home
    seen = set()
    deadline = time.monotonic() + 120
    while True:
        job = jobs.read(home, job_id)
        seen.add(job["phase"])
        if job["state"] not in ("starting", "running"):
            break
        assert time.monotonic() < deadline, job
        status = manager.get(f"/certificates/jobs/{job_id}/status")
        assert status.status_code == 200 and 'hx-trigger="every 1s"' in status.text
        time.sleep(0.2)
    assert job["state"] == "done", job
    final = manager.get(f"/certificates/jobs/{job_id}/status").text
    assert "hx-trigger" not in final and job["sha256"] in final
    document = json.loads(manager.get(f"/certificates/{job['sha256']}/json").data)
    lines = document["statements"]["lines"]
    assert lines and {line["category"] for line in lines} <= {"fridge", "room_ac"}
    assert job["done"] == job["total"] == len(lines)  # render progress: every line laid out
    assert manager.get(f"/certificates/{job['sha256']}/pdf").mimetype == "application/pdf"


def test_a_job_whose_process_died_reads_as_interrupted(sample_app, manager):
    home = sample_app.extensions["dledger"].instance.home
    job = {"id": "f" * 32, "request": {"kind": "period"}, "state": "running",
           "phase": "render", "done": 10, "total": 100, "pid": 2**22 + 12345, "by": "x",
           "started_at": "2026-11-20T00:00:00.000Z", "finished_at": None, "sha256": None,
           "error": None}
    (home / "jobs").mkdir(exist_ok=True)
    (home / "jobs" / f"{'f' * 32}.json").write_text(json.dumps(job))
    assert "was interrupted" in manager.get(f"/certificates/jobs/{'f' * 32}").text


# -- the public verify page ----------------------------------------------------------------


def test_qr_code_arrival_verifies_the_kept_copy(client_in, unit_sha256):
    page = client_in(None).get(f"/verify/{unit_sha256}")
    assert page.status_code == 200
    assert 'id="verify-result" data-ok="true"' in page.text
    assert page.text.count('class="check" data-ok="true"') >= 6
    assert "Every check passed." in page.text
    assert "the console holds no other entry about it" in page.text  # this console's record


def test_upload_pdf_or_json_anonymously(manager, client_in, csrf_token, unit_sha256):
    anonymous = client_in(None)
    pdf_bytes = manager.get(f"/certificates/{unit_sha256}/pdf").data
    json_bytes = manager.get(f"/certificates/{unit_sha256}/json").data
    for name, data in (("c.pdf", pdf_bytes), ("c.json", json_bytes)):
        page = anonymous.post("/verify", data={"csrf_token": csrf_token(anonymous),
                                               "certificate": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
        assert page.status_code == 200 and 'id="verify-result" data-ok="true"' in page.text


def test_tampered_upload_fails_with_the_reason(manager, client_in, csrf_token, unit_sha256):
    document = json.loads(manager.get(f"/certificates/{unit_sha256}/json").data)
    document["statements"]["intake"]["gross_g"] += 1000
    anonymous = client_in(None)
    page = anonymous.post("/verify", data={
        "csrf_token": csrf_token(anonymous),
        "certificate": (io.BytesIO(json.dumps(document).encode()), "c.json")},
        content_type="multipart/form-data")
    assert 'data-ok="false"' in page.text and "did NOT verify" in page.text
    assert "gross_g" in page.text


def test_upload_limits_and_bad_files(client_in, csrf_token, console_env):
    anonymous = client_in(None)
    console_env.setenv("DLEDGER_VERIFY_MAX_MB", "1")
    big = anonymous.post("/verify", data={"csrf_token": csrf_token(anonymous),
                                          "certificate": (io.BytesIO(b"x" * (2 << 20)), "b.pdf")},
                         content_type="multipart/form-data")
    assert big.status_code == 413 and "larger than 1 MB" in big.text
    none = anonymous.post("/verify", data={"csrf_token": csrf_token(anonymous)})
    assert none.status_code == 422 and "Choose a certificate file" in none.text
    junk = anonymous.post("/verify", data={"csrf_token": csrf_token(anonymous),
                                           "certificate": (io.BytesIO(b"%PDF-1.7 junk"), "j.pdf")},
                          content_type="multipart/form-data")
    assert 'data-ok="false"' in junk.text and "not a readable PDF" in junk.text


def test_unknown_certificate_on_the_verify_page(client_in):
    page = client_in(None).get("/verify/" + "ab" * 32)
    assert page.status_code == 200 and "has issued no certificate" in page.text
    assert client_in(None).get("/verify/not-a-hash").status_code == 404


def test_verify_page_in_chinese(client_for, unit_sha256):
    client = client_for(None)
    page = client.get(f"/verify/{unit_sha256}", headers={"Accept-Language": "zh-CN"}).text
    assert "验证证书" in page and "检查点由工厂签名" in page and "全部检查通过" in page


def test_a_period_without_units_ends_the_job_with_the_reason(sample_app, manager, csrf_token):
    response = _issue(manager, csrf_token, kind="period", start="2026-01-01", end="2026-01-02")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    home = sample_app.extensions["dledger"].instance.home
    deadline = time.monotonic() + 60
    while (job := jobs.read(home, job_id))["state"] in ("starting", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["state"] == "error" and job["sha256"] is None
    page = manager.get(f"/certificates/jobs/{job_id}").text
    assert "No certificate was issued" in page and "choose another period" in page
