"""A minimal PNG decoder (8-bit RGB/RGBA, not interlaced: what Chromium's screenshots are), so
the browser test needs no imaging library."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}


def decode(data: bytes) -> npt.NDArray[np.uint8]:
    """The image as an array of shape (height, width, channels)."""
    assert data.startswith(SIGNATURE), "not a PNG file"
    pos, idat, header = len(SIGNATURE), b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None, "no IHDR chunk"
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in CHANNELS and interlace == 0, f"unsupported PNG {header}"
    bpp = CHANNELS[color]
    stride = width * bpp
    raw = zlib.decompress(idat)
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).astype(np.int64)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum per channel
            row = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:  # Up
            row = (line + previous) % 256
        else:
            row = _sequential(kind, line.tolist(), previous.tolist(), bpp)
        out[y] = row
        previous = row.astype(np.int64)
    return out.reshape(height, width, bpp)


def _sequential(kind: int, line: list[int], above: list[int], bpp: int) -> npt.NDArray[np.int64]:
    row = [0] * len(line)
    for i, x in enumerate(line):
        a = row[i - bpp] if i >= bpp else 0
        b = above[i]
        if kind == 3:  # Average
            row[i] = (x + (a + b) // 2) % 256
            continue
        c = above[i - bpp] if i >= bpp else 0  # Paeth
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        row[i] = (x + predictor) % 256
    return np.asarray(row, dtype=np.int64)
