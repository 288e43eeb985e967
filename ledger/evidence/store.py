"""A content-addressed evidence store: a folder (the instance's `evidence/`, or wherever
dledger.toml's `evidence_dir` puts it, e.g. the plant's NAS) holding each photo once, under
the SHA-256 its signed event names: `ab/cd/<sha256>.<ext>`.

Files are written atomically (a temporary file in the same folder, then renamed) and never
overwritten or deleted: the event's hash is what vouches for a file, so the store only adds.
`check` reads each file named by references back and reports, by its path, one that is
missing or whose bytes no longer hash to its name (changed behind the store's back).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ledger.rules.codes import PHOTO_EXTENSIONS

MAX_PHOTO_BYTES = 8 * 1024 * 1024  # a still of a bench, JPEG or PNG
_SHA = re.compile(r"[0-9a-f]{64}")
# What the bytes of each media type begin with: a file is stored only as what it is.
_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


class EvidenceError(ValueError):
    """A file cannot be stored (too large, not the type it claims, a bad hash)."""


@dataclass(frozen=True)
class Problem:
    """A referenced file that does not hold what its reference says: `missing` or
    `altered` (its bytes hash to `actual`)."""

    sha256: str
    path: Path
    kind: str
    actual: str | None = None

    def text(self) -> str:
        if self.kind == "missing":
            return f"{self.path}: missing (the evidence of sha256 {self.sha256} is not there)"
        return (f"{self.path}: altered (its bytes hash to {self.actual}, not to the "
                f"{self.sha256} the signed event names)")


class EvidenceStore:
    """The store at `root` (made on the first write)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str, media_type: str) -> Path:
        """Where the file of `sha256` is: ab/cd/<sha256>.<ext>."""
        if not _SHA.fullmatch(sha256):
            raise EvidenceError(f"{sha256!r} is not a SHA-256 in lower-case hex")
        try:
            extension = PHOTO_EXTENSIONS[media_type]
        except KeyError:
            raise EvidenceError(f"media type {media_type!r}: the store keeps "
                                f"{', '.join(PHOTO_EXTENSIONS)}") from None
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.{extension}"

    def put(self, content: bytes, media_type: str) -> str:
        """Store `content` (a photo of `media_type`) and return its SHA-256. A file already
        there with the same hash is left as it is (the same bytes), never overwritten."""
        if len(content) > MAX_PHOTO_BYTES:
            raise EvidenceError(f"the photo is {len(content):,} bytes; the store takes at most "
                                f"{MAX_PHOTO_BYTES:,}: take it at a lower resolution")
        if media_type not in _MAGIC:
            raise EvidenceError(f"media type {media_type!r}: the store keeps "
                                f"{', '.join(_MAGIC)}")
        if not content.startswith(_MAGIC[media_type]):
            raise EvidenceError(f"the bytes are not a {media_type} file (they do not begin as "
                                "one): send the photo as the type it is")
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest, media_type)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        # a rename is atomic on a local disk and on a NAS share alike; two writers racing to
        # store one photo rename the same bytes
        os.replace(temporary, target)
        return digest

    def read(self, sha256: str, media_type: str) -> bytes:
        """The file's bytes, checked against its hash; EvidenceError naming the file if it
        is missing or altered."""
        problem, content = self._check_one(sha256, media_type)
        if problem is not None:
            raise EvidenceError(problem.text())
        assert content is not None
        return content

    def check(self, references: Iterable[tuple[str, str]]) -> list[Problem]:
        """Each (sha256, media type) whose file is missing or altered, once, in order."""
        problems, seen = [], set()
        for sha256, media_type in references:
            if (sha256, media_type) in seen:
                continue
            seen.add((sha256, media_type))
            problem, _ = self._check_one(sha256, media_type)
            if problem is not None:
                problems.append(problem)
        return problems

    def _check_one(self, sha256: str, media_type: str) -> tuple[Problem | None, bytes | None]:
        path = self.path(sha256, media_type)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return Problem(sha256, path, "missing"), None
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            return Problem(sha256, path, "altered", actual), None
        return None, content
