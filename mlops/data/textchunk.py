"""One chunk of a text column, dictionary-encoded when few values are distinct: then regex,
membership, hashing and counting run once per distinct value instead of once per row.

The dictionary is ours (`pc.dictionary_encode`, in order of first appearance) or the file's: a
Parquet column stored dictionary-encoded is read as such, without decoding it to one string per
row. A file's dictionary may hold values the chunk does not use, in any order, and empty or null
entries (which are nulls, as everywhere)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlops.data import textbytes
from mlops.data.coerce import Coerced, is_text
from mlops.data.uniqueness import text_keys

BoolArray = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int64]


@dataclass
class TextChunk:
    values: pa.Array | None
    dictionary: pa.Array | None = None
    #: per row: index into `dictionary`, -1 for null
    codes: Codes | None = None
    #: whether `dictionary` is in order of first appearance in the chunk
    in_first_appearance_order: bool = True

    @classmethod
    def of(cls, values: pa.Array, *, encode: bool) -> TextChunk:
        if not encode:
            return cls(values)
        encoded = pc.dictionary_encode(values)
        return cls(values, encoded.dictionary, _codes(encoded.indices))

    @classmethod
    def from_file(cls, encoded: pa.DictionaryArray) -> tuple[Coerced, TextChunk] | None:
        """A column the file stores dictionary-encoded, typed as text without decoding it; None
        when its dictionary is not UTF-8 text (then the values are decoded and checked one by one)."""
        dictionary = encoded.dictionary
        if not is_text(dictionary):
            return None
        codes = _codes(encoded.indices)
        unusable = (np.diff(textbytes.offsets(dictionary)) == 0) | _nulls(dictionary)
        if unusable.any():
            codes = np.where(np.append(unusable, True)[codes], -1, codes)
        null = codes < 0
        typed = Coerced(null=null, invalid=np.zeros(null.size, dtype=np.bool_))
        return typed, cls(None, dictionary, codes, in_first_appearance_order=False)

    def per_row(self, per_value: Callable[[pa.Array], BoolArray]) -> BoolArray:
        if self.dictionary is None or self.codes is None:
            assert self.values is not None
            return per_value(self.values)
        # the appended False is what code -1 (null) picks
        return np.append(per_value(self.dictionary), False)[self.codes]

    def keys(self) -> npt.NDArray[np.uint64]:
        if self.dictionary is None or self.codes is None:
            assert self.values is not None
            return text_keys(self.values)
        return np.append(text_keys(self.dictionary), np.uint64(0))[self.codes]

    def distinct_counts(self) -> tuple[pa.Array, npt.NDArray[np.int64]]:
        """The distinct values of the chunk in order of first appearance, with their counts."""
        assert self.dictionary is not None and self.codes is not None
        valid = self.codes >= 0
        counts = np.bincount(self.codes[valid], minlength=len(self.dictionary))
        if self.in_first_appearance_order:
            return self.dictionary, counts
        rows = np.flatnonzero(valid)
        first = np.full(len(self.dictionary), self.codes.size, dtype=np.int64)
        np.minimum.at(first, self.codes[rows], rows)
        used = np.flatnonzero(counts)
        order = used[np.argsort(first[used], kind="stable")]
        return self.dictionary.take(pa.array(order)), counts[order]


def _codes(indices: pa.Array) -> Codes:
    return np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _nulls(values: pa.Array) -> BoolArray:
    if values.null_count == 0:
        return np.zeros(len(values), dtype=np.bool_)
    return np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
