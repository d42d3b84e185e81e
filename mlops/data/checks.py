"""Per-column checks over chunks: failure tallies with examples, and the column's profile."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlops.config import NUMERIC_DTYPES, ColumnSpec, Dtype
from mlops.data.accumulators import DatetimeAccumulator, NumericAccumulator
from mlops.data.categorical import CategoricalAccumulator
from mlops.data.coerce import Coerced, coerce
from mlops.data.patterns import FullMatch
from mlops.data.profile import CategoricalProfile, DatetimeProfile, HistogramSource, NumericProfile
from mlops.data.report import MAX_EXAMPLES, Check, CheckFailure, Example, clip
from mlops.data.textchunk import TextChunk
from mlops.data.uniqueness import DuplicateGroups, UniqueTracker, number_keys

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
_ENCODING_SAMPLE = 4096
_TEXT = (Dtype.STRING, Dtype.CATEGORY)


@dataclass
class Tally:
    """Failing rows of one check on one column: a count and the first few examples."""

    check: Check
    column: str | None
    count: int = 0
    examples: list[Example] = field(default_factory=list)

    def add(self, mask: BoolArray, first_row: int, raw: pa.Array) -> None:
        failing = int(np.count_nonzero(mask))
        if not failing:
            return
        self.count += failing
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            index = np.flatnonzero(mask)[:room]
            values = raw.take(pa.array(index)).to_pylist()
            self.examples += [
                Example(row=first_row + int(i) + 1, value=clip(_as_text(v))) for i, v in zip(index, values, strict=True)
            ]

    def failure(self, message: str) -> CheckFailure:
        return CheckFailure(
            check=self.check, column=self.column, rows=self.count, examples=self.examples, message=message
        )


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _bool_mask(array: pa.Array) -> BoolArray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


@dataclass(frozen=True)
class ColumnRules:
    """A column spec compiled for vectorised checks."""

    spec: ColumnSpec
    allowed: pa.Array | FloatArray | npt.NDArray[np.int64] | BoolArray | None
    unusable_allowed: tuple[str, ...]
    #: whether each value of a string array matches the column's regex in full
    regex: FullMatch | None
    edges: FloatArray | None
    edges_source: HistogramSource


def allowed_value_text(value: str | int | float | bool) -> str:
    """How an allowed value from the config is spelled in a file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_allowed(spec: ColumnSpec) -> tuple[pa.Array | np.ndarray | None, tuple[str, ...]]:
    """The allowed values as the column's own typed values; ones that are not values of the
    column's dtype can never match and are returned separately (reported as a warning)."""
    if spec.allowed_values is None:
        return None, ()
    spelled = pa.array([allowed_value_text(v) for v in spec.allowed_values], pa.string())
    typed = coerce(spelled, spec.dtype)
    usable = typed.valid
    unusable = tuple(s for s, ok in zip(spelled.to_pylist(), usable, strict=True) if not ok)
    if typed.text is not None:
        return typed.text.filter(pa.array(usable)), unusable
    if spec.dtype == Dtype.INTEGER and typed.integers is not None:
        return typed.integers[usable], unusable
    if typed.numbers is not None:
        return typed.numbers[usable], unusable
    if typed.booleans is not None:
        return typed.booleans[usable], unusable
    assert typed.nanos is not None
    return typed.nanos[usable], unusable


class ColumnValidator:
    def __init__(self, rules: ColumnRules) -> None:
        self.rules = rules
        spec = rules.spec
        self.name = spec.name
        names = (
            Check.DTYPE,
            Check.NOT_NULL,
            Check.FINITE,
            Check.MIN,
            Check.MAX,
            Check.ALLOWED_VALUES,
            Check.REGEX,
            Check.UNIQUE,
        )
        self.tallies = {check: Tally(check, spec.name) for check in names}
        self.nan_literals = Tally(Check.NAN_LITERAL, spec.name)
        self._unique = UniqueTracker() if spec.unique else None
        self._duplicates = DuplicateGroups()
        # dictionary-encode text while chunks have few distinct values (decided first from a
        # sample, then per chunk from the previous one; only the speed depends on it, never the
        # outcome)
        self._encode_text: bool | None = None
        self._numeric: NumericAccumulator | None = None
        self._categorical: CategoricalAccumulator | None = None
        self._datetime: DatetimeAccumulator | None = None
        if spec.dtype in NUMERIC_DTYPES:
            self._numeric = NumericAccumulator(
                dtype="integer" if spec.dtype == Dtype.INTEGER else "float",
                fixed_edges=rules.edges,
                edges_source=rules.edges_source,
            )
        elif spec.dtype == Dtype.DATETIME:
            self._datetime = DatetimeAccumulator()
        else:
            self._categorical = CategoricalAccumulator(dtype=spec.dtype.value)  # type: ignore[arg-type]

    def update(self, raw: pa.Array, first_row: int) -> None:
        spec = self.rules.spec
        encoded = TextChunk.from_file(raw) if pa.types.is_dictionary(raw.type) and spec.dtype in _TEXT else None
        typed, text = encoded if encoded is not None else (coerce(raw, spec.dtype, first_row=first_row), None)
        tally = self.tallies
        tally[Check.DTYPE].add(typed.invalid, first_row, raw)
        if not spec.nullable:
            tally[Check.NOT_NULL].add(typed.null, first_row, raw)
        if typed.nan_literal is not None:
            self.nan_literals.add(typed.nan_literal, first_row, raw)
        valid = typed.valid
        if typed.text is not None:
            if self._encode_text is None:
                sample = typed.text.slice(0, _ENCODING_SAMPLE)
                self._encode_text = int(pc.count_distinct(sample).as_py()) * 4 <= len(sample)
            text = TextChunk.of(typed.text, encode=self._encode_text)
            if text.dictionary is not None and len(text.dictionary) * 4 > len(typed.text):
                self._encode_text = False
        if typed.numbers is not None:
            self._check_numbers(typed.numbers, valid, first_row, raw)
        self._check_allowed(typed, text, valid, first_row, raw)
        regex = self.rules.regex
        if regex is not None and text is not None:
            matches = text.per_row(regex)
            tally[Check.REGEX].add(valid & ~matches, first_row, raw)
        if self._unique is not None:
            self._check_unique(typed, text, valid, first_row, raw)
        self._profile(typed, text, valid)

    def _check_numbers(self, numbers: FloatArray, valid: BoolArray, first_row: int, raw: pa.Array) -> None:
        spec = self.rules.spec
        infinite = valid & np.isinf(numbers)
        if infinite.any():
            # +-inf passes only where the declared bounds admit it explicitly (max: .inf)
            admitted = ((numbers > 0) & (spec.max == math.inf)) | ((numbers < 0) & (spec.min == -math.inf))
            self.tallies[Check.FINITE].add(infinite & ~admitted, first_row, raw)
        finite = valid & ~infinite
        with np.errstate(invalid="ignore"):
            if spec.min is not None and math.isfinite(spec.min):
                self.tallies[Check.MIN].add(finite & (numbers < spec.min), first_row, raw)
            if spec.max is not None and math.isfinite(spec.max):
                self.tallies[Check.MAX].add(finite & (numbers > spec.max), first_row, raw)

    def _check_allowed(
        self, typed: Coerced, text: TextChunk | None, valid: BoolArray, first_row: int, raw: pa.Array
    ) -> None:
        allowed = self.rules.allowed
        if allowed is None:
            return
        if text is not None:
            assert isinstance(allowed, pa.Array)
            member = text.per_row(lambda values: _bool_mask(pc.is_in(values, value_set=allowed)))
        else:
            assert isinstance(allowed, np.ndarray)
            candidates = (typed.integers, typed.numbers, typed.booleans, typed.nanos)
            values: npt.NDArray[Any] = next(v for v in candidates if v is not None)
            member = np.isin(values, allowed)
        self.tallies[Check.ALLOWED_VALUES].add(valid & ~member, first_row, raw)

    def _check_unique(
        self, typed: Coerced, text: TextChunk | None, valid: BoolArray, first_row: int, raw: pa.Array
    ) -> None:
        assert self._unique is not None
        index = np.flatnonzero(valid)
        if text is not None:
            keys = text.keys()[index]
        elif typed.integers is not None:
            keys = number_keys(typed.integers[index])
        elif typed.numbers is not None:
            keys = number_keys(typed.numbers[index])
        elif typed.booleans is not None:
            keys = typed.booleans[index].astype(np.uint64)
        else:
            assert typed.nanos is not None
            keys = number_keys(typed.nanos[index])
        repeated, first = self._unique.duplicates(keys, first_row + index + 1)
        if not repeated.any():
            return
        at = index[repeated]
        self.tallies[Check.UNIQUE].count += int(at.size)
        self._duplicates.add(
            keys[repeated], first_row + at + 1, first[repeated], lambda i: _as_text(raw[int(at[i])].as_py())
        )

    def _profile(self, typed: Coerced, text: TextChunk | None, valid: BoolArray) -> None:
        nulls = int(np.count_nonzero(typed.null))
        invalid = int(np.count_nonzero(typed.invalid))
        if self._numeric is not None and typed.integers is not None:
            self._numeric.update_integers(typed.integers[valid], nulls=nulls, invalid=invalid)
        elif self._numeric is not None:
            assert typed.numbers is not None
            finite = valid & np.isfinite(typed.numbers)
            self._numeric.update(
                typed.numbers[finite], nulls=nulls, invalid=invalid, infinite=int(np.count_nonzero(valid & ~finite))
            )
        elif self._datetime is not None:
            assert typed.nanos is not None
            self._datetime.update(typed.nanos[valid], nulls=nulls, invalid=invalid)
        elif self._categorical is not None:
            if typed.booleans is not None:
                self._categorical.add_booleans(typed.booleans[valid], nulls=nulls, invalid=invalid)
            elif text is not None and text.dictionary is not None:
                self._categorical.add_distinct(*text.distinct_counts(), nulls=nulls, invalid=invalid)
            else:
                assert typed.text is not None
                kept = typed.text if nulls == 0 else typed.text.filter(pa.array(valid))
                self._categorical.update(kept, nulls=nulls, invalid=invalid)

    def profile(self) -> NumericProfile | CategoricalProfile | DatetimeProfile:
        if self._numeric is not None:
            return self._numeric.to_model()
        if self._datetime is not None:
            return self._datetime.to_model()
        assert self._categorical is not None
        return self._categorical.to_model()

    def failures(self) -> list[CheckFailure]:
        found = []
        for tally in self.tallies.values():
            if not tally.count:
                continue
            failure = tally.failure(self._message(tally))
            if tally.check == Check.UNIQUE:
                failure = failure.model_copy(
                    update={"examples": self._duplicates.examples(), "duplicates": self._duplicates.values()}
                )
            found.append(failure)
        return found

    def warnings(self) -> list[CheckFailure]:
        tally = self.nan_literals
        if not tally.count:
            return []
        return [tally.failure(f"{tally.count} value(s) spelled NaN were read as null")]

    def _message(self, tally: Tally) -> str:
        spec = self.rules.spec
        n = tally.count
        match tally.check:
            case Check.DTYPE:
                return f"{n} value(s) are not valid {spec.dtype} values{_DTYPE_HINTS.get(spec.dtype, '')}"
            case Check.NOT_NULL:
                return f"{n} empty value(s) in a column that is not nullable"
            case Check.FINITE:
                return f"{n} infinite value(s); declare max: .inf or min: -.inf to admit them"
            case Check.MIN:
                return f"{n} value(s) below the minimum {spec.min:g}"
            case Check.MAX:
                return f"{n} value(s) above the maximum {spec.max:g}"
            case Check.ALLOWED_VALUES:
                shown = [allowed_value_text(v) for v in spec.allowed_values or []]
                listed = ", ".join(shown[:10]) + (", ..." if len(shown) > 10 else "")
                return f"{n} value(s) not among the allowed values [{listed}]"
            case Check.REGEX:
                return f"{n} value(s) do not fully match the pattern {spec.regex}"
            case Check.UNIQUE:
                return (
                    f"{n} row(s) repeat the value of an earlier row; values must be unique (each duplicated "
                    "value is listed with every row holding it, the first occurrence first)"
                )
        return f"{n} value(s) fail {tally.check}"


_DTYPE_HINTS = {
    Dtype.INTEGER: " (whole numbers such as 42, -7 or 3.0)",
    Dtype.FLOAT: " (decimal numbers such as 1.5, -2e-3 or inf)",
    Dtype.BOOLEAN: " (true/false, 1/0, yes/no)",
    Dtype.DATETIME: " (ISO 8601 such as 2024-05-01 or 2024-05-01T12:30:00Z)",
}
