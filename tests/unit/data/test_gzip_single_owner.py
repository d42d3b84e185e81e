"""The gzip stream has one reader at a time, so a file gets the same verdict on every run.

A compression bomb whose content is one giant line makes pyarrow give up on the line while
its read-ahead thread is still reading; the reader then drains the rest of the stream from
another thread. Before the stream had a single owner, those reads interleaved inside zlib and
the verdict flipped between `corrupt_gzip` and `decompression_limit` from run to run.
"""

import gzip
import io
import threading
import zlib

import pytest

from mlops.data import StructureCode
from mlops.data.sources import ConcurrentReadError, GzipReader

from .helpers import dataset, run

SCHEMA = dataset({"name": "a", "dtype": "integer"}, {"name": "b", "dtype": "string"})
LIMIT = 6 << 20
BLOCK = 1 << 20
REPEATS = 12


def one_line_bomb(content_bytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(b"a,b\n1,")
    body = b"".join(compressor.compress(b"0" * (1 << 20)) for _ in range(content_bytes >> 20))
    return head + body + compressor.flush()


def test_the_one_line_bomb_is_a_decompression_limit_on_every_run() -> None:
    bomb = one_line_bomb(4 * LIMIT)
    reports = [run(bomb, SCHEMA, max_uncompressed_bytes=LIMIT, block_bytes=BLOCK) for _ in range(REPEATS)]
    checks = {tuple(e.check for e in r.errors) for r in reports}
    assert checks == {(f"structure.{StructureCode.DECOMPRESSION_LIMIT}",)}
    assert len({r.model_dump_json() for r in reports}) == 1


def test_a_large_valid_gzip_file_gives_the_same_report_on_every_run() -> None:
    rows = b"".join(b"%d,text number %d\n" % (i, i) for i in range(300_000))
    data = gzip.compress(b"a,b\n" + rows, compresslevel=1)
    reports = [run(data, SCHEMA, block_bytes=BLOCK, file_name="t.csv.gz") for _ in range(REPEATS // 2)]
    assert reports[0].verdict == "accepted" and reports[0].rows == 300_000, reports[0].errors
    assert len({r.model_dump_json() for r in reports}) == 1


class _BlockingRaw(io.RawIOBase):
    """Compressed bytes whose first read waits until released, to hold a read open."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.entered = threading.Event()
        self.release = threading.Event()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1, /) -> bytes:
        self.entered.set()
        self.release.wait(timeout=10)
        return self._data.read(n)


def test_a_second_concurrent_read_is_refused_not_interleaved() -> None:
    raw = _BlockingRaw(gzip.compress(b"a,b\n1,x\n"))
    reader = GzipReader(raw, limit=1 << 20)
    got: list[bytes] = []
    first = threading.Thread(target=lambda: got.append(reader.read(4)))
    first.start()
    assert raw.entered.wait(timeout=10)
    try:
        with pytest.raises(ConcurrentReadError):
            reader.read(4)
    finally:
        raw.release.set()
        first.join(timeout=10)
    assert got == [b"a,b\n"] and reader.read() == b"1,x\n"  # the owner's stream was not disturbed
