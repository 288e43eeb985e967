"""Latency from a load settling on the simulator to the driver returning the stable reading.

Each protocol runs against its simulator on a real pty at 9600-baud pacing (the simulator
sleeps each frame's transmission time before writing it). The floor is the time the frame
itself takes on the wire at 9600 baud; a polled protocol also pays for its request.

    .venv/bin/python benchmarks/bench_devices.py [--trials 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from devices.protocols import PROTOCOLS
from devices.scale import Scale
from devices.simulators import ScaleSimulator
from devices.simulators.load import Display
from devices.simulators.protocols import DIALECTS

CASES = [  # (protocol, stream)
    ("mtsics", False), ("mtsics", True), ("toledo", True), ("sma", False),
    ("aandd", False), ("aandd", True), ("8217", False), ("sbi", False),
]
SETTLE_MS = 150


def measure(protocol: str, stream: bool, trials: int) -> list[float]:
    """Seconds from each load settling to wait_stable() returning it."""
    latencies = []
    phase = random.Random(2)  # place loads at varied points of the stream's frame cycle
    with ScaleSimulator(protocol, seed=1) as sim:
        url = sim.serve_pty()
        with Scale(url, protocol, stream=stream) as scale:
            scale.wait_stable(3)
            for trial in range(trials):
                mass = 10_000 + 1_111 * (trial % 2 + 1)
                time.sleep(phase.uniform(0, 0.1))
                sim.place(mass, settle_ms=SETTLE_MS, noise_g=5)
                settled_at = sim.load.settled_at()
                reading = scale.wait_stable(3)
                returned = time.monotonic()
                assert reading.mass_g == mass, (protocol, reading)
                latencies.append(returned - settled_at)
    return latencies


def floors_ms(protocol: str, stream: bool) -> tuple[int, float, float]:
    """(frame bytes, frame time, request + frame time) at the protocol's 9600-baud framing."""
    spec = PROTOCOLS[protocol]
    frame = DIALECTS[protocol]("kg", 1).frame(Display(12_345, 0, False, False, False))
    char_ms = spec.serial.char_time * 1000
    request = 0 if stream else len(spec.weigh or b"")
    return len(frame), len(frame) * char_ms, (len(frame) + request) * char_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    print(f"settle -> stable reading, {args.trials} trials each, 9600 baud, pty")
    print(f"{'protocol':9} {'mode':6} {'bytes':>5} {'floor ms':>9} {'+request':>9} "
          f"{'median ms':>10} {'p95 ms':>8}")
    for protocol, stream in CASES:
        latencies = sorted(measure(protocol, stream, args.trials))
        median = statistics.median(latencies) * 1000
        p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] * 1000
        size, frame_ms, round_trip_ms = floors_ms(protocol, stream)
        mode = "stream" if stream else "poll"
        print(f"{protocol:9} {mode:6} {size:5d} {frame_ms:9.1f} {round_trip_ms:9.1f} "
              f"{median:10.1f} {p95:8.1f}")
    print("floor ms: the frame's own transmission time; +request: with the poll request.")
    print("stream modes send a frame every 100 ms (simulator default): up to one period more.")


if __name__ == "__main__":
    main()
