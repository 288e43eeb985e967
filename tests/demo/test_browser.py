"""The demo as a visitor meets it, in headless Chromium: `dledger demo` starts; a manager signs
in and sees completed units rising on the dashboard, the ledger page's checkpoints keeping up
with the log, cosigned by the demo's witness; the Stock pages' live book of units in their
zones, the demo day's stock count with its differences explained, and a balanced
reconciliation of today; issues a certificate for one of the units,
downloads its PDF, and anyone verifies that PDF on the public page; a kiosk page shows its
station at work; the status line tells plant time; Ctrl-C stops it all cleanly, and the
command line the demo printed runs `dledger audit` on its instance. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dledger.demo.setup import PASSWORD, USERS
from tests.web.conftest import ARTIFACTS, browser  # noqa: F401 -- browser: a fixture


@dataclass
class Demo:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r}:\n{''.join(self.lines)[-3000:]}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DLEDGER_DATABASE_URL", "DLEDGER_KEY_PASSPHRASE")}
    env["DLEDGER_HOME"] = str(tmp_path / "demo-instance")
    process = subprocess.Popen(  # the command a visitor types, at a test's speed
        [sys.executable, "-m", "dledger", "demo", "--port", "0", "--kiosk-port", "0",
         "--speed", "15", "--count-every", "3"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    running = Demo(process)
    reader = threading.Thread(target=running.read, daemon=True)
    reader.start()
    yield running
    if process.poll() is None:
        process.kill()
        process.wait(10)


pytestmark = pytest.mark.slow


def completed_units(page) -> int:
    stat = page.locator(".stat", has_text="Units completed").locator(".stat-value")
    return int(stat.inner_text().replace(",", ""))


def test_a_manager_watches_the_demo_issues_a_certificate_and_anyone_verifies_it(
        demo: Demo, browser, tmp_path: Path):  # noqa: F811 -- the fixture
    console = demo.wait_for(r"Console\s+(http://\S+?)/\s", 90)[1]
    kiosk = demo.wait_for(r"ST-03 dismantling\s+(http://\S+)", 5)[1]
    demo.wait_for(r"Ctrl-C stops the plant", 5)
    started = time.monotonic()

    context = browser.new_context(locale="en", viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(f"{console}/login")
    page.fill("#name", USERS["manager"])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{console}/**")
    page.goto(f"{console}/dashboard/")
    counts = [completed_units(page)]
    while len(set(counts)) < 3:  # rising: at least three different figures, growing
        assert time.monotonic() - started < 120, f"completed units stayed at {counts}"
        time.sleep(2)
        page.reload()
        if completed_units(page) != counts[-1]:
            counts.append(completed_units(page))
    assert counts == sorted(counts) and counts[-1] > 0, counts
    assert page.locator(".stat", has_text="Work in progress").count() == 1
    page.screenshot(path=str(ARTIFACTS / "demo-dashboard-en.png"), full_page=True)

    # The ledger page: checkpoints keep up with the log, each cosigned by the demo's witness.
    page.goto(f"{console}/ledger/")
    assert "Publisher running" in page.locator("#publisher-state").inner_text()
    witness = page.locator("#witnesses tbody tr").first
    assert "witness.demo-association.example/w1" in witness.inner_text()
    assert "stale" not in witness.inner_text()
    rows = page.locator("section:has(#checkpoints-title) tbody tr")
    sizes = [int(rows.nth(i).locator("td").first.inner_text().replace(",", ""))
             for i in range(rows.count())]
    cosigned = [i for i in range(rows.count())
                if "witness.demo-association.example/w1" in rows.nth(i).inner_text()]
    assert len(sizes) >= 2 and sizes == sorted(sizes, reverse=True), sizes
    assert len(cosigned) >= 2 and cosigned[0] <= 1, (sizes, cosigned)  # the newest or next
    page.screenshot(path=str(ARTIFACTS / "demo-ledger-en.png"), full_page=True)

    # Stock: the book now, units in the catalogue's zones; the plant's count, explained.
    page.goto(f"{console}/stock/")
    while page.locator("#counts a").count() == 0:
        assert time.monotonic() - started < 180, "no stock count on the Stock page"
        time.sleep(2)
        page.reload()
    zones = page.locator("#book-units tbody tr td:first-child").all_inner_texts()
    assert zones and "No zone recorded" not in zones, zones
    page.screenshot(path=str(ARTIFACTS / "demo-stock-en.png"), full_page=True)
    page.locator("#counts a").first.click()
    page.wait_for_selector("#explained")
    assert page.locator("#count-lines tbody tr").count() > 0
    page.goto(f"{console}/stock/reconciliation")
    page.wait_for_selector("#balanced")
    page.screenshot(path=str(ARTIFACTS / "demo-reconciliation-en.png"), full_page=True)

    page.goto(f"{console}/units/?state=completed")
    label = page.locator("a.ul-label-link").first.inner_text()
    assert re.fullmatch(r"CN3301-2026-\d{7}", label), label
    page.goto(f"{console}/certificates/")
    page.fill("#unit", label)
    page.click("form:has(input[name=kind][value=unit]) button[type=submit]")
    page.wait_for_url(f"{console}/certificates/*")
    assert label in page.locator("h1").inner_text()
    with page.expect_download() as download:
        page.click("text=Download PDF")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    visitor = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    anyone = visitor.new_page()
    anyone.goto(f"{console}/verify")
    anyone.set_input_files("#certificate", str(pdf))
    anyone.click("form[enctype] button[type=submit]")
    anyone.wait_for_selector("#verify-result")
    assert anyone.get_attribute("#verify-result", "data-ok") == "true"
    assert anyone.locator(".verdict").inner_text().startswith("Verified: every check passed")
    anyone.screenshot(path=str(ARTIFACTS / "demo-verify-en.png"), full_page=True)

    anyone.goto(kiosk)
    anyone.wait_for_selector("text=W-0031")  # the dismantling worker is signed in
    anyone.screenshot(path=str(ARTIFACTS / "demo-kiosk-st03.png"))
    visitor.close()
    context.close()

    # The status line (every 30 s) tells plant time, as the console shows it, not UTC.
    status = demo.wait_for(r"demo: (\d\d):(\d\d):\d\d received \d+", 45)
    plant = datetime.now(ZoneInfo("Asia/Shanghai"))
    said = plant.replace(hour=int(status[1]), minute=int(status[2]))
    assert min(abs(said - plant + timedelta(days=d)) for d in (-1, 0, 1)) < timedelta(minutes=3)
    line = demo.wait_for(r"The ledger from the command line: (DLEDGER_HOME=.*audit)$", 1)[1]

    demo.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert demo.process.wait(60) == 0
    time.sleep(0.2)
    output = "".join(demo.lines)
    assert "Traceback" not in output, output[-3000:]
    assert "every station event reached the console" in output, output[-2000:]
    assert f"point dledger at it with: {line}" in output
    env = {k: v for k, v in os.environ.items()
           if k not in ("DLEDGER_HOME", "DLEDGER_DATABASE_URL")}
    audit = subprocess.run(line, shell=True, env=env, capture_output=True, text=True,
                           timeout=120, check=False)  # the line as pasted into a shell
    assert audit.returncode == 0 and " entries" in audit.stderr + audit.stdout, audit.stderr
