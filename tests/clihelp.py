"""Running `dledger` as a real subprocess, the way people and scripts do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PASSPHRASE = "test passphrase, not secret"


def dledger(home: Path, *args: str, stdin: str | bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k != "DLEDGER_DATABASE_URL"}
    full_env = {**inherited, "DLEDGER_HOME": str(home), "DLEDGER_KEY_PASSPHRASE": PASSPHRASE,
                **(env or {})}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "dledger", *args], input=data,
                          capture_output=True, env=full_env, timeout=300, check=False)
