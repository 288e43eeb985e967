"""Entry bundles (ledger/certificates/bundle.py): written and read back across chunk bounds
with the compression and the reading on threads, their SHA-256, and damaged bundles named."""

from __future__ import annotations

import gzip
import hashlib
import io
import threading

import pytest

from ledger.certificates import bundle


def entries(count: int) -> list[bytes]:
    """Entries of varied length, so that some straddle the reader's chunks."""
    return [(b'{"index":%d,"pad":"' % i) + b"x" * (i * 37 % 3000) + b'"}' for i in range(count)]


def written(bodies: list[bytes]) -> tuple[bytes, str]:
    out = io.BytesIO()
    writer = bundle.Writer(out)
    for index, body in enumerate(bodies):
        writer.add(index, body)
    digest = writer.close()
    return out.getvalue(), digest


def test_a_bundle_of_several_chunks_reads_back_whole_with_its_digest() -> None:
    bodies = entries(3000)  # about 4.5 MB: several chunks written and read
    data, digest = written(bodies)
    raw = gzip.decompress(data)
    assert len(raw) > 4 * bundle.CHUNK
    assert digest == hashlib.sha256(raw).hexdigest()
    reader = bundle.Reader(io.BytesIO(data))
    assert list(reader) == bodies
    assert reader.sha256 == digest


def test_a_bundle_cut_short_is_named_by_the_entry_it_ends_in() -> None:
    raw = gzip.decompress(written(entries(10))[0])
    with pytest.raises(bundle.BundleError, match="ends inside entry 9 of the bundle"):
        list(bundle.Reader(io.BytesIO(gzip.compress(raw[:-5]))))


def test_bytes_that_are_not_gzip_are_refused() -> None:
    with pytest.raises(bundle.BundleError, match="not a readable gzip stream after 0 entries"):
        list(bundle.Reader(io.BytesIO(b"not a bundle at all")))


def test_a_reader_left_early_leaves_no_thread_behind() -> None:
    reader = iter(bundle.Reader(io.BytesIO(written(entries(3000))[0])))
    next(reader)
    reader.close()  # type: ignore[attr-defined]
    assert not [t for t in threading.enumerate() if t.name.startswith("bundle")]
