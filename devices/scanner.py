"""A barcode scanner in USB-CDC (virtual COM port) or RS-232 mode: one scan per line.

Set the scanner to send an AIM symbology identifier prefix and a CR (or CR LF) suffix;
pass the same suffix here. The port reopens itself by URL after an unplug.
"""

from __future__ import annotations

import time

from devices.barcode import Scan, classify
from devices.protocols.base import SerialSettings
from devices.reading import DisconnectedError, FrameError, NoResponseError, PortBusyError
from devices.transport import Transport


class Scanner:
    """Reads scans from `url`. `kinds` replaces the label table of `devices.barcode`."""

    def __init__(
        self,
        url: str,
        *,
        suffix: bytes = b"\r",
        kinds: dict[str, str] | None = None,
        serial_settings: SerialSettings | None = None,
    ) -> None:
        if not suffix:
            raise ValueError("suffix must not be empty: it is how one scan ends")
        self.suffix = suffix
        self.kinds = kinds
        self.transport = Transport(url, serial_settings or SerialSettings())

    def open(self, timeout: float = 0.0) -> Scanner:
        self.transport.ensure_open(time.monotonic() + timeout)
        return self

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, timeout: float) -> Scan | None:
        """The next scan within `timeout` seconds, or None if nobody scanned.

        Reconnects after an unplug while time remains; raises DisconnectedError if the
        scanner is still gone at the deadline.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.transport.ensure_open(deadline)
                frame, _ = self.transport.read_frame(self.suffix, 0, deadline, keep_partial=True)
            except NoResponseError:
                return None
            except FrameError:
                return None  # half a scan, then nothing: the scanner never sends that itself
            except PortBusyError:
                raise
            except DisconnectedError:
                if time.monotonic() >= deadline:
                    raise
                continue
            data = frame[: -len(self.suffix)].decode("latin-1").strip("\r\n")
            if data:
                return classify(data, self.kinds, raw=frame)
