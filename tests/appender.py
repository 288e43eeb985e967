"""A separate OS process that appends events, for the concurrency and crash tests.

    python tests/appender.py DB_URL WORKER COUNT [START_AT_EPOCH]

Appends COUNT events one per transaction (COUNT 0: until killed), re-submitting an earlier
event every 25th time (a retry must return the same entry). After each append returns it
prints `<event id> <index>` and flushes, so the parent knows what was acknowledged.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from factories import plant

from ledger.log import Ledger
from ledger.store import open_engine


def event(worker: str, i: int):
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dledger-test/{worker}/{i}"))
    subject = "scale:SHARED" if i % 3 == 0 else f"scale:{worker}"
    return plant("scale.calibrated", subject, {"reference_g": 1000 + i, "reading_g": 1000 + i,
                                               "tolerance_g": 1, "passed": True},
                 event_id=event_id)


def main() -> None:
    url, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start_at = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    ledger = Ledger(open_engine(url))
    ledger.size()  # connect before the start line
    time.sleep(max(0.0, start_at - time.time()))
    sent = []
    i = 0
    while count == 0 or i < count:
        sub = event(worker, i)
        result = ledger.append([sub])[0]
        sent.append((sub, result.index))
        print(sub.event.id, result.index, flush=True)
        if i % 25 == 24:
            again_sub, again_index = sent[i - 20]
            again = ledger.append([again_sub])[0]
            assert again.existed and again.index == again_index, "a retry made a new entry"
        i += 1


if __name__ == "__main__":
    main()
