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
from ledger.certificates.document import period_lines
from ledger.certificates.verify import verify
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
    lines = list(period_lines(document["statements"]))
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
    assert "Verified: every check passed." in page.text
    assert "The chain of entries of each record is complete" in page.text  # in words


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
    assert junk.status_code == 400 and 'id="verify-result"' not in junk.text
    assert "This PDF is not a certificate from this system" in junk.text


def _upload(client, csrf_token, data: bytes, name: str = "c.json", saved: str | None = None,
            **headers):
    form = {"csrf_token": csrf_token(client), "certificate": (io.BytesIO(data), name)}
    if saved is not None:
        form["trusted_checkpoint"] = saved
    return client.post("/verify", data=form, content_type="multipart/form-data",
                       headers=headers)


@pytest.mark.parametrize("data, name", [
    (b"[" * 50_000 + b"]" * 50_000, "deep.json"),  # issue 13, break 2: a RecursionError, 500
    (b"{not json", "c.json"), (b"\xff\xfe", "c.json"), (b'{"format": 1}', "c.json"),
    (b"%PDF-1.7\n" + b"[" * 50_000, "deep.pdf")])
def test_a_file_that_is_not_a_certificate_is_refused_input(client_in, csrf_token, data, name):
    page = _upload(client_in(None), csrf_token, data, name)
    assert page.status_code == 400, page.status_code
    assert "is not a certificate from this system" in page.text
    assert 'id="verify-result"' not in page.text and "did NOT verify" not in page.text
    for python in ("Expecting", "line 1 column", "Traceback", "Error:", "codec"):
        assert python not in page.text


def test_refused_input_is_said_in_chinese(client_for, csrf_token):
    page = _upload(client_for(None), csrf_token, b"[" * 50_000, "deep.json",
                   **{"Accept-Language": "zh-CN"})
    assert page.status_code == 400 and "此文件不是本系统出具的证书" in page.text


@pytest.mark.parametrize("saved", ["not a checkpoint", "a\nb\nc\n\n— x y\n",
                                   "ledger.test-plant.example/WEB\n12\n!!!\n\n— k AAAA\n"])
def test_a_malformed_saved_checkpoint_is_bad_input(manager, client_in, csrf_token, unit_sha256,
                                                   saved):
    data = manager.get(f"/certificates/{unit_sha256}/json").data
    page = _upload(client_in(None), csrf_token, data, saved=saved)
    assert page.status_code == 400
    assert "The saved checkpoint is not a checkpoint note" in page.text
    assert "did NOT verify" not in page.text


def test_the_page_shows_the_certified_figures(manager, client_in, csrf_token, unit_sha256):
    document = json.loads(manager.get(f"/certificates/{unit_sha256}/json").data)
    s = document["statements"]
    for page in (client_in(None).get(f"/verify/{unit_sha256}").text,
                 _upload(client_in(None), csrf_token,
                         manager.get(f"/certificates/{unit_sha256}/pdf").data, "c.pdf").text):
        figures = page[page.index('id="certified-figures"'):page.index("</table>",
                                                                        page.index('id="certified-figures"'))]
        assert document["origin"] in figures and LABEL in figures
        weighed = s["balance"]["outputs_g"] + s["balance"]["components_g"]
        for grams in (s["intake"]["gross_g"], s["refrigerant"]["recovered_g"], weighed):
            assert f"{grams / 1000:,.3f} kg" in figures
        assert "Status" in figures and "Flags" in figures
    # "Outputs weighed" means the same on the unit's page as on the certificate's
    unit_page = manager.get(f"/units/{LABEL}").text
    shown = re.search(r'id="fig-outputs">([^<]+)<', unit_page).group(1)
    assert shown.strip() == f"{weighed / 1000:,.3f} kg"


def test_the_certified_figures_in_chinese(client_for, unit_sha256):
    page = client_for(None).get(f"/verify/{unit_sha256}", headers={"Accept-Language": "zh-CN"})
    assert "证书所载数据" in page.text and "入厂重量" in page.text and "工厂" in page.text


def test_lot_and_period_figures(manager, client_in, csrf_token):
    response = _issue(manager, csrf_token, kind="lot", lot=LOT)
    assert response.status_code == 302
    page = client_in(None).get(f"/verify/{_sha256(response)}").text
    assert 'id="certified-figures"' in page and LOT in page


def test_an_unproven_verdict_is_shown_apart(sample_app):
    """Every check that ran passed but consistency with the saved checkpoint is unproven:
    the page never says verified (issue 13, break 7's verdict)."""
    from ledger.certificates import verify as verifier
    from web.certificates.verify import _page

    report = verifier.Report(saved_checkpoint=True)
    report.add(verifier.FORMAT_CHECK, True, "ok")
    report.add(verifier.SIGNATURE_CHECK, True, "ok")
    report.add(verifier.TRUSTED_CHECK, None, "not proven offline")
    assert report.verdict == verifier.UNPROVEN
    with sample_app.test_request_context(headers={"Accept-Language": "en"}):
        body, status = _page(report)
    assert status == 200 and 'data-verdict="unproven"' in body
    assert "Unproven: every check that ran passed" in body
    assert "Verified" not in body and "did NOT verify" not in body


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


def test_the_verify_page_says_every_check_in_chinese(client_for, csrf_token, manager):
    """Issue 17, point 6: the checks' words and the certified figures are the visitor's
    language (no English detail, no command-line option), and nothing breaks mid-word."""
    zh = {"Accept-Language": "zh-CN"}
    unit_sha256 = _sha256(_issue(manager, csrf_token, kind="unit",
                                 unit="CN3301-2026-0004815"))  # a fridge: refrigerant recovered
    page = client_for(None).get(f"/verify/{unit_sha256}", headers=zh).text
    start = page.index("<th>含义</th>")
    checks = page[start:page.index("</table>", start)]
    assert "已用本厂密钥签名" in checks and "未提供已保存的检查点" in checks
    for english in ("signed by the plant key", "entries, each proven", "--trusted-checkpoint",
                    "--console", 'lang="en"'):
        assert english not in checks, english
    assert "wrap-anywhere" not in checks  # sentences wrap between words, never inside them
    figures = page[page.index('id="certified-figures"'):]
    figures = figures[:figures.index("</table>")]
    document = json.loads(manager.get(f"/certificates/{unit_sha256}/json").data)
    gas = document["statements"]["refrigerant"]["recovered"][0]["refrigerant"]
    assert gas in figures and "二氧化碳当量" in figures and "AR4" in figures
    # A failed check: the meaning in Chinese, the verifier's own words beside it, marked.
    document["statements"]["intake"]["gross_g"] += 1000
    anonymous = client_for(None)
    failed = _upload(anonymous, csrf_token, json.dumps(document).encode(), **zh).text
    assert "证书已被篡改" in failed and "验证程序的原文（英文）" in failed
    assert '<p lang="en">' in failed and "gross_g" in failed


def test_a_large_reports_entry_bundle_downloads_beside_it(sample_app, manager, unit_sha256,
                                                          monkeypatch, client_in, csrf_token):
    from ledger.certificates import build

    monkeypatch.setattr(build, "EMBED_BUNDLE_MAX", 0)
    instance = sample_app.extensions["dledger"].instance
    digest = jobs.issue_and_store(instance, jobs.Request(
        kind="period", console_url="http://console.test", start="2026-11-20", end="2026-11-20"))
    page = manager.get(f"/certificates/{digest}")
    assert "Download entries" in page.text
    download = manager.get(f"/certificates/{digest}/entries")
    assert download.status_code == 200 and download.mimetype == "application/gzip"
    assert f'filename=certificate-{digest[:16]}.entries.gz' in \
        download.headers["Content-Disposition"]
    document = json.loads(manager.get(f"/certificates/{digest}/json").data)
    report = verify(document, vkeys=[instance.signer().verifier.vkey],
                    entries=lambda: io.BytesIO(download.data))
    assert report.ok, [c for c in report.checks if c.ok is False]
    anonymous = client_in(None)
    json_bytes = manager.get(f"/certificates/{digest}/json").data
    page = anonymous.post("/verify", data={"csrf_token": csrf_token(anonymous),
                                           "certificate": (io.BytesIO(json_bytes), "q.json")},
                          content_type="multipart/form-data")
    assert page.status_code == 200 and 'id="verify-result" data-ok="true"' in page.text
    embedded = manager.get(f"/certificates/{unit_sha256}/entries")
    assert embedded.status_code == 302
    assert "no separate entry bundle" in manager.get(embedded.headers["Location"]).text
