"""Keyboard-wedge scanners on Linux through evdev (optional: `pip install dismantle-ledger[evdev]`).

A wedge scanner types each scan as keystrokes ending in Enter. Grabbing the device
(EVIOCGRAB) keeps those keystrokes away from the desktop. The user needs to be in the
`input` group. `evdev` is imported only when a wedge is opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from devices.barcode import Scan, classify
from devices.reading import DeviceError

KEY_DOWN = 1
SHIFTS = {"KEY_LEFTSHIFT", "KEY_RIGHTSHIFT"}
PLAIN = {
    **{f"KEY_{c}": c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{f"KEY_{d}": d for d in "0123456789"},
    "KEY_MINUS": "-", "KEY_EQUAL": "=", "KEY_DOT": ".", "KEY_COMMA": ",", "KEY_SLASH": "/",
    "KEY_SEMICOLON": ";", "KEY_APOSTROPHE": "'", "KEY_SPACE": " ", "KEY_LEFTBRACE": "[",
    "KEY_RIGHTBRACE": "]", "KEY_BACKSLASH": "\\", "KEY_GRAVE": "`",
}
SHIFTED = {
    **{f"KEY_{c}": c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **dict(zip((f"KEY_{d}" for d in "1234567890"), "!@#$%^&*()", strict=True)),
    "KEY_MINUS": "_", "KEY_EQUAL": "+", "KEY_DOT": ">", "KEY_COMMA": "<", "KEY_SLASH": "?",
    "KEY_SEMICOLON": ":", "KEY_APOSTROPHE": '"', "KEY_SPACE": " ", "KEY_LEFTBRACE": "{",
    "KEY_RIGHTBRACE": "}", "KEY_BACKSLASH": "|", "KEY_GRAVE": "~",
}


def lines_from_keys(events: Iterable[tuple[str, int]]) -> Iterator[str]:
    """Typed lines from (key name, value) events: value 1 down, 0 up, 2 auto-repeat.

    Only key-downs type; Shift is tracked by its own downs and ups; Enter ends a line.
    Keys with no character (F1, Ctrl...) are skipped. A US keyboard layout is assumed.
    """
    shift = False
    typed: list[str] = []
    for key, value in events:
        if key in SHIFTS:
            shift = value != 0
        elif value == KEY_DOWN and key in ("KEY_ENTER", "KEY_KPENTER"):
            yield "".join(typed)
            typed = []
        elif value == KEY_DOWN:
            typed.append((SHIFTED if shift else PLAIN).get(key, ""))


class WedgeScanner:
    """Scans from an evdev input device such as /dev/input/by-id/...-event-kbd."""

    def __init__(self, path: str, kinds: dict[str, str] | None = None, grab: bool = True) -> None:
        try:
            import evdev  # optional extra: imported only when a wedge is opened
        except ImportError:
            raise DeviceError(
                "keyboard-wedge scanners need the evdev package: "
                "pip install 'dismantle-ledger[evdev]'"
            ) from None
        try:
            self._device = evdev.InputDevice(path)
            if grab:
                self._device.grab()
        except OSError as exc:
            raise DeviceError(
                f"cannot open {path}: {exc}. Check the path under /dev/input/by-id/ and that "
                "this user is in the 'input' group"
            ) from None
        self._evdev = evdev
        self.kinds = kinds

    def scans(self) -> Iterator[Scan]:
        """Scans as they are typed, forever (until the device goes away: DeviceError)."""
        def keys() -> Iterator[tuple[str, int]]:
            for event in self._device.read_loop():
                if event.type == self._evdev.ecodes.EV_KEY:
                    name = self._evdev.ecodes.KEY.get(event.code, "")
                    yield (name if isinstance(name, str) else name[0]), event.value

        try:
            for line in lines_from_keys(keys()):
                if line:
                    yield classify(line, self.kinds)
        except OSError as exc:
            raise DeviceError(f"wedge scanner went away: {exc}") from None

    def close(self) -> None:
        self._device.close()
