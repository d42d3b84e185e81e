"""A file is validated in memory bounded by the block and chunk sizes, not by the file: the CSV
reader never reads far ahead of the batches it has handed over, however slowly they are checked
(pyarrow's own read-ahead is 32 blocks: 256 MiB of raw input at the default 8 MiB block, the
whole of a 200 MB file), and the uniqueness tracker, the one part that grows with the file,
needs little more than its 16 B per distinct value while it merges."""

import io
import time
import tracemalloc
from typing import BinaryIO, cast

import numpy as np

from mlops.data.csv_reader import READ_AHEAD_BLOCKS, CsvTable
from mlops.data.sources import open_file
from mlops.data.uniqueness import UniqueTracker

from .helpers import LIMIT, dataset, errors, run

BLOCK = 64 << 10
ROW = b"0123456789,abcdefghijklmnopqrstuvwxyz,0.5\n"  # every row the same length
ROWS = 64 * BLOCK // len(ROW)


class CountingStream(io.RawIOBase):
    """A source that counts the bytes it has served."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._data.readinto(buffer)
        self.served += n
        return n


def test_the_csv_reader_stays_a_few_blocks_ahead_of_a_slow_consumer() -> None:
    source = CountingStream(b"a,b,c\n" + ROW * ROWS)
    ahead = []
    rows = 0
    with open_file(cast(BinaryIO, source), limit=LIMIT) as opened:
        table = CsvTable(opened, block_bytes=BLOCK)
        for batch in table.batches([0, 1, 2]):
            rows += batch.num_rows
            time.sleep(0.01)  # a slow check: pyarrow's I/O thread has all the time it wants
            ahead.append(source.served - rows * len(ROW))
    assert rows == ROWS
    # the batch being handed over, the blocks allowed ahead, and what the sniffer peeked at
    assert max(ahead) <= (READ_AHEAD_BLOCKS + 2) * BLOCK


def test_the_bound_changes_nothing_in_the_report() -> None:
    schema = dataset(
        {"name": "a", "dtype": "integer", "unique": True},
        {"name": "b", "dtype": "string", "regex": "[a-z]+"},
        {"name": "c", "dtype": "float", "max": 0.4},
    )
    data = b"a,b,c\n" + b"".join(b"%d,abc,0.5\n" % i for i in range(40_000)) + b"7,abc,0.1\n"
    report = run(data, schema, block_bytes=4096, chunk_rows=1000)
    assert report.rows == 40_001
    found = errors(report)
    assert found[("c", "max")].rows == 40_000
    assert found[("a", "unique")].rows == 1


def test_the_uniqueness_tracker_agrees_with_a_set_over_many_merges() -> None:
    rng = np.random.default_rng(3)
    tracker = UniqueTracker()
    first_row: dict[int, int] = {}
    row = 0
    for size in rng.integers(1, 400, 300):
        keys = rng.integers(0, 20_000, size).astype(np.uint64)  # repeats within and across chunks
        rows = np.arange(row, row + size)
        repeated, first = tracker.duplicates(keys, rows)
        for key, at, was_repeated, was_first in zip(keys.tolist(), rows.tolist(), repeated, first, strict=True):
            assert was_repeated == (key in first_row)
            first_row.setdefault(key, at)
            assert was_first == first_row[key]
        row += size


def test_the_uniqueness_tracker_merges_in_little_more_than_it_keeps() -> None:
    """16 B per distinct value at rest; merging its sorted runs must not need a multiple of that
    (a stable sort of the concatenated runs peaked at ~54 B per value, ~3x the whole tracker)."""
    distinct, chunk = 2_000_000, 131_072
    keys = np.random.default_rng(5).permutation(distinct).astype(np.uint64)
    tracker = UniqueTracker()
    tracemalloc.start()
    try:
        for start in range(0, distinct, chunk):
            part = keys[start : start + chunk]
            tracker.duplicates(part, np.arange(start, start + part.size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 36 * distinct
