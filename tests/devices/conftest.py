"""Simulators on real pseudo-terminals, closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devices.scale import Scale
from devices.simulators import ScaleSimulator

SCALE_PROTOCOLS = ["mtsics", "toledo", "sma", "aandd", "8217", "sbi"]


@pytest.fixture
def make_sim() -> Iterator[Callable[..., ScaleSimulator]]:
    """Start a ScaleSimulator on a pty; all are closed at the end of the test."""
    sims: list[ScaleSimulator] = []

    def make(protocol: str, **options: object) -> ScaleSimulator:
        sim = ScaleSimulator(protocol, seed=7, **options)  # type: ignore[arg-type]
        sims.append(sim)
        sim.serve_pty()
        return sim

    yield make
    for sim in sims:
        sim.close()


@pytest.fixture(params=SCALE_PROTOCOLS)
def rig(request: pytest.FixtureRequest, make_sim: Callable[..., ScaleSimulator]
        ) -> Iterator[tuple[ScaleSimulator, Scale]]:
    """A simulator of each protocol, and a driver opened on its pty through pyserial."""
    sim = make_sim(request.param)
    scale = Scale(sim.url, request.param)
    yield sim, scale
    scale.close()
