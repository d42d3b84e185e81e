"""Streaming Parquet reading, bounded by the declared uncompressed size."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlops.data.errors import DataStructureError, StructureCode
from mlops.data.sources import OpenedFile

_READ_ERRORS = (pa.ArrowException, OSError, ValueError, EOFError)
#: pages are read through a 1 MiB buffer as they are decoded, instead of every column chunk of a
#: row group being read whole first (a 1M-row row group: 150 MB of Arrow memory, now 90 MB)
_STREAMED: dict[str, Any] = {"pre_buffer": False, "buffer_size": 1 << 20}


def _corrupt(exc: BaseException) -> DataStructureError:
    return DataStructureError(StructureCode.CORRUPT_PARQUET, f"the Parquet file cannot be read: {exc}")


class ParquetTable:
    def __init__(self, opened: OpenedFile, *, limit: int) -> None:
        assert opened.parquet_source is not None
        try:
            self._file = pq.ParquetFile(opened.parquet_source, **_STREAMED)
            metadata = self._file.metadata
            declared = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
            self.column_names: list[str] = list(self._file.schema_arrow.names)
            self.column_types: list[pa.DataType] = list(self._file.schema_arrow.types)
        except _READ_ERRORS as exc:
            raise _corrupt(exc) from exc
        if declared > limit:
            raise DataStructureError(
                StructureCode.DECOMPRESSION_LIMIT,
                f"the Parquet file holds {declared} bytes uncompressed, over the limit of {limit}",
            )
        self._limit = limit
        self._source = opened.parquet_source

    def batches(
        self, positions: list[int], *, rows_per_batch: int, encoded: Collection[int] = ()
    ) -> Iterator[pa.RecordBatch]:
        """The columns at `positions`, `rows_per_batch` rows at a time. Text columns at `encoded`
        come dictionary-encoded, as Parquet usually stores them (no string per row is built)."""
        names = self.column_names
        unambiguous = len(set(names)) == len(names)
        wanted = [names[p] for p in positions] if positions else names[:1]
        as_dictionary = [names[p] for p in encoded if unambiguous and pa.types.is_string(self.column_types[p])]
        produced = 0
        try:
            reader = self._file
            if as_dictionary:
                reader = pq.ParquetFile(
                    self._source, metadata=self._file.metadata, read_dictionary=as_dictionary, **_STREAMED
                )
            for batch in reader.iter_batches(
                batch_size=rows_per_batch, columns=wanted if unambiguous else None, use_threads=True
            ):
                produced += batch.nbytes
                if produced > self._limit:
                    raise DataStructureError(
                        StructureCode.DECOMPRESSION_LIMIT,
                        f"the Parquet file decodes to more than the limit of {self._limit} bytes",
                    )
                if not unambiguous:
                    batch = batch.select(positions)
                elif not positions:
                    batch = batch.select([])
                yield batch
        except _READ_ERRORS as exc:
            raise _corrupt(exc) from exc
