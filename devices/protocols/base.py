"""What every scale protocol module provides: serial defaults, commands, and a parser.

A protocol object only turns bytes into meaning and back; it never touches a port.
`devices.scale.Scale` puts it together with `devices.transport.Transport`, the same split
as pyserial's `serial.threaded` (transport vs protocol).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from devices.reading import CommandError, FrameError


@dataclass(frozen=True)
class SerialSettings:
    """Line settings the device expects (irrelevant on ptys and socket://, used on real ports)."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False

    @property
    def char_time(self) -> float:
        """Seconds one character takes on the wire: start + data + parity + stop bits."""
        bits = 1 + self.bytesize + (self.parity != "N") + self.stopbits
        return bits / self.baudrate


@dataclass(frozen=True)
class Weight:
    """What one weight frame says, before the driver converts it and stamps the time."""

    value: str
    unit: str | None
    stable: bool


class ScaleProtocol(ABC):
    """The host side of one scale protocol.

    `weigh` asks for one reading now (stable or not); None means the scale only streams.
    `stream` starts continuous output: b"" when the scale streams without being asked,
    None when it cannot stream. `zero`/`tare` are None when the protocol lacks them;
    `reset` (MT-SICS `@`) cancels pending commands and streaming and clears the tare.
    `terminator` ends every frame the scale sends; `trailer` counts bytes that follow it
    (Toledo's checksum). `acknowledges` says whether zero/tare get a reply to wait for.
    """

    name: str
    serial: SerialSettings
    terminator: bytes
    trailer: int = 0
    weigh: bytes | None
    stream: bytes | None
    zero: bytes | None
    tare: bytes | None
    reset: bytes | None = None
    acknowledges: bool = False

    @abstractmethod
    def parse(self, frame: bytes) -> Weight:
        """The weight in `frame`.

        Raises FrameError for bytes that are not a valid frame, OverloadError or
        UnderloadError when the scale reports the load out of range, NotStableError when
        the frame carries only a motion status, CommandError for an error reply.
        """

    def reply_to(self, command: bytes, frame: bytes) -> str | None:
        """For protocols that acknowledge zero/tare: the acknowledgement's payload.

        Returns None when `frame` is not a reply to `command` (a streamed weight frame),
        raises CommandError when the device refused.
        """
        raise CommandError(f"{self.name} sends no reply to {command!r}")


def ascii_text(frame: bytes) -> str:
    """`frame` as text, or FrameError: every protocol here is plain ASCII on the wire."""
    try:
        return frame.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("frame has non-ASCII bytes", frame) from None
