"""Uniqueness across a whole file in bounded memory: 8 bytes per distinct value seen.

Every value is reduced to a 64-bit key: numbers, booleans and datetimes exactly (their bits),
text through a vectorised multilinear hash. Keys already seen are kept in one sorted array;
each chunk is checked against it with a binary search and merged into it (a merge of two
sorted runs). A row fails `unique` when its value appeared in any earlier row.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

KeyArray = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]

_TABLE_BITS = 12
_SLICE_BYTES = 1 << 20
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: KeyArray) -> KeyArray:
    """splitmix64's finaliser: every input bit affects every output bit."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * _M1
        x = x ^ (x >> np.uint64(27))
        x = x * _M2
        return x ^ (x >> np.uint64(31))


# one odd multiplier per byte position (mod 4096); the block number scales it for longer text
_MULTIPLIERS: KeyArray = _mix(np.arange(1, (1 << _TABLE_BITS) + 1, dtype=np.uint64) * _GOLDEN) | np.uint64(1)


def text_keys(values: pa.Array) -> KeyArray:
    """A 64-bit hash per value of a string array (nulls hash like the empty string)."""
    keys = np.empty(len(values), dtype=np.uint64)
    start = 0
    offsets_all = _offsets(values)
    while start < len(values):
        # bound temporaries: about 40 bytes per text byte in one slice
        stop = int(np.searchsorted(offsets_all, offsets_all[start] + _SLICE_BYTES, side="right")) - 1
        stop = min(max(stop, start + 1), len(values))
        keys[start:stop] = _hash_slice(values, offsets_all, start, stop)
        start = stop
    return keys


def _offsets(values: pa.Array) -> npt.NDArray[np.int64]:
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    buffer = values.buffers()[1]
    raw = np.frombuffer(buffer, dtype=width) if buffer is not None else np.zeros(1, dtype=width)
    return raw[values.offset : values.offset + len(values) + 1].astype(np.int64)


def _hash_slice(values: pa.Array, offsets: npt.NDArray[np.int64], start: int, stop: int) -> KeyArray:
    data_buffer = values.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    bounds = offsets[start : stop + 1]
    relative = bounds - bounds[0]
    lengths = np.diff(relative)
    text = data[bounds[0] : bounds[-1]]
    position = (np.arange(text.size, dtype=np.int64) - np.repeat(relative[:-1], lengths)).astype(np.uint64)
    with np.errstate(over="ignore"):
        weight = _MULTIPLIERS[position & np.uint64((1 << _TABLE_BITS) - 1)]
        weight = weight * ((position >> np.uint64(_TABLE_BITS)) * np.uint64(2) + np.uint64(1))
        terms = (text.astype(np.uint64) + np.uint64(1)) * weight
        running = np.concatenate([np.zeros(1, dtype=np.uint64), np.cumsum(terms, dtype=np.uint64)])
        sums = running[relative[1:]] - running[relative[:-1]]
        return _mix(sums ^ (lengths.astype(np.uint64) * _GOLDEN))


def number_keys(values: npt.NDArray[np.float64] | npt.NDArray[np.int64]) -> KeyArray:
    """Exact keys: float -0.0 and 0.0 are one value."""
    if values.dtype == np.float64:
        return (values + 0.0).view(np.uint64)
    return values.astype(np.int64, copy=False).view(np.uint64)


class UniqueTracker:
    """Keys seen so far, as sorted runs merged like a log-structured merge tree: a key is merged
    O(log n) times over the whole file, and each lookup binary-searches O(log n) runs."""

    def __init__(self) -> None:
        self._runs: list[KeyArray] = []

    def _known(self, ordered: KeyArray) -> BoolArray:
        known = np.zeros(ordered.size, dtype=np.bool_)
        for run in self._runs:
            at = np.minimum(np.searchsorted(run, ordered), run.size - 1)
            known |= run[at] == ordered
        return known

    def _remember(self, ordered: KeyArray) -> None:
        run = ordered
        while self._runs and self._runs[-1].size <= 2 * run.size:
            # two sorted runs: the stable sort merges them in linear time
            run = np.sort(np.concatenate([self._runs.pop(), run]), kind="stable")
        self._runs.append(run)

    def duplicates(self, keys: KeyArray) -> BoolArray:
        """Which of `keys` (in row order) repeat a key of an earlier row; then remember them."""
        if keys.size == 0:
            return np.zeros(0, dtype=np.bool_)
        order = np.argsort(keys)
        ordered = keys[order]
        starts_group = np.ones(keys.size, dtype=np.bool_)
        starts_group[1:] = ordered[1:] != ordered[:-1]
        group = np.cumsum(starts_group) - 1
        starts = np.flatnonzero(starts_group)
        first_row = np.minimum.reduceat(order, starts)
        distinct = ordered[starts]
        known = self._known(distinct)
        duplicate = np.empty(keys.size, dtype=np.bool_)
        duplicate[order] = (order != first_row[group]) | known[group]
        fresh = distinct[~known]
        if fresh.size:
            self._remember(fresh)
        return duplicate
