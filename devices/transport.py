"""Open a port by pyserial URL, cut the byte stream into frames, and come back after an unplug.

Any URL `serial.serial_for_url` takes works: a device path, `/dev/serial/by-id/...`,
`socket://host:port`, `rfc2217://host:port`, `loop://`. Ports are opened with
`exclusive=True` so a second program cannot silently split the data with us.

Framing keeps its own buffer instead of calling `read_until`, for two reasons: 7-bit
protocols must be masked (`& 0x7F`) *before* looking for the terminator, since a port
set to 8N1 in front of a 7E1 scale (or a pty, which ignores parity) delivers the parity
bit as bit 7; and bytes after a terminator belong to the next frame and must be kept.
Every wait is bounded by an overall deadline, whatever trickles in.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from typing import NoReturn

import serial

from devices.protocols.base import SerialSettings
from devices.reading import (
    DeviceError,
    DisconnectedError,
    FrameError,
    NoResponseError,
    PortBusyError,
)

POLL_S = 0.05  # pyserial read timeout; the deadline, not this, bounds the wait
REOPEN_EVERY_S = 0.1
MAX_FRAME = 4096  # no protocol here comes close; more without a terminator is not our protocol
SEVEN_BITS = bytes(b & 0x7F for b in range(256))
BUSY = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY}

PORT_ERRORS: tuple[type[Exception], ...]
if sys.platform == "win32":
    PORT_ERRORS = (serial.SerialException, OSError)
else:  # termios.error is not an OSError; pyserial lets it out of tcflush on a dead pty
    import termios
    PORT_ERRORS = (serial.SerialException, OSError, termios.error)


class Transport:
    """One serial connection that reopens itself by URL after an unplug."""

    def __init__(self, url: str, settings: SerialSettings) -> None:
        self.url = url
        self.settings = settings
        self._port: serial.Serial | None = None
        self._buffer = bytearray()

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        """Open now or raise: DisconnectedError if absent, PortBusyError if held elsewhere."""
        s = self.settings
        try:
            port = serial.serial_for_url(
                self.url, do_not_open=True, baudrate=s.baudrate, bytesize=s.bytesize,
                parity=s.parity, stopbits=s.stopbits, xonxoff=s.xonxoff, timeout=POLL_S,
                write_timeout=1.0, exclusive=True,
            )
            port.open()
        except ValueError as exc:
            raise DeviceError(
                f"cannot use {self.url!r}: {exc}. Give a device path such as /dev/ttyUSB0, "
                "or a URL such as socket://host:port, rfc2217://host:port or loop://"
            ) from None
        except PORT_ERRORS as exc:
            code = getattr(exc, "errno", None)
            if code in BUSY:
                raise PortBusyError(
                    f"{self.url} is busy: another program has it open. "
                    "Stop that program (another station agent or terminal), then retry"
                ) from None
            if code == errno.EACCES:
                raise DeviceError(
                    f"no permission to open {self.url}: add this user to the 'dialout' group"
                ) from None
            reason = os.strerror(code) if isinstance(code, int) and code else str(exc)
            raise DisconnectedError(
                f"cannot open {self.url}: {reason}. Check the cable and power; "
                "`dledger devices list` shows the ports present"
            ) from None
        self._port = port
        self._buffer.clear()

    def ensure_open(self, deadline: float) -> bool:
        """Open if closed, retrying until `deadline`; True when a new connection was made."""
        while self._port is None:
            try:
                self.open()
            except PortBusyError:
                raise
            except DisconnectedError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(REOPEN_EVERY_S, left))
            else:
                return True
        return False

    def close(self) -> None:
        if self._port is not None:
            port, self._port = self._port, None
            try:
                port.close()
            except PORT_ERRORS:
                pass  # an unplugged port may fail to close; it is gone either way

    def write(self, data: bytes) -> None:
        try:
            self._live().write(data)
        except PORT_ERRORS as exc:
            self._lost(exc)

    def discard_input(self) -> None:
        """Drop everything received so far, so the next frame is one sent after this call."""
        self._buffer.clear()
        try:
            self._live().reset_input_buffer()
        except PORT_ERRORS as exc:
            self._lost(exc)

    def read_frame(self, terminator: bytes, trailer: int, deadline: float,
                   keep_partial: bool = False) -> tuple[bytes, float]:
        """The next frame ending in `terminator` (+ `trailer` bytes), and when it completed.

        Raises NoResponseError if no whole frame arrives before `deadline`, FrameError
        if the bytes cannot be framed at all, DisconnectedError if the port goes away.
        With `keep_partial`, the start of a frame still arriving at the deadline is kept for
        the next call (a scanner's line that straddles a polling deadline stays whole).
        """
        mask = self.settings.bytesize == 7
        while True:
            end = self._buffer.find(terminator)
            if end >= 0 and len(self._buffer) >= end + len(terminator) + trailer:
                size = end + len(terminator) + trailer
                frame = bytes(self._buffer[:size])
                del self._buffer[:size]
                return frame, time.monotonic()
            if len(self._buffer) > MAX_FRAME:
                self._buffer.clear()
                raise FrameError(
                    f"{MAX_FRAME} bytes without a frame terminator {terminator!r}: "
                    "check the protocol and baud rate"
                )
            if time.monotonic() >= deadline:
                if keep_partial and self._buffer:
                    raise NoResponseError(f"a frame from {self.url} is still arriving")
                partial, self._buffer = bytes(self._buffer), bytearray()
                if partial:
                    raise NoResponseError(
                        f"only part of a frame arrived from {self.url} ({partial!r}): "
                        "truncated frames, or the wrong protocol or baud rate"
                    )
                raise NoResponseError(
                    f"no data from {self.url}: check the protocol, baud rate and cable"
                )
            port = self._live()
            try:
                chunk = port.read(max(1, port.in_waiting))
            except PORT_ERRORS as exc:
                self._lost(exc)
            self._buffer += chunk.translate(SEVEN_BITS) if mask else chunk

    def _live(self) -> serial.Serial:
        if self._port is None:
            raise DisconnectedError(f"{self.url} is not open")
        return self._port

    def _lost(self, exc: BaseException) -> NoReturn:
        self.close()
        raise DisconnectedError(
            f"lost {self.url}: {exc}. Reconnecting by itself when the device is back"
        ) from None
