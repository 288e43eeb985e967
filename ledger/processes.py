"""Whether a process recorded in a status file is still running (background jobs, the audit,
the checkpoint publisher): process ids mean something on this machine only."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True if process `pid` exists (pid 0 or below: no process was recorded)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by another user
    return True
