"""`dledger serve` runs the instance's checkpoint publisher beside gunicorn: one process for
two workers, started with the console and stopped with it (its last round signs what came in)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ledger.witness.publisher import read_status


def test_serve_runs_one_publisher_and_stops_it(instance):
    env = {**os.environ, "DLEDGER_HOME": str(instance.home)}
    env.pop("DLEDGER_DATABASE_URL", None)
    serve = subprocess.Popen([sys.executable, "-m", "dledger", "serve", "--port", "0",
                              "--workers", "2"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (read_status(instance.home) or {}).get("running"):
            assert serve.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        status = read_status(instance.home)
        children = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(serve.pid)],
                                  capture_output=True, text=True, check=True).stdout
        publishers = [line for line in children.splitlines() if "witness publish" in line]
        assert len(publishers) == 1 and int(publishers[0].split()[0]) == status["pid"]
        assert status["checkpoint"]["size"] == 1  # the catalogue, signed at start
    finally:
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, output
    assert read_status(instance.home)["running"] is False, output
    assert "Traceback" not in output
