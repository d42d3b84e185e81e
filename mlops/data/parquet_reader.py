"""Streaming Parquet reading, bounded by the declared uncompressed size."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from mlops.data.errors import DataStructureError, StructureCode
from mlops.data.sources import OpenedFile

_READ_ERRORS = (pa.ArrowException, OSError, ValueError, EOFError)


def _corrupt(exc: BaseException) -> DataStructureError:
    return DataStructureError(StructureCode.CORRUPT_PARQUET, f"the Parquet file cannot be read: {exc}")


class ParquetTable:
    def __init__(self, opened: OpenedFile, *, limit: int) -> None:
        assert opened.parquet_source is not None
        try:
            self._file = pq.ParquetFile(opened.parquet_source)
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

    def batches(self, positions: list[int], *, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
        names = self.column_names
        unambiguous = len(set(names)) == len(names)
        wanted = [names[p] for p in positions] if positions else names[:1]
        produced = 0
        try:
            for batch in self._file.iter_batches(
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
