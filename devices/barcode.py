"""What a scanned code is: AIM symbology identifier, GS1 content (via biip), plant labels.

The station routes a scan by its `kind`. Kinds are decided by a table of patterns (data,
not branches) tried in order; GS1 content is recognised by `biip` with check digits
verified; anything else is "unknown".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import biip

from devices.reading import DeviceError

UNIT_LABEL = r"CN\d{4}-(?P<year>\d{4})-\d{7}"

# kind -> pattern the whole scan must match. The unit-label pattern is replaceable.
LABEL_KINDS: dict[str, str] = {
    "unit": UNIT_LABEL,
    "lot": r"LOT-[A-Z0-9][A-Z0-9-]*",
    "cylinder": r"CYL-\d{1,8}",
    "badge": r"W-\d{4}",
}



def label_kinds(unit_label: str = UNIT_LABEL) -> dict[str, str]:
    """The label table with the plant's own unit-label pattern (a regex) in place."""
    re.compile(unit_label)  # a bad pattern fails here, at configuration time
    return {**LABEL_KINDS, "unit": unit_label}


AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
GS1_AIM = {"]C1", "]d2", "]Q3", "]e0", "]E0", "]E1", "]E2", "]E3", "]E4", "]J1"}


class LabelError(DeviceError):
    """A scan is not the label the station asked for."""


@dataclass(frozen=True)
class Scan:
    """One decoded scan: the text without AIM prefix or suffix, and what it is."""

    text: str
    kind: str
    symbology: str = ""
    gs1: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""

    def as_json(self) -> dict[str, object]:
        return {"text": self.text, "kind": self.kind, "symbology": self.symbology,
                "gs1": self.gs1, "raw": self.raw.decode("latin-1")}


def split_aim(data: str) -> tuple[str, str]:
    """(`]Xm` symbology identifier or "", the rest)."""
    if AIM.match(data):
        return data[:3], data[3:]
    return "", data


def gs1_fields(text: str, symbology: str = "") -> dict[str, str]:
    """GTIN, SSCC, serial, batch (and the Digital Link URI) from GS1 content, or {}.

    Only content with a valid check digit counts: `biip` verifies GTIN and SSCC. A bare
    string of digits is GS1 only as a GTIN or SSCC; element strings need a GS1 symbology
    identifier, since almost any digits parse as some application identifier.
    """
    try:
        result = biip.parse(symbology + text)
    except (biip.ParseError, IndexError, ValueError):
        return {}  # not GS1; biip 5.2 also raises IndexError (on "]" alone) and ValueError
    fields: dict[str, str] = {}
    if result.gtin is not None:
        fields["gtin"] = result.gtin.value
    if result.sscc is not None:
        fields["sscc"] = result.sscc.value
    message = result.gs1_message if symbology in GS1_AIM else None
    link = result.gs1_digital_link_uri
    elements = (message.element_strings if message else []) + (
        link.element_strings if link else []
    )
    for element in elements:
        if element.gtin_error or element.sscc_error:
            return {}
        if element.ai.ai == "01" and element.gtin is not None:
            fields["gtin"] = element.gtin.value
        elif element.ai.ai == "00" and element.sscc is not None:
            fields["sscc"] = element.sscc.value
        elif element.ai.ai == "21":
            fields["serial"] = element.value
        elif element.ai.ai == "10":
            fields["batch"] = element.value
    if link is not None:
        fields["digital_link"] = link.value
    return fields


def classify(data: str, kinds: dict[str, str] | None = None, raw: bytes = b"") -> Scan:
    """Decode one scan (AIM prefix included, suffix removed) into a `Scan`.

    `kinds` replaces LABEL_KINDS, e.g. `label_kinds(unit_label=r"CN\\d{4}-\\d{4}-\\d{6}")`.
    """
    symbology, text = split_aim(data)
    for kind, pattern in (kinds or LABEL_KINDS).items():
        if re.fullmatch(pattern, text):
            return Scan(text=text, kind=kind, symbology=symbology, raw=raw)
    fields = gs1_fields(text, symbology)
    if fields:
        return Scan(text=text, kind="gs1", symbology=symbology, gs1=fields, raw=raw)
    return Scan(text=text, kind="unknown", symbology=symbology, raw=raw)


def expect(scan: Scan, kind: str, kinds: dict[str, str] | None = None) -> Scan:
    """`scan` if it is of `kind`; else LabelError naming the format that was expected."""
    if scan.kind != kind:
        pattern = (kinds or LABEL_KINDS).get(kind, "GS1 content" if kind == "gs1" else kind)
        raise LabelError(
            f"scanned {scan.text!r}, which is {scan.kind!r}, not a {kind} label "
            f"(expected {pattern}): scan the {kind} label"
        )
    return scan
