"""Zero-copy looks at the bytes of a string or binary Arrow array, for the checks that are one
cheap pass over the bytes instead of a kernel call per value."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

BoolArray = npt.NDArray[np.bool_]
Offsets = npt.NDArray[np.int64]


def offsets(values: pa.Array) -> Offsets:
    """The `len(values) + 1` value offsets into `data(values)` (of the array's slice)."""
    large = pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type)
    buffer = values.buffers()[1]
    if buffer is None:
        return np.zeros(len(values) + 1, dtype=np.int64)
    raw = np.frombuffer(buffer, dtype=np.int64 if large else np.int32)
    return raw[values.offset : values.offset + len(values) + 1].astype(np.int64)


def data(values: pa.Array) -> npt.NDArray[np.uint8]:
    """The whole data buffer (index it with `offsets`)."""
    buffer = values.buffers()[2]
    return np.frombuffer(buffer, dtype=np.uint8) if buffer is not None else np.zeros(0, dtype=np.uint8)


def is_ascii(values: pa.Array) -> bool:
    """Whether every byte of every value is below 0x80 (so the values are valid UTF-8)."""
    bounds = offsets(values)
    text = data(values)[bounds[0] : bounds[-1]]
    return text.size == 0 or int(text.max()) < 0x80


def byte_set(characters: str) -> BoolArray:
    """A 256-entry table: True for the (ASCII) bytes of `characters`."""
    table = np.zeros(256, dtype=np.bool_)
    table[np.frombuffer(characters.encode("ascii"), dtype=np.uint8)] = True
    return table


def only_bytes_in(values: pa.Array, allowed: BoolArray) -> BoolArray:
    """Per value: whether all its bytes are in the table `allowed` (True for empty values). One
    table look-up per byte; the values holding other bytes are found from where those are."""
    bounds = offsets(values)
    text = data(values)[bounds[0] : bounds[-1]]
    outside = np.flatnonzero(~allowed[text]) + bounds[0]
    result = np.ones(len(values), dtype=np.bool_)
    if outside.size:
        result[np.searchsorted(bounds, outside, side="right") - 1] = False
    return result
