"""What every simulator shares: serving a link, a loop thread, baud-rate pacing, unplugging.

All reads and writes of the link happen on one loop thread. Calls from other threads that
touch the link (`unplug`, `replug`, sending a scan) are handed to that thread and waited
for, so a caller knows the port is gone when `unplug()` returns.
"""

from __future__ import annotations

import os
import queue
import re
import select
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from devices.protocols.base import SerialSettings
from devices.simulators.link import PtyLink, TcpLink

IDLE_S = 0.05  # how long the loop sleeps when nothing is due
MAX_INBOX = 512


def parity_table(settings: SerialSettings) -> bytes:
    """Byte translation that adds the parity bit as bit 7, for 7-bit protocols.

    A pty carries 8 bits and no parity; setting the bit makes the driver's 7-bit masking
    do real work, as it must with an 8N1 port in front of a 7E1 scale.
    """
    if settings.bytesize != 7 or settings.parity not in "EO":
        return bytes(range(256))
    odd = settings.parity == "O"
    return bytes(
        (b & 0x7F) | (((b & 0x7F).bit_count() + odd) % 2) << 7 for b in range(256)
    )


class Simulator:
    """Base of the scale and scanner simulators; subclasses answer commands and tick."""

    command: re.Pattern[bytes] = re.compile(rb"(?!)")  # matches nothing: no commands

    def __init__(self, settings: SerialSettings) -> None:
        self.settings = settings
        self._wire = parity_table(settings)
        self._unwire = bytes(b & 0x7F if settings.bytesize == 7 else b for b in range(256))
        self._link: PtyLink | TcpLink | None = None
        self._tempdir: str | None = None
        self._lock = threading.RLock()
        self._calls: queue.SimpleQueue[tuple[Callable[[], object], threading.Event]] = (
            queue.SimpleQueue()
        )
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._inbox = b""

    @property
    def url(self) -> str:
        """The pyserial URL a driver should open (a path for a pty, socket:// for TCP)."""
        if self._link is None:
            raise RuntimeError("not serving yet: call serve_pty() or serve_tcp() first")
        return self._link.url

    def serve_pty(self, path: str | Path | None = None) -> str:
        """Serve on a new pseudo-terminal reached through `path` (a symlink we create).

        Without `path` the link goes in a private temporary directory. Returns the path.
        """
        if path is None:
            self._tempdir = tempfile.mkdtemp(prefix="dledger-sim-")
            path = Path(self._tempdir) / "tty"
        return self._serve(PtyLink(Path(path)))

    def serve_tcp(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve on a TCP port (0 picks a free one). Returns `socket://host:port`."""
        return self._serve(TcpLink(host, port))

    def unplug(self) -> None:
        """Pull the cable: close the pty master (or the TCP port) until `replug()`."""
        self._on_loop(self._require_link().unplug)

    def replug(self) -> None:
        """Plug back in at the same path or port."""
        self._on_loop(self._require_link().plug)

    def close(self) -> None:
        """Stop the loop and remove the link; safe to call twice."""
        if self._thread is not None:
            self._stopping = True
            os.write(self._wake_w, b"x")
            self._thread.join(5)
            self._thread = None
        if self._link is not None:
            self._link.unplug()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # Called on the loop thread by subclasses.

    def send(self, data: bytes) -> None:
        """Put `data` on the line after its transmission time at the configured baud rate."""
        time.sleep(len(data) * self.settings.char_time)
        self._require_link().send(data.translate(self._wire))

    def handle(self, command: bytes) -> None:
        """Answer one command from the host (the first group of `self.command`)."""

    def tick(self, now: float) -> float:
        """Do what is due at `now` (streamed frames, delayed replies); seconds until next."""
        return IDLE_S

    # Internals.

    def _serve(self, link: PtyLink | TcpLink) -> str:
        if self._link is not None:
            raise RuntimeError("already serving; use one simulator per port")
        link.plug()
        self._link = link
        self._thread = threading.Thread(target=self._loop, name=f"sim {link.url}", daemon=True)
        self._thread.start()
        return link.url

    def _require_link(self) -> PtyLink | TcpLink:
        if self._link is None:
            raise RuntimeError("not serving yet: call serve_pty() or serve_tcp() first")
        return self._link

    def _on_loop(self, call: Callable[[], object]) -> None:
        """Run `call` on the loop thread and wait for it (directly if there is no loop)."""
        if self._thread is None or threading.current_thread() is self._thread:
            call()
            return
        done = threading.Event()
        self._calls.put((call, done))
        os.write(self._wake_w, b"x")
        if not done.wait(10):
            raise RuntimeError("simulator loop did not respond within 10 s")

    def _loop(self) -> None:
        link = self._require_link()
        while not self._stopping:
            with self._lock:
                wait = self.tick(time.monotonic())
            fd = link.fileno()
            ready, _, _ = select.select([self._wake_r] + ([fd] if fd is not None else []), [], [],
                                        max(0.0, min(wait, IDLE_S)))
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            while not self._calls.empty():
                call, done = self._calls.get()
                try:
                    call()
                finally:
                    done.set()
            if fd is not None and fd in ready and link.fileno() == fd:
                self._receive(link.receive())

    def _receive(self, data: bytes) -> None:
        self._inbox = (self._inbox + data.translate(self._unwire))[-MAX_INBOX:]
        while match := self.command.search(self._inbox):
            self._inbox = self._inbox[match.end() :]
            time.sleep(len(match[0]) * self.settings.char_time)
            with self._lock:
                self.handle(match[1])
