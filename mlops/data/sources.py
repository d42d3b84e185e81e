"""Opening a file for validation: gzip with a hard output bound, and sniffing what it is.

The content decides the format, not the file name: gzip is recognised by its magic bytes and
unwrapped with at most `max_uncompressed_bytes` of output (a compression bomb is cut off
there, never inflated further), Parquet by its `PAR1` magic, and well-known binary formats
are turned away as `not_tabular` before any parser sees them.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

import numpy as np

from mlops.data.errors import DataStructureError, StructureCode

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 64 * 1024
_RAW_READ = 1 << 16

# Signatures of common non-tabular files, checked after decompression.
_BINARY_SIGNATURES: dict[bytes, str] = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Excel/Office file)",
    b"BZh": "a bzip2 stream",
    b"\xfd7zXZ\x00": "an xz stream",
    b"(\xb5/\xfd": "a zstd stream",
    b"7z\xbc\xaf\x27\x1c": "a 7z archive",
    b"\x7fELF": "an executable",
    GZIP_MAGIC: "a gzip stream inside a gzip stream",
}


class ConcurrentReadError(RuntimeError):
    """A programming error: a single-owner stream was read from two threads at once."""


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class GzipReader:
    """Decompresses gzip (multi-member) from `raw`, raising once output exceeds `limit` bytes.

    Not thread-safe, and says so: a zlib stream fed from two threads at once hands out wrong
    bytes (or fails its checksum), so a second concurrent `read` raises instead of racing."""

    def __init__(self, raw: Readable, *, limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self._decoder = zlib.decompressobj(wbits=31)
        self._pending = b""
        self._between_members = False
        self._done = False
        self._in_use = threading.Lock()
        self.produced = 0

    def _fail(self, message: str) -> DataStructureError:
        return DataStructureError(StructureCode.CORRUPT_GZIP, message)

    def _next_input(self) -> bytes | None:
        """Compressed bytes to feed next; None at a clean end of the stream."""
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        data = self._raw.read(_RAW_READ)
        if data:
            return data
        if self._between_members:
            return None
        return b""  # end of input inside a member: drain what zlib holds, then judge

    def read(self, n: int = -1, /) -> bytes:
        if not self._in_use.acquire(blocking=False):
            raise ConcurrentReadError("two threads read one gzip stream at once; the stream needs a single owner")
        try:
            return self._read(n)
        finally:
            self._in_use.release()

    def _read(self, n: int) -> bytes:
        want = n if n >= 0 else 1 << 62
        out = bytearray()
        while len(out) < want and not self._done:
            data = self._next_input()
            if data is None:
                self._done = True
                break
            if self._between_members:
                if data.startswith(GZIP_MAGIC[: len(data)]) and len(data) < len(GZIP_MAGIC):
                    data += self._raw.read(len(GZIP_MAGIC) - len(data))
                if data.startswith(GZIP_MAGIC):
                    self._decoder = zlib.decompressobj(wbits=31)
                    self._between_members = False
                elif data.strip(b"\x00") == b"":
                    continue  # zero padding after the last member
                else:
                    raise self._fail("unexpected bytes after the end of the gzip stream")
            budget = min(want - len(out), self._limit + 1 - self.produced)
            try:
                if data:
                    chunk = self._decoder.decompress(data, budget)
                else:
                    # end of input inside a member: take what zlib still holds (at most one
                    # window); unless that completes the member, the stream was cut short
                    chunk = self._decoder.flush()
                    if not self._decoder.eof:
                        raise self._fail("the gzip stream is truncated")
            except zlib.error as exc:
                raise self._fail(f"the gzip stream is corrupt ({exc})") from exc
            self._pending = self._decoder.unconsumed_tail
            out += chunk
            self.produced += len(chunk)
            if self.produced > self._limit:
                raise DataStructureError(
                    StructureCode.DECOMPRESSION_LIMIT,
                    f"decompressed content exceeds the limit of {self._limit} bytes; stopped there",
                )
            if self._decoder.eof:
                self._pending = self._decoder.unused_data
                self._between_members = True
        return bytes(out)


class Peekable:
    """A forward-only stream with look-ahead."""

    def __init__(self, inner: Readable) -> None:
        self._inner = inner
        self._buffer = b""
        self._eof = False

    def peek(self, n: int) -> bytes:
        while len(self._buffer) < n and not self._eof:
            chunk = self._inner.read(max(n - len(self._buffer), _RAW_READ))
            if not chunk:
                self._eof = True
            self._buffer += chunk
        return self._buffer[:n]

    def read(self, n: int = -1, /) -> bytes:
        if self._buffer:
            if n < 0:
                data, self._buffer = self._buffer + self._inner.read(), b""
                return data
            data, self._buffer = self._buffer[:n], self._buffer[n:]
            return data
        return self._inner.read(n)

    def skip(self, n: int) -> None:
        self.peek(n)
        self._buffer = self._buffer[n:]


@dataclass
class OpenedFile:
    kind: Literal["csv", "parquet"]
    stream: Peekable
    compressed: bool
    #: reopens the content from its start for a second look (None for one-shot streams)
    reopen: Callable[[], contextlib.AbstractContextManager[Peekable]] | None
    #: something pyarrow.parquet can open with random access (parquet only)
    parquet_source: str | BinaryIO | None = None


def _sniff_content(head: bytes) -> None:
    if not head:
        raise DataStructureError(StructureCode.EMPTY_FILE, "the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataStructureError(StructureCode.UNDECODABLE, "the file is UTF-16; only UTF-8 is supported")
    for signature, what in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise DataStructureError(StructureCode.NOT_TABULAR, f"the file is {what}, not a table")
    if (at := head.find(b"\x00")) >= 0:
        line, row = locate_offset(head, at)
        where = "in the header (line 1)" if row == 0 else f"in row {row} (line {line})"
        raise DataStructureError(
            StructureCode.NOT_TABULAR,
            f"the file contains a NUL byte {where}: it is binary, not text",
            rows=[row],
            lines=[line],
            samples=[head[head.rfind(b"\n", 0, at) + 1 : at + 40].decode("utf-8", "replace")],
        )


def locate_offset(buffer: bytes, offset: int) -> tuple[int, int]:
    """(physical line, data row) of the byte at `offset` of a CSV's start: lines count every line
    break; rows count records (breaks outside double quotes), blank ones not, the header row 0."""
    data = np.frombuffer(buffer, dtype=np.uint8, count=offset)
    line = int(np.count_nonzero(data == ord("\n"))) + 1
    quoted = (np.cumsum(data == ord('"'), dtype=np.int64) & 1).astype(np.bool_)
    breaks = np.flatnonzero((data == ord("\n")) & ~quoted)
    starts = np.concatenate([[0], breaks + 1])
    lengths = np.append(breaks, offset) - starts  # the last record is the one holding the byte
    ends_cr = np.zeros(starts.size, dtype=np.bool_)
    if offset:
        ends_cr[:-1] = data[np.maximum(breaks - 1, 0)] == ord("\r")
    blank = (lengths == 0) | ((lengths == 1) & ends_cr)
    blank[-1] = False
    return line, int(np.count_nonzero(~blank[:-1]))


def _content_stream(raw: Readable, limit: int) -> tuple[Peekable, bool]:
    outer = Peekable(raw)
    if outer.peek(2) == GZIP_MAGIC:
        return Peekable(GzipReader(outer, limit=limit)), True
    return outer, False


@contextlib.contextmanager
def _reopen_path(path: Path, limit: int) -> Iterator[Peekable]:
    with path.open("rb") as handle:
        yield _content_stream(handle, limit)[0]


@contextlib.contextmanager
def _reopen_seekable(handle: BinaryIO, start: int, limit: int) -> Iterator[Peekable]:
    handle.seek(start)
    yield _content_stream(handle, limit)[0]


@contextlib.contextmanager
def open_file(source: str | Path | BinaryIO, *, limit: int) -> Iterator[OpenedFile]:
    """Open `source` (a path or a binary stream, which is not closed) and sniff its format."""
    with contextlib.ExitStack() as stack:
        reopen: Callable[[], contextlib.AbstractContextManager[Peekable]] | None
        if isinstance(source, str | Path):
            path = Path(source)
            handle: BinaryIO = stack.enter_context(path.open("rb"))
            reopen = lambda: _reopen_path(path, limit)  # noqa: E731
            parquet_direct: str | BinaryIO | None = str(path)
        else:
            handle = source
            seekable = _is_seekable(handle)
            start = handle.tell() if seekable else 0
            reopen = (lambda: _reopen_seekable(handle, start, limit)) if seekable else None
            parquet_direct = handle if seekable else None
        stream, compressed = _content_stream(handle, limit)
        head = stream.peek(SNIFF_BYTES)
        if head.startswith(PARQUET_MAGIC):
            if compressed or parquet_direct is None:
                parquet_source: str | BinaryIO = stack.enter_context(_spool(stream, limit))
            else:
                parquet_source = parquet_direct
                if not isinstance(parquet_direct, str):
                    parquet_direct.seek(start)
            yield OpenedFile("parquet", stream, compressed, reopen, parquet_source)
            return
        _sniff_content(head)
        yield OpenedFile("csv", stream, compressed, reopen)


def _is_seekable(handle: BinaryIO) -> bool:
    try:
        return bool(handle.seekable()) and handle.tell() >= 0
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def _spool(stream: Peekable, limit: int) -> Iterator[BinaryIO]:
    """Copy a one-shot stream to a temporary file for random access, at most `limit` bytes."""
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as spool:
        copied = 0
        while chunk := stream.read(1 << 20):
            copied += len(chunk)
            if copied > limit:
                raise DataStructureError(
                    StructureCode.DECOMPRESSION_LIMIT, f"the file exceeds the limit of {limit} bytes"
                )
            spool.write(chunk)
        spool.seek(0)
        yield spool  # type: ignore[misc]
