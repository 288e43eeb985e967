"""Group commit: calls that arrive at once in one process share one transaction and one commit.

A durable commit costs an fsync (SQLite) or a WAL flush (PostgreSQL) whatever it holds, so
concurrent writers that each commit alone queue behind each other's fsyncs. Here the first
caller becomes the leader: it calls the `run` function it was given, which opens the
transaction, takes the write lock and only then takes the group (`take`): every call pending
at that moment, itself first, up to `max_size` items. So the calls that arrive while the
leader waits for the lock (held by another process, or being taken) join its group, rather
than the next one; in particular the callers of the group before, which come back with
their next call while the lock is taken, instead of one of them leading a group of one.
The leader wakes each caller with its own result or its own error. Callers that arrive
after the group was taken wait; when the group is done, the leader hands the lead to the
oldest of them, so no caller serves the others for longer than one group. Nothing runs in a
thread of its own: the leader is one of the callers, so there is nothing to start or stop,
and a process with one caller at a time pays a lock and nothing else.

`run` decides what a failure inside the group means: it sets each call's outcome (`succeed`
or `fail`). If `run` itself raises (the commit failed), every call of the group fails with
that exception: an outcome judged inside a transaction that did not commit stands for
nothing; if it raises before taking the group (no transaction or lock), the calls pending
then fail with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

W = TypeVar("W")


class Call(Generic[W]):
    """One caller's work and, once its group has run, its outcome."""

    __slots__ = ("done", "error", "lead", "result", "size", "wake", "work")

    def __init__(self, work: W, size: int):
        self.work = work
        self.size = size  # how much it weighs against the group's max_size
        self.result: Any = None
        self.error: BaseException | None = None
        self.lead = False  # this caller runs the next group
        self.done = False
        self.wake = threading.Event()  # set once: to lead, or when done

    def succeed(self, result: Any) -> None:
        self.result, self.error = result, None

    def fail(self, error: BaseException) -> None:
        self.result, self.error = None, error


class GroupCommit(Generic[W]):
    """Runs concurrent calls in groups (see the module docstring)."""

    def __init__(self, run: Callable[[Callable[[], list[Call[W]]]], None], max_size: int):
        self._run = run
        self._max_size = max_size
        self._lock = threading.Lock()
        self._pending: list[Call[W]] = []
        self._leading = False  # a caller is running a group (or has been told to)

    @property
    def waiting(self) -> int:
        """How many calls wait for the next group (tests watch it to line calls up)."""
        with self._lock:
            return len(self._pending)

    def submit(self, work: W, size: int = 1) -> Any:
        """Run `work` in the next group; its result, or raise its error."""
        call = Call(work, size)
        with self._lock:
            self._pending.append(call)
            if not self._leading:
                self._leading = call.lead = True
        if not call.lead:
            call.wake.wait()
        if not call.done:  # woken (or started) to lead
            self._lead()
        if call.error is not None:
            raise call.error
        return call.result

    def _lead(self) -> None:
        group: list[Call[W]] | None = None

        def take() -> list[Call[W]]:
            """The group: the calls pending at the first call (the leader's own first)."""
            nonlocal group
            with self._lock:
                if group is None:
                    group, weight = [], 0
                    while self._pending and (
                            not group or weight + self._pending[0].size <= self._max_size):
                        weight += self._pending[0].size
                        group.append(self._pending.pop(0))
                return group

        try:
            self._run(take)
        except BaseException as exc:  # every call of the group shares the failed commit
            for call in take():
                call.fail(exc)
        finally:
            done = take()
            with self._lock:
                if self._pending:
                    successor = self._pending[0]
                    successor.lead = True
                    successor.wake.set()
                else:
                    self._leading = False
            for call in done:
                call.done = True
                call.wake.set()
