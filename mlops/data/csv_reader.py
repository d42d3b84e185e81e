"""Streaming CSV reading with pyarrow, and the structural checks around it.

The header is parsed here (so columns are addressed by position and duplicate names stay
visible); the rest of the stream goes to `pyarrow.csv.open_csv` in blocks, every column read
as raw bytes (decoding and typing are ours, see coerce.py). RFC 4180 quoting is honoured,
including line breaks inside quoted fields.

Two things pyarrow does not report in a way we can use are found like this:
* ragged rows: pyarrow's `invalid_row_handler` counts them (and skips them); their row numbers
  come from a second look with Python's csv module, only when there are any and only where
  the source can be read again.
* an unterminated quote: pyarrow silently ends the open field at the end of the file. We append
  a sentinel record after the content: if the last record is not the sentinel, a quoted field
  swallowed it, so the file ended inside quotes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from mlops.data.errors import DataStructureError, StructureCode
from mlops.data.sources import OpenedFile, Peekable

DEFAULT_BLOCK_BYTES = 8 << 20
MAX_HEADER_BYTES = 1 << 20
MAX_RECORDED_ROWS = 5
#: blocks pyarrow may have read beyond the batches it has handed over. Its own read-ahead is 32
#: blocks (256 MiB at 8 MiB: a whole 200 MB file); making a batch needs its block and the next
READ_AHEAD_BLOCKS = 4
#: how long a read waits for room while the parser waits for input before it goes ahead anyway:
#: the bound never deadlocks, even if a pyarrow version needs more blocks to make a batch
_STALL_SECONDS = 2.0
_SENTINEL = b"\x00mlops-end-of-data\x00"


def _header_end(buffer: bytes) -> int:
    """Index of the first line break outside quotes, or -1."""
    data = np.frombuffer(buffer, dtype=np.uint8)
    quoted = (np.cumsum(data == ord('"'), dtype=np.int64) & 1).astype(np.bool_)
    breaks = np.flatnonzero((data == ord("\n")) & ~quoted)
    return int(breaks[0]) if breaks.size else -1


def read_header(stream: Peekable) -> list[str]:
    """Consume and parse the header record; structural problems raise DataStructureError."""
    size = 64 * 1024
    while True:
        head = stream.peek(size)
        end = _header_end(head)
        if end >= 0 or len(head) < size or size >= MAX_HEADER_BYTES:
            break
        size *= 4
    if end < 0 and len(head) >= MAX_HEADER_BYTES:
        raise DataStructureError(
            StructureCode.NOT_TABULAR, f"no line break in the first {MAX_HEADER_BYTES} bytes: not a CSV table"
        )
    raw = head if end < 0 else head[:end]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if head.strip(b" \t\r\n\xef\xbb\xbf") == b"" and len(head) < size:
        raise DataStructureError(StructureCode.EMPTY_FILE, "the file has no content (only blank lines)")
    if raw.strip(b" \t\r") == b"":
        raise DataStructureError(StructureCode.BLANK_HEADER, "the first line must be the header, it is blank")
    sample = [raw[:200].decode("utf-8", "replace")]
    if end < 0 and raw.count(b'"') % 2:
        raise DataStructureError(
            StructureCode.UNTERMINATED_QUOTE,
            "the header (line 1) has an unterminated quote",
            rows=[0],
            lines=[1],
            samples=sample,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataStructureError(
            StructureCode.UNDECODABLE,
            f"the header (line 1) is not valid UTF-8 ({exc.reason} at byte {exc.start})",
            rows=[0],
            lines=[1],
            samples=sample,
        ) from exc
    stream.skip(len(head) if end < 0 else end + 1)
    return next(csv.reader(io.StringIO(text.removesuffix("\r"), newline="")))


@dataclass
class _InvalidRows:
    count: int = 0
    samples: list[str] = field(default_factory=list)
    last_sample: str = ""

    def __call__(self, row: pacsv.InvalidRow) -> str:
        self.count += 1
        self.last_sample = row.text
        if len(self.samples) < MAX_RECORDED_ROWS:
            self.samples.append(row.text)
        return "skip"


class _Feed:
    """What pyarrow reads: the content after the header, then a newline and the sentinel.

    Single owner: pyarrow reads it from its own I/O thread, and after a parse error `drain`
    reads on from ours while that thread may still be reading ahead. Neither the Peekable nor
    the gzip decoder under it may be entered twice at once (interleaved zlib calls produce
    wrong bytes and a bogus `corrupt_gzip`), so every read holds the lock.

    Bounded: a read waits while pyarrow holds READ_AHEAD_BLOCKS blocks more than the batches
    it has handed over (`delivered`). pyarrow's own read-ahead (32 blocks) would otherwise keep
    up to 256 MiB of raw input in memory, however slowly the batches are checked."""

    def __init__(self, stream: Peekable, columns: int) -> None:
        self._stream = stream
        self._tail = b"\n" + b",".join([_SENTINEL] * columns) + b"\n"
        self._done = False
        self._lock = threading.Lock()
        self._failure: DataStructureError | None = None
        self.quotes = 0
        self._room = threading.Condition()
        self._reads = 0
        self._delivered = 0
        self._unbounded = False
        #: since when the parser has been waiting for a batch (None: it is not)
        self._waiting_since: float | None = None
        #: the most blocks read beyond the batches handed over, at any time
        self.most_ahead = 0

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around every call that waits for pyarrow's next batch (or opens the reader)."""
        with self._room:
            self._waiting_since = time.monotonic()
            self._room.notify_all()
        try:
            yield
        finally:
            with self._room:
                self._waiting_since = None

    def delivered(self) -> None:
        """pyarrow handed over one more batch: one more block may be read."""
        with self._room:
            self._delivered += 1
            self._room.notify_all()

    def _wait_for_room(self) -> None:
        with self._room:
            while not self._unbounded and self._reads - self._delivered >= READ_AHEAD_BLOCKS:
                since = self._waiting_since
                if since is not None and time.monotonic() - since >= _STALL_SECONDS:
                    break  # the parser needs more than the bound allows: never deadlock
                self._room.wait(timeout=_STALL_SECONDS / 4)
            self._reads += 1
            self.most_ahead = max(self.most_ahead, self._reads - self._delivered)

    def _lift_bound(self) -> None:
        with self._room:
            self._unbounded = True
            self._room.notify_all()

    @property
    def closed(self) -> bool:
        return False

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1, /) -> bytes:
        if not self._done:
            self._wait_for_room()
        with self._lock:
            if self._done:
                return b""
            try:
                data = self._stream.read(n)
            except BaseException as exc:
                self._done = True  # a failed stream is not read again, by anyone
                if isinstance(exc, DataStructureError):
                    self._failure = exc
                raise
            if data:
                self.quotes += data.count(b'"')
                return data
            self._done = True
            return self._tail

    def close(self) -> None:
        """Hand the stream back: waits for a read in flight; later reads get end of file, so
        pyarrow's read-ahead can never touch the stream after `batches` returned."""
        self._lift_bound()
        with self._lock:
            self._done = True

    def drain(self) -> None:
        """Read to the end. A structural error of the stream itself (a decompression limit) is
        raised, also when pyarrow's read-ahead met it first and pyarrow reported its own error."""
        self._lift_bound()
        while self.read(1 << 20):
            pass
        if self._failure is not None:
            raise self._failure


class CsvTable:
    def __init__(self, opened: OpenedFile, *, block_bytes: int = DEFAULT_BLOCK_BYTES) -> None:
        self._opened = opened
        self._block_bytes = block_bytes
        self.column_names = read_header(opened.stream)

    def batches(self, positions: list[int]) -> Iterator[pa.RecordBatch]:
        """Record batches of the columns at `positions` (raw bytes, empty fields null), in order.

        Raises DataStructureError for ragged rows or an unterminated quote once the end of the
        file is reached (after the batches before it were yielded)."""
        feed = _Feed(self._opened.stream, len(self.column_names))
        try:
            yield from self._parse(feed, positions)
        finally:
            feed.close()

    def _parse(self, feed: _Feed, positions: list[int]) -> Iterator[pa.RecordBatch]:
        width = len(self.column_names)
        internal = [f"c{i}" for i in range(width)]
        probe = 0  # the first column also carries the sentinel
        include = [internal[p] for p in positions] + ([] if probe in positions else [internal[probe]])
        sentinel_at = include.index(internal[probe])
        invalid = _InvalidRows()
        delivered = 0
        pending: pa.RecordBatch | None = None
        try:
            with feed.waiting():
                reader = self._open(feed, internal, include, invalid)
            while True:
                with feed.waiting():
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                feed.delivered()
                if batch.num_rows == 0:
                    continue
                if pending is not None:
                    delivered += pending.num_rows
                    yield pending.select(range(len(positions)))
                pending = batch
        except pa.ArrowInvalid as exc:
            feed.drain()
            if feed.quotes % 2:
                raise DataStructureError(StructureCode.UNTERMINATED_QUOTE, "a quoted field is never closed") from exc
            # e.g. a ragged row that is also not UTF-8 (pyarrow cannot hand it to the handler)
            look = self._second_look(width)
            if look.undecodable:
                first = look.undecodable[0]
                raise DataStructureError(
                    StructureCode.UNDECODABLE,
                    f"row {first} (line {look.lines[first]}) is not valid UTF-8; save the file as UTF-8",
                    rows=look.undecodable,
                    lines=[look.lines[r] for r in look.undecodable],
                    count=len(look.undecodable),
                ) from exc
            if look.ragged:
                raise _ragged(look, len(look.ragged), width, []) from exc
            raise DataStructureError(StructureCode.PARSE_ERROR, f"the CSV cannot be parsed: {exc}") from exc
        if pending is None or pending.column(sentinel_at)[pending.num_rows - 1].as_py() != _SENTINEL:
            last = delivered + (pending.num_rows if pending is not None else 0) + invalid.count
            raise DataStructureError(
                StructureCode.UNTERMINATED_QUOTE,
                f"a quoted field opened in row {last} is never closed: the rest of the file ended up inside it",
                rows=[last],
                count=1,
                samples=[invalid.last_sample] if invalid.count else [],
            )
        if pending.num_rows > 1:
            yield pending.slice(0, pending.num_rows - 1).select(range(len(positions)))
        if invalid.count:
            raise _ragged(self._second_look(width), invalid.count, width, invalid.samples)

    def _open(
        self, feed: _Feed, names: list[str], include: list[str], invalid: _InvalidRows
    ) -> pacsv.CSVStreamingReader:
        return pacsv.open_csv(
            feed,
            read_options=pacsv.ReadOptions(column_names=names, block_size=self._block_bytes, use_threads=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(include, pa.binary()),
                include_columns=include,
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )

    def _second_look(self, width: int, *, find: bool = True, wanted: frozenset[int] = frozenset()) -> _SecondLook:
        """What pyarrow does not give: the rows that are ragged or not UTF-8 (with `find`), and
        the physical line where each of those and each `wanted` row starts.

        Reads the file again with Python's csv module (slow; only once a problem is known) and
        stops when it has found enough; with `wanted` row -1 it reads to the end and reports
        the last record (the one an unterminated quote swallowed the rest of the file into).
        One-shot streams cannot be read again: then nothing is found."""
        look = _SecondLook()
        if self._opened.reopen is None:
            return look
        to_end = -1 in wanted
        missing = set(wanted) - {-1}
        with self._opened.reopen() as stream, contextlib.suppress(csv.Error, DataStructureError):
            text = io.TextIOWrapper(
                io.BufferedReader(_ReadableAdapter(stream)), encoding="utf-8-sig", errors="surrogateescape", newline=""
            )
            records = csv.reader(text)
            next(records, None)
            row, ended = 0, records.line_num
            for record in records:
                starts, ended = ended + 1, records.line_num
                if not record:
                    continue  # blank lines are not rows, for pyarrow neither
                row += 1
                look.last = (row, starts)
                if row in missing:
                    look.lines[row] = starts
                    missing.discard(row)
                if find and len(record) != width and len(look.ragged) < MAX_RECORDED_ROWS:
                    look.ragged.append(row)
                    look.lines[row] = starts
                if find and len(look.undecodable) < MAX_RECORDED_ROWS and any(_UNDECODED.search(f) for f in record):
                    look.undecodable.append(row)
                    look.lines[row] = starts
                found_all = not find or len(look.ragged) == len(look.undecodable) == MAX_RECORDED_ROWS
                if found_all and not missing and not to_end:
                    break
        return look

    def locate(self, exc: DataStructureError) -> None:
        """Add the physical line where each row of a structural error starts (a second read,
        on the failure path only). An unterminated quote without a row gets the record that
        swallowed the rest of the file."""
        if exc.lines is not None:
            return
        if exc.code == StructureCode.UNTERMINATED_QUOTE and not exc.rows:
            look = self._second_look(len(self.column_names), find=False, wanted=frozenset({-1}))
            if look.last is not None:
                exc.rows, exc.lines, exc.count = [look.last[0]], [look.last[1]], 1
                exc.message += f"; the field opens in row {look.last[0]}, which starts on line {look.last[1]}"
            return
        if not exc.rows:
            return
        look = self._second_look(len(self.column_names), find=False, wanted=frozenset(exc.rows))
        exc.lines = [look.lines.get(row) for row in exc.rows]
        if exc.lines[0] is not None:
            exc.message += f"; row {exc.rows[0]} starts on line {exc.lines[0]}"


@dataclass
class _SecondLook:
    ragged: list[int] = field(default_factory=list)
    undecodable: list[int] = field(default_factory=list)
    #: physical line (1-based) where each row of interest starts
    lines: dict[int, int] = field(default_factory=dict)
    #: (row, line) of the last record read
    last: tuple[int, int] | None = None


_UNDECODED = re.compile("[\udc80-\udcff]")  # what errors="surrogateescape" makes of bad bytes


def _ragged(look: _SecondLook, count: int, width: int, samples: list[str]) -> DataStructureError:
    rows = look.ragged
    where = f" (first: row {rows[0]}, line {look.lines[rows[0]]})" if rows else ""
    return DataStructureError(
        StructureCode.RAGGED_ROWS,
        f"{count} row(s) do not have {width} fields like the header{where}",
        rows=rows,
        lines=[look.lines[r] for r in rows] if rows else None,
        count=count,
        samples=samples,
    )


class _ReadableAdapter(io.RawIOBase):
    def __init__(self, stream: Peekable) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
