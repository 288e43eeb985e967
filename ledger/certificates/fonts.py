"""The certificates' Chinese font, made small enough to embed quickly.

Noto Sans CJK SC (fonts-noto-cjk) is one face of a 19 MB collection of 65,535 glyphs, and its
Simplified Chinese glyphs sit at glyph ids 30,000-63,000. WeasyPrint embeds a subset that keeps
the glyph ids of the text (its PDF content streams address glyphs by id), so every PDF carried
an 800 KB font program (63,000 width entries, horizontal and vertical, and as many empty
glyphs) for the 300 glyphs a page uses, subset from the whole collection at every render:
about a third of a unit certificate's time went to subsetting and compressing it.

So once per process the regular and bold SC faces are cut down with HarfBuzz (the library
WeasyPrint itself subsets with) to the characters Chinese and English certificates are
written in (GB 2312, which holds the 6,763 common hanzi, with Latin and punctuation; about
14,000 glyphs with the forms the font's layout tables reach) and without the vertical-writing
tables ("... Core"); the evidence's monospaced columns likewise from Noto Sans Mono CJK SC,
cut to Latin. WeasyPrint still subsets each face a page uses at every render, at a cost that
grows with the face: so the first font of the stylesheets is a face cut to the characters of
the certificates' own words ("... Words": their templates, the catalogue's and the rules'
names and messages, some 400 characters) with Latin, and the Core face comes second, for
what a plant wrote itself (a note, a reason in Chinese). The glyphs, their metrics and their
shaping are the font's own, so the page is laid out exactly as with the whole font; a
character outside GB 2312 (a rare hanzi in a plant's name) falls back to the whole Noto Sans
CJK SC by the usual font fallback. Without HarfBuzz's subsetter or the font, no @font-face is
offered and the whole font is used.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Face:
    """A cut-down face: `family` at `weight`, made from the system's `source` family."""

    family: str
    weight: int  # CSS font-weight
    source: str  # the fontconfig family it is cut from
    style: str  # its fontconfig weight name
    text: str  # "all": GB 2312 and RANGES; "latin": RANGES[:2], what the evidence prints;
    # "words": RANGES[:2] and the characters of the certificates' own words


SANS, MONO = "Noto Sans CJK SC", "Noto Sans Mono CJK SC"
FACES = (Face(f"{SANS} Words", 400, SANS, "regular", "words"),
         Face(f"{SANS} Words", 700, SANS, "bold", "words"),
         Face(f"{SANS} Core", 400, SANS, "regular", "all"),
         Face(f"{SANS} Core", 700, SANS, "bold", "all"),
         Face(f"{MONO} Core", 400, MONO, "regular", "latin"))
DROPPED_TABLES = (b"vhea", b"vmtx", b"VORG")  # vertical writing: certificates run across
# Latin, Latin-1, Latin Extended-A, general punctuation to dingbats, CJK symbols, full width.
RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x27BF), (0x3000, 0x303F), (0xFF00, 0xFFEF))


def stylesheet(words: str) -> str:
    """The CSS that sets every certificate's fonts, `words` being the characters of the
    certificates' own words: the cut-down faces (their @font-face rules, when they can be
    made here), then the whole faces; `pre` is monospaced (the evidence's columns of indexes,
    types and hashes), but for its `.sans` spans (Chinese words: a hanzi of the sans face is
    exactly two monospaced columns wide)."""
    faces = "".join(
        f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
        f'src: url("{path.as_uri()}"); }}\n' for face, path in _core_files(words).items())
    sans = f'"{SANS} Words", "{SANS} Core", "{SANS}", sans-serif'
    return (f'{faces}html {{ font-family: {sans}; }}\n'
            f'pre {{ font-family: "{MONO} Core", "{MONO}", monospace; }}\n'
            f'pre .sans {{ font-family: {sans}; }}\n')


@cache
def _core_files(words: str) -> dict[Face, Path]:
    """Each face's subset font file in this process (made on first use, removed at exit)."""
    hb = _harfbuzz()
    if hb is None:
        return {}
    sources = {face: _system_face(face.source, face.style) for face in FACES}
    if not all(sources.values()):
        return {}
    folder = Path(tempfile.mkdtemp(prefix="dledger-fonts-"))
    _remove_at_exit(folder)
    files = {}
    for face, found in sources.items():
        assert found is not None
        data = hb.subset(*found, _codepoints(face.text, words))
        if data is None:
            return {}
        files[face] = folder / f"{face.family}-{face.weight}.otf".replace(" ", "-").lower()
        files[face].write_bytes(data)
    return files


def _remove_at_exit(folder: Path) -> None:
    import atexit

    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _system_face(family: str, weight: str) -> tuple[Path, int] | None:
    """The file and collection index of `family` at `weight`, as fontconfig finds it (the
    face WeasyPrint would use), or None if fontconfig offers another family."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    found = subprocess.run(
        [fc_match, "--format=%{family}\t%{file}\t%{index}", f"{family}:weight={weight}"],
        capture_output=True, text=True, check=False).stdout
    families, _, rest = found.partition("\t")
    file, _, index = rest.partition("\t")
    if family not in families.split(",") or not index.isdigit():
        return None
    return Path(file), int(index)


@cache
def _codepoints(text: str, words: str) -> tuple[int, ...]:
    """The characters a face keeps: "latin", Latin and Latin-1; "words", those and `words`;
    "all", GB 2312's characters (decoded from every two-byte code) and `RANGES`."""
    ranges = RANGES if text == "all" else RANGES[:2]
    found = {code for low, high in ranges for code in range(low, high + 1)}
    if text == "words":
        found.update(map(ord, words))
    if text != "all":
        return tuple(sorted(found))
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return tuple(sorted(found))


class _HarfBuzz:
    """The few calls of HarfBuzz's C API (libharfbuzz, libharfbuzz-subset) a subset needs."""

    # Set from the libraries in __init__ (ctypes functions, typed by their argtypes there).
    hb_blob_create_from_file_or_fail: Callable[..., Any]
    hb_face_create: Callable[..., Any]
    hb_face_reference_blob: Callable[..., Any]
    hb_blob_get_data: Callable[..., Any]
    hb_blob_destroy: Callable[..., Any]
    hb_face_destroy: Callable[..., Any]
    hb_set_add: Callable[..., Any]
    hb_tag_from_string: Callable[..., Any]
    hb_subset_input_create_or_fail: Callable[..., Any]
    hb_subset_input_destroy: Callable[..., Any]
    hb_subset_input_unicode_set: Callable[..., Any]
    hb_subset_input_set: Callable[..., Any]
    hb_subset_or_fail: Callable[..., Any]

    def __init__(self, hb: ctypes.CDLL, subset: ctypes.CDLL):
        p, u32 = ctypes.c_void_p, ctypes.c_uint32
        for lib, name, restype, argtypes in (
                (hb, "hb_blob_create_from_file_or_fail", p, [ctypes.c_char_p]),
                (hb, "hb_face_create", p, [p, ctypes.c_uint]),
                (hb, "hb_face_reference_blob", p, [p]),
                (hb, "hb_blob_get_data", ctypes.POINTER(ctypes.c_char),
                 [p, ctypes.POINTER(ctypes.c_uint)]),
                (hb, "hb_blob_destroy", None, [p]),
                (hb, "hb_face_destroy", None, [p]),
                (hb, "hb_set_add", None, [p, u32]),
                (hb, "hb_tag_from_string", u32, [ctypes.c_char_p, ctypes.c_int]),
                (subset, "hb_subset_input_create_or_fail", p, []),
                (subset, "hb_subset_input_destroy", None, [p]),
                (subset, "hb_subset_input_unicode_set", p, [p]),
                (subset, "hb_subset_input_set", p, [p, ctypes.c_int]),
                (subset, "hb_subset_or_fail", p, [p, p])):
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
            setattr(self, name, function)

    def subset(self, path: Path, index: int, codepoints: tuple[int, ...]) -> bytes | None:
        """The face `index` of font file `path` cut to `codepoints`, as an OpenType file."""
        blob = self.hb_blob_create_from_file_or_fail(str(path).encode())
        if not blob:
            return None
        face = self.hb_face_create(blob, index)
        request = self.hb_subset_input_create_or_fail()
        try:
            unicodes = self.hb_subset_input_unicode_set(request)
            for code in codepoints:
                self.hb_set_add(unicodes, code)
            dropped = self.hb_subset_input_set(request, DROP_TABLE_TAG)
            for tag in DROPPED_TABLES:
                self.hb_set_add(dropped, self.hb_tag_from_string(tag, -1))
            result = self.hb_subset_or_fail(face, request)
            if not result:
                return None
            out = self.hb_face_reference_blob(result)
            length = ctypes.c_uint()
            data = ctypes.string_at(self.hb_blob_get_data(out, ctypes.byref(length)),
                                    length.value)
            self.hb_blob_destroy(out)
            self.hb_face_destroy(result)
            return data or None
        finally:
            self.hb_subset_input_destroy(request)
            self.hb_face_destroy(face)
            self.hb_blob_destroy(blob)


DROP_TABLE_TAG = 3  # hb_subset_sets_t HB_SUBSET_SETS_DROP_TABLE_TAG


def _harfbuzz() -> _HarfBuzz | None:
    try:
        return _HarfBuzz(ctypes.CDLL("libharfbuzz.so.0"), ctypes.CDLL("libharfbuzz-subset.so.0"))
    except (OSError, AttributeError):  # not installed, or older than the calls above
        return None
