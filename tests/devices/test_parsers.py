"""Each protocol's parser against frames written from the reference, not from our simulator."""

from __future__ import annotations

import pytest

from devices.protocols import PROTOCOLS
from devices.protocols.base import Weight
from devices.protocols.toledo import ToledoContinuous, checksum
from devices.reading import (
    CommandError,
    FrameError,
    NotStableError,
    OutOfRangeError,
    OverloadError,
    UnderloadError,
)

mtsics = PROTOCOLS["mtsics"]
toledo = PROTOCOLS["toledo"]
sma = PROTOCOLS["sma"]
aandd = PROTOCOLS["aandd"]
p8217 = PROTOCOLS["8217"]
sbi = PROTOCOLS["sbi"]


@pytest.mark.parametrize(
    ("protocol", "frame", "weight"),
    [
        (mtsics, b"S S      100.00 g\r\n", Weight("100.00", "g", True)),
        (mtsics, b"S D      114.87 kg\r\n", Weight("114.87", "kg", False)),
        (mtsics, b"S S     -0.020 kg\r\n", Weight("-0.020", "kg", True)),
        (toledo, b"\x02,0 001234000000\r+", Weight("0012.34", "kg", True)),
        (toledo, b"\x02,8 001234000000\r#", Weight("0012.34", "kg", False)),
        (toledo, b"junk\x02,0 001234000000\r+", Weight("0012.34", "kg", True)),
        (sma, b"\n 1G      12.345kg \r", Weight("12.345", "kg", True)),
        (sma, b"\nZ1G       0.000kg \r", Weight("0.000", "kg", True)),
        (sma, b"\n 1NM      -1.20lb \r", Weight("-1.20", "lb", False)),
        (aandd, b"ST,+00123.45  g\r\n", Weight("00123.45", "g", True)),
        (aandd, b"US,-0012.345 kg\r\n", Weight("-0012.345", "kg", False)),
        (aandd, b"QT,+000010 PC\r\n", Weight("000010", "PC", True)),
        (p8217, b"\x02001.234\r", Weight("001.234", None, True)),
        (sbi, b"+    123.56 g  \r\n", Weight("123.56", "g", True)),
        (sbi, b"-     12.5     \r\n", Weight("-12.5", None, False)),
        (sbi, b"N     +   12.345 kg \r\n", Weight("12.345", "kg", True)),
    ],
)
def test_weight_frames(protocol, frame: bytes, weight: Weight):
    assert protocol.parse(frame) == weight


def test_toledo_checksum_matches_reference_example():
    assert checksum(b"\x02,0 001234000000\r") == ord("+")


@pytest.mark.parametrize(
    ("frame", "value"),
    [
        (b"\x02\x20\x30\x20001234000000\r", "00123400"),  # code 0: XXXX00
        (b"\x02\x21\x30\x20001234000000\r", "0012340"),  # code 1: XXXXX0
        (b"\x02\x22\x30\x20001234000000\r", "001234"),
        (b"\x02\x23\x30\x20001234000000\r", "00123.4"),
        (b"\x02\x25\x30\x20001234000000\r", "001.234"),
    ],
)
def test_toledo_decimal_point_codes(frame: bytes, value: str):
    assert toledo.parse(frame + bytes([checksum(frame)])).value == value


def test_toledo_units_and_sign():
    gram = b"\x02\x22\x30\x21000500000000\r"  # SWC unit 1 = g
    assert toledo.parse(gram + bytes([checksum(gram)])).unit == "g"
    pounds_negative = b"\x02\x24\x22\x20000150000000\r"  # SWB: negative, lb
    weight = toledo.parse(pounds_negative + bytes([checksum(pounds_negative)]))
    assert (weight.value, weight.unit) == ("-0001.50", "lb")


def test_toledo_without_checksum():
    assert ToledoContinuous(with_checksum=False).parse(b"\x02,0 001234000000\r").value == "0012.34"


@pytest.mark.parametrize(
    ("protocol", "frame", "error"),
    [
        (mtsics, b"S +\r\n", OverloadError),
        (mtsics, b"S -\r\n", UnderloadError),
        (mtsics, b"S I\r\n", NotStableError),
        (mtsics, b"ES\r\n", CommandError),
        (mtsics, b"ET\r\n", CommandError),
        (mtsics, b"EL\r\n", CommandError),
        (mtsics, b"S S 12.3\r\n", FrameError),
        (mtsics, b"S S   1S S   12.345 kg\r\n", FrameError),  # truncated + whole
        (mtsics, b"S S 12.3 kg", FrameError),
        (toledo, b"\x02,0 001234000000\r*", FrameError),  # bad checksum
        (toledo, b",0 001234000000\r+", FrameError),  # no STX
        (toledo, b"\x02,4 999999000000\r" + bytes([checksum(b"\x02,4 999999000000\r")]),
         OverloadError),
        (toledo, b"\x02,6 000000000000\r" + bytes([checksum(b"\x02,6 000000000000\r")]),
         UnderloadError),
        (sma, b"\nO1G  ----------kg \r", OverloadError),
        (sma, b"\nU1G  ----------kg \r", UnderloadError),
        (sma, b"\n?\r", CommandError),
        (sma, b"\n!\r", FrameError),
        (sma, b"\n 1G      12.345kg\r", FrameError),
        (aandd, b"OL,+9999999 kg\r\n", OverloadError),
        (aandd, b"OL,-9999999 kg\r\n", UnderloadError),
        (aandd, b"EC,E1\r\n", CommandError),
        (aandd, b"XX,+0012.345 kg\r\n", FrameError),
        (p8217, b"\x02?\x41\r", NotStableError),
        (p8217, b"\x02?\x42\r", OverloadError),
        (p8217, b"\x02?\x44\r", UnderloadError),
        (p8217, b"\x02?\x48\r", OutOfRangeError),
        (p8217, b"001.234\r", FrameError),
        (sbi, b"     High      \r\n"[1:], OverloadError),
        (sbi, b"    Stat L     \r\n"[1:], UnderloadError),
        (sbi, b"+ 12.3 g\r\n", FrameError),
    ],
)
def test_status_and_broken_frames(protocol, frame: bytes, error: type[Exception]):
    with pytest.raises(error):
        protocol.parse(frame)


@pytest.mark.parametrize(
    ("command", "frame", "reply"),
    [
        (mtsics.zero, b"Z A\r\n", ""),
        (mtsics.tare, b"T S      0.500 kg\r\n", "0.500 kg"),
        (mtsics.reset, b'I4 A "B021002593"\r\n', "B021002593"),
        (mtsics.zero, b"S S     12.345 kg\r\n", None),  # a streamed weight, not the reply
        (sma.zero, b"\nZ1G       0.000kg \r", ""),
    ],
)
def test_acknowledgements(command: bytes, frame: bytes, reply: str | None):
    protocol = mtsics if command in (mtsics.zero, mtsics.tare, mtsics.reset) else sma
    assert protocol.reply_to(command, frame) == reply


@pytest.mark.parametrize(
    ("protocol", "command", "frame"),
    [
        (mtsics, mtsics.zero, b"Z I\r\n"),
        (mtsics, mtsics.zero, b"Z +\r\n"),
        (mtsics, mtsics.tare, b"T I\r\n"),
        (mtsics, mtsics.tare, b"ES\r\n"),
        (sma, sma.zero, b"\nE1G       1.000kg \r"),
        (sma, sma.tare, b"\nT1G       1.000kg \r"),
    ],
)
def test_refusals(protocol, command: bytes, frame: bytes):
    with pytest.raises(CommandError):
        protocol.reply_to(command, frame)
