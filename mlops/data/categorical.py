"""The frequency table of a categorical column (string, category, boolean): the mutable state
of its profile, updated chunk by chunk during validation and merged across files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlops.data.profile import MAX_CATEGORIES, CategoricalProfile, Frequency


def first_distinct(values: pa.Array, wanted: int) -> pa.Array:
    """The first `wanted` distinct values in order of first appearance, from the shortest prefix
    that holds them (hashing a whole chunk of ids to keep 100 of them is wasted work)."""
    prefix = 4 * wanted
    while True:
        distinct = pc.unique(values.slice(0, prefix))
        if len(distinct) >= wanted or prefix >= len(values):
            return distinct[:wanted]
        prefix *= 4


@dataclass
class CategoricalAccumulator:
    """Exact counts for the first `max_values` distinct values in order of first appearance;
    values first seen after the table is full are only counted in `other_count`."""

    dtype: Literal["string", "category", "boolean"]
    max_values: int = MAX_CATEGORIES
    count: int = 0
    null_count: int = 0
    invalid_count: int = 0
    table: dict[str, int] = field(default_factory=dict)
    other_count: int = 0

    def update(self, values: pa.Array, *, nulls: int, invalid: int) -> None:
        """`values`: the chunk's valid, non-null values as strings, in row order."""
        self.null_count += nulls
        self.invalid_count += invalid
        self.count += len(values)
        if len(values) == 0:
            return
        rest = values
        if self.table:
            known = pc.is_in(values, value_set=pa.array(list(self.table), values.type))
            n_known = int(pc.sum(known).as_py() or 0)
            if n_known == len(values):
                self._add_counts(values)
                return
            if n_known:
                self._add_counts(pc.filter(values, known))
            if len(self.table) >= self.max_values:
                self.other_count += len(values) - n_known
                return
            rest = pc.filter(values, pc.invert(known))
        newcomers = first_distinct(rest, self.max_values - len(self.table))
        for value in newcomers.to_pylist():
            self.table[value] = 0
        admitted = pc.is_in(rest, value_set=newcomers)
        n_admitted = int(pc.sum(admitted).as_py() or 0)
        self._add_counts(rest if n_admitted == len(rest) else pc.filter(rest, admitted))
        self.other_count += len(rest) - n_admitted

    def add_distinct(self, values: pa.Array, counts: npt.NDArray[np.int64], *, nulls: int, invalid: int) -> None:
        """Like `update`, from distinct values in order of first appearance with their counts.
        Only values already in the table and the newcomers it still has room for are looked at
        one by one; the rest are counted in bulk."""
        self.null_count += nulls
        self.invalid_count += invalid
        present = counts > 0
        self.count += int(counts.sum())
        if self.table:
            known = np.asarray(
                pc.is_in(values, value_set=pa.array(list(self.table), values.type)).to_numpy(zero_copy_only=False),
                dtype=np.bool_,
            )
        else:
            known = np.zeros(len(values), dtype=np.bool_)
        known_at = np.flatnonzero(known & present)
        for value, n in zip(values.take(pa.array(known_at)).to_pylist(), counts[known_at].tolist(), strict=True):
            self.table[value] += n
        newcomers = np.flatnonzero(~known & present)
        admitted = newcomers[: max(self.max_values - len(self.table), 0)]
        for value, n in zip(values.take(pa.array(admitted)).to_pylist(), counts[admitted].tolist(), strict=True):
            self.table[value] = n
        self.other_count += int(counts[newcomers[admitted.size :]].sum())

    def _add_counts(self, values: pa.Array) -> None:
        if len(values) == 0:
            return
        counted = pc.value_counts(values)
        for value, n in zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True):
            self.table[value] += n

    def add_booleans(self, values: npt.NDArray[np.bool_], *, nulls: int, invalid: int) -> None:
        self.null_count += nulls
        self.invalid_count += invalid
        self.count += int(values.size)
        trues = int(np.count_nonzero(values))
        for label, n in (("true", trues), ("false", int(values.size) - trues)):
            if n:
                self.table[label] = self.table.get(label, 0) + n

    def merge(self, other: CategoricalAccumulator) -> None:
        self.count += other.count
        self.null_count += other.null_count
        self.invalid_count += other.invalid_count
        self.other_count += other.other_count
        for value, n in other.table.items():
            if value in self.table:
                self.table[value] += n
            elif len(self.table) < self.max_values:
                self.table[value] = n
            else:
                self.other_count += n

    def to_model(self) -> CategoricalProfile:
        return CategoricalProfile(
            dtype=self.dtype,
            count=self.count,
            null_count=self.null_count,
            invalid_count=self.invalid_count,
            frequencies=[Frequency(value=v, count=n) for v, n in self.table.items()],
            other_count=self.other_count,
            max_values=self.max_values,
        )

    @classmethod
    def from_model(cls, model: CategoricalProfile) -> CategoricalAccumulator:
        return cls(
            dtype=model.dtype,
            max_values=model.max_values,
            count=model.count,
            null_count=model.null_count,
            invalid_count=model.invalid_count,
            table={f.value: f.count for f in model.frequencies},
            other_count=model.other_count,
        )
