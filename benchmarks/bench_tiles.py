"""The tlog-tiles benchmark: exporting a log's tiles and reading them back verified.

    .venv/bin/python benchmarks/bench_tiles.py                    # 250,000 entries
    .venv/bin/python benchmarks/bench_tiles.py --entries 2000000  # a quarter's log
    .venv/bin/python benchmarks/bench_tiles.py --quick            # smoke run
    .venv/bin/python benchmarks/bench_tiles.py --ledger FILE.db   # a copy of a seeded ledger

Figures (median and min-max over --trials runs), on a SQLite ledger seeded with a plant's
quarter (benchmarks/quarter_seed.py: station-signed fridge entries):

1. `dledger tiles export` into an empty folder (ledger.tiles_export), entries/s;
2. the same export again, nothing changed (every file checked, none written);
3. reading every entry back with ledger.tiles.TileLog from the folder, each tile and entry
   authenticated against the checkpoint, entries/s;
4. the same over HTTP from the console's /tlog/ (werkzeug's threaded server, one process);
5. the reader's peak memory (ru_maxrss of a child process reading the whole folder).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for extra in (REPO, REPO / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from quarter_seed import STEPS, seed, stderr  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from ledger import catalogue  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.note import new_signer  # noqa: E402
from ledger.store import migrate, open_engine  # noqa: E402
from ledger.tiles import DirSource, HttpSource, TileLog, read_checkpoint  # noqa: E402
from ledger.tiles_export import export  # noqa: E402

ORIGIN = "ledger.bench-plant.example/TILES"


def figure(label: str, values: list[float], unit: str) -> None:
    low, mid, high = min(values), statistics.median(values), max(values)
    print(f"{label:<52} {mid:>12,.0f} {unit}  (range {low:,.0f} - {high:,.0f}, "
          f"n={len(values)})")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def read_all(source: object, checkpoint: object) -> int:
    return sum(1 for _ in TileLog(source, checkpoint).entries())  # type: ignore[arg-type]


def child_peak(folder: Path, vkey: str) -> float:
    """MiB of peak resident memory of a fresh process reading the whole folder verified."""
    # VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec into it.
    code = ("import re, sys; from ledger.note import Verifier; from ledger.tiles import "
            "DirSource, TileLog, read_checkpoint; s = DirSource(sys.argv[1]); "
            "c, _ = read_checkpoint(s, [Verifier.parse(sys.argv[2])]); "
            "n = sum(1 for _ in TileLog(s, c).entries()); "
            "print(n, re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    done = subprocess.run([sys.executable, "-c", code, str(folder), vkey], cwd=REPO,
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=250_000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5,000 entries, 2 trials")
    parser.add_argument("--ledger", type=Path, help="a SQLite ledger to copy instead of "
                        "seeding one (say the certificate benchmark's cached quarter)")
    args = parser.parse_args()
    entries, trials = (5_000, 2) if args.quick else (args.entries, args.trials)
    work = Path(tempfile.mkdtemp(prefix="dledger-bench-tiles-"))
    # named by the catalogue it publishes too: a log seeded by other code is not reused
    cache = args.ledger or Path(tempfile.gettempdir()) / "dledger-bench-cache" / \
        f"tiles-{entries}-{catalogue.load().sha256()[:12]}.db"
    started = time.perf_counter()
    try:
        if not cache.exists():
            stderr(f"seeding {entries:,} entries (cached in {cache})")
            cache.parent.mkdir(exist_ok=True)
            partial = cache.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            engine = open_engine(f"sqlite:///{partial}")
            migrate(engine)
            seed(Ledger(engine), max(1, entries // STEPS), log=stderr)
            engine.dispose()
            partial.rename(cache)
        shutil.copy(cache, work / "ledger.db")
        ledger = Ledger(open_engine(f"sqlite:///{work / 'ledger.db'}"))
        signer = new_signer(ORIGIN)
        signed = ledger.checkpoint(signer)
        size = signed.checkpoint.size
        print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}  entries: {size:,}")

        first, again, folder_reads, http_reads = [], [], [], []
        for trial in range(trials):
            out = work / f"tiles-{trial}"
            first.append(size / timed(lambda out=out: export(ledger, out, signed)))
            again.append(size / timed(lambda out=out: export(ledger, out, signed)))
            source = DirSource(out)
            checkpoint, _ = read_checkpoint(source, [signer.verifier])
            folder_reads.append(size / timed(lambda s=source, c=checkpoint: read_all(s, c)))
            stderr(f"  trial {trial + 1} of {trials} done")
        http_reads += _http_reads(work, ledger, signer, size, trials)
        figure("tiles export, into an empty folder", first, "entries/s")
        figure("tiles export again, nothing changed", again, "entries/s")
        figure("read and verify every entry, from the folder", folder_reads, "entries/s")
        figure("read and verify every entry, over HTTP (/tlog/)", http_reads, "entries/s")
        peaks = [child_peak(work / "tiles-0", signer.verifier.vkey) for _ in range(trials)]
        figure("reader's peak memory, whole log from the folder", peaks, "MiB")
        print(f"total run time: {time.perf_counter() - started:,.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _http_reads(work: Path, ledger: Ledger, signer: object, size: int,
                trials: int) -> list[float]:
    """The console on the benchmark's ledger, served over HTTP on a free local port."""
    import warnings

    from ledger import keys
    from ledger.instance import KEY_FILE, Instance, write_config
    from web.app import create_app

    home = work / "instance"
    write_config(home, ORIGIN, plaintext_key=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keys.write_key(home / KEY_FILE, signer, None, allow_plaintext=True)  # type: ignore[arg-type]
    os.environ["DLEDGER_DATABASE_URL"] = f"sqlite:///{work / 'ledger.db'}"
    from ledger.roles import ensure_schema

    ensure_schema(ledger.engine)
    app = create_app(Instance.locate(home))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        source = HttpSource(f"http://127.0.0.1:{server.server_port}/tlog")
        checkpoint, _ = read_checkpoint(source, [signer.verifier])  # type: ignore[attr-defined]
        return [size / timed(lambda: read_all(source, checkpoint)) for _ in range(trials)]
    finally:
        server.shutdown()
        thread.join()


if __name__ == "__main__":
    main()
