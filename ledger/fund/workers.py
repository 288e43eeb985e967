"""Deriving a large fund table's units on the machine's other cores.

A quarter's fund table judges and classes 250,000 units, each from its own chain and the
evidence read before (ledger.fund.table): the units are independent, so their lines can be
derived in worker processes while the caller reads, checks and bundles the entries. Results
come back in the order the units were sent, so the table is the same whichever way it was
derived. Workers are forked: they start with the caller's evidence in memory and run only
pure computations (no database, no file). Where the platform cannot fork (Windows), or the
table is small, everything runs in the calling process. Standard library only: the offline
verifier imports this.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

PARALLEL_FROM = 20_000  # units: below this, starting processes costs more than it saves
MAX_WORKERS = 4
BATCH = 250  # units sent to a worker at a time
AHEAD = 3  # batches in flight per worker (bounded memory)

_derive: Callable[[Any], Any] | None = None  # set in each worker by _install


def workers_for(units: int) -> int:
    """How many worker processes derive a table of `units` units (0: none, in process): one
    per core but the caller's, which reads, checks and bundles every entry and is busy for
    about as long as the workers together (with a worker per core, the caller would share
    its core and finish last)."""
    cores = os.cpu_count() or 1
    if units < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(cores - 1, MAX_WORKERS)


class OrderedPool(Generic[Item, Result]):
    """`derive` mapped over items in `workers` forked processes, results in item order.
    `put` sends an item and returns the results ready by then; `finish` the rest. Call
    `close` in every case (it stops the workers)."""

    def __init__(self, derive: Callable[[Item], Result], workers: int):
        context = multiprocessing.get_context("fork")
        self._pool: Pool = context.Pool(workers, initializer=_install, initargs=(derive,))
        self._batch: list[Item] = []
        self._flight: deque[AsyncResult[list[Result]]] = deque()
        self._ahead = AHEAD * workers

    def put(self, item: Item) -> list[Result]:
        self._batch.append(item)
        if len(self._batch) < BATCH:
            return []
        self._send()
        ready: list[Result] = []
        while len(self._flight) > self._ahead or (self._flight and self._flight[0].ready()):
            ready += self._flight.popleft().get()
        return ready

    def finish(self) -> list[Result]:
        self._send()
        ready: list[Result] = []
        while self._flight:
            ready += self._flight.popleft().get()
        return ready

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def _send(self) -> None:
        if self._batch:
            self._flight.append(self._pool.apply_async(_run, (self._batch,)))
            self._batch = []


def _install(derive: Callable[[Any], Any]) -> None:
    global _derive
    _derive = derive


def _run(batch: list[Any]) -> list[Any]:
    assert _derive is not None  # _install ran when the worker started
    return [_derive(item) for item in batch]
