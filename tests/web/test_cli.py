"""`dledger user ...` and `dledger serve`, run as real subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from clihelp import dledger

from .conftest import PASSWORD, make_instance


def test_user_add_list_password_deactivate(tmp_path):
    home = tmp_path / "instance"
    make_instance(home)
    added = dledger(home, "user", "add", "ana", "--role", "manager", "--password-stdin",
                    stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    short = dledger(home, "user", "add", "bo", "--role", "worker", "--password-stdin",
                    stdin="short\n")
    assert short.returncode == 2 and b"at least 10" in short.stderr
    again = dledger(home, "user", "add", "ana", "--role", "admin", "--password-stdin",
                    stdin=PASSWORD + "\n")
    assert again.returncode == 2 and b"already exists" in again.stderr
    changed = dledger(home, "user", "password", "ana", "--password-stdin",
                      stdin="another good password\n")
    assert changed.returncode == 0, changed.stderr
    assert dledger(home, "user", "deactivate", "ana").returncode == 0
    listed = dledger(home, "user", "list").stdout.decode().splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["ana", "manager", "inactive"]]
    assert PASSWORD.encode() not in (home / "ledger.db").read_bytes()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_gunicorn_and_answers(tmp_path):
    home = tmp_path / "instance"
    make_instance(home)
    port = _free_port()
    env = {**os.environ, "DLEDGER_HOME": str(home)}
    env.pop("DLEDGER_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "dledger", "serve", "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    assert page.status == 200 and "拆解台账" in page.read().decode()
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "dledger serve did not answer in 30 s"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr.decode()
    assert stderr.count(b"Booting worker") == 2 and b"GET /login" in stdout  # the access log
