"""Turning a column's raw values into typed values, vectorised, with per-value failure masks.

The rules (documented for users in docs/profile-format.md, "Coercion rules"):

* null: an empty field (quoted or not; in Parquet a null or an empty string). Values are never
  trimmed, so " " is a value.
* integer: optional sign, digits, optionally a decimal point followed only by zeros ("3.0",
  "3." are 3: pandas writes integer columns with gaps as floats); within int64. "3.5", "1e3",
  " 3", "0x1A" fail `dtype`.
* float: what Arrow's decimal parser accepts: optional sign, digits with optional decimal point
  and exponent ("1", "-.5", "1.5e-3"), or `inf`/`infinity` in any case with optional sign.
  Overflowing literals ("1e999") become +-inf.
* NaN: in integer and float columns `nan` (any case, optional sign) counts as null and is
  also reported as a `nan_literal` warning. In text columns it is just text.
* boolean: true/false, 1/0, yes/no, case-insensitive.
* datetime: ISO 8601 `YYYY-MM-DD`, optionally `T` or a space and `hh[:mm[:ss[.f{1,9}]]]`,
  optionally `Z` or `+hh[:mm]`/`-hh[mm]`; offsets are converted to UTC, values without one are
  taken as UTC. Range 1677-09-21 .. 2262-04-11 (nanoseconds in int64, as pandas).
* string, category: any UTF-8 text.

Each string kernel has a fast path (one Arrow cast of the whole chunk) and, only where that
cast fails, a slow path: a regex pre-filter that admits a superset of what the cast accepts,
then a value-by-value cast by bisection. Both paths accept exactly the same values, so the
outcome never depends on how rows were chunked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlops.config import Dtype
from mlops.data import textbytes
from mlops.data.errors import DataStructureError, StructureCode

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FLOAT_PREFILTER = r"(?i)^[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|inf(inity)?|nan(\([0-9a-z_]*\))?)$"
INTEGER_PREFILTER = r"^[+-]?\d+(\.0*)?$"
NAN_LITERAL = r"(?i)^[+-]?nan(\([0-9a-z_]*\))?$"
DATETIME_PREFILTER = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
DATETIME_WITH_OFFSET = r"[T ][0-9:.]+(Z|[+-]\d{2}(:?\d{2})?)$"
TRUE_LITERALS = ("true", "1", "yes")
FALSE_LITERALS = ("false", "0", "no")
TIMESTAMP = pa.timestamp("ns")
TIMESTAMP_UTC = pa.timestamp("ns", tz="UTC")
_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


@dataclass
class Coerced:
    """One chunk of one column. Masks are aligned with the chunk's rows."""

    null: BoolArray
    invalid: BoolArray
    nan_literal: BoolArray | None = None
    #: integer and float columns: the value (also ints, as float), NaN where not valid
    numbers: FloatArray | None = None
    #: integer columns: the exact value, 0 where not valid
    integers: IntArray | None = None
    booleans: BoolArray | None = None
    #: datetime columns: nanoseconds since the epoch (UTC), 0 where not valid
    nanos: IntArray | None = None
    #: string and category columns
    text: pa.Array | None = None

    @property
    def valid(self) -> BoolArray:
        return ~(self.null | self.invalid)


def _mask(array: pa.Array) -> BoolArray:
    """A boolean Arrow array as numpy, nulls as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def null_mask(values: pa.Array) -> BoolArray:
    if values.null_count == 0:
        return np.zeros(len(values), dtype=np.bool_)
    return _mask(pc.is_null(values))


def is_text(values: pa.Array) -> bool:
    return bool(pa.types.is_string(values.type) or pa.types.is_large_string(values.type))


def to_utf8(values: pa.Array, first_row: int) -> pa.Array:
    """Binary values as UTF-8 text; undecodable bytes are a structural error."""
    target = pa.large_string() if pa.types.is_large_binary(values.type) else pa.string()
    if textbytes.is_ascii(values):
        return values.view(target)  # ASCII is UTF-8: no copy, no per-value validation
    try:
        return pc.cast(values, target)
    except pa.ArrowInvalid as exc:
        bad = [i for i, v in enumerate(values.to_pylist()) if v is not None and not _decodes(v)]
        raise DataStructureError(
            StructureCode.UNDECODABLE,
            f"row {first_row + bad[0] + 1} is not valid UTF-8; save the file as UTF-8",
            rows=[first_row + i + 1 for i in bad[:5]],
            count=len(bad),
            samples=[values[i].as_py().decode("utf-8", "replace") for i in bad[:5]],
        ) from exc


def _decodes(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def cast_each(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, BoolArray]:
    """Cast value by value: the result has nulls where a value could not be cast (`ok` False)."""
    try:
        return pc.cast(values, target), np.ones(len(values), dtype=np.bool_)
    except _CAST_ERRORS:
        if len(values) <= 1:
            return pa.nulls(len(values), target), np.zeros(len(values), dtype=np.bool_)
    middle = len(values) // 2
    left, left_ok = cast_each(values.slice(0, middle), target)
    right, right_ok = cast_each(values.slice(middle), target)
    return pa.concat_arrays([left, right]), np.concatenate([left_ok, right_ok])


def _cast_subset(
    values: pa.Array,
    candidates: BoolArray,
    target: pa.DataType,
    *,
    normalise: str | None = None,
    unchecked: BoolArray | None = None,
    prefilter: str = "",
) -> tuple[pa.Array, BoolArray]:
    """Cast only `candidates` (value by value, after deleting the regex `normalise` from each);
    the rest become null and not ok. `unchecked` candidates were let through without the regex
    `prefilter`: should the cast fail, they are held to it like the others first."""
    index = np.flatnonzero(candidates)
    ok = np.zeros(len(values), dtype=np.bool_)
    if index.size == 0:
        return pa.nulls(len(values), target), ok
    subset = values.take(pa.array(index))
    try:
        cast, cast_ok = pc.cast(subset, target), np.ones(index.size, dtype=np.bool_)
    except _CAST_ERRORS:
        if unchecked is not None:
            checked = candidates & ~(unchecked & ~_matches(values, prefilter, where=unchecked))
            return _cast_subset(values, checked, target, normalise=normalise)
        if normalise is not None:
            subset = pc.replace_substring_regex(subset, normalise, "")
        cast, cast_ok = cast_each(subset, target)
    ok[index] = cast_ok
    scatter = np.full(len(values), -1, dtype=np.int64)
    scatter[index] = np.arange(index.size)
    return cast.take(pa.array(scatter, mask=scatter < 0)), ok


def _matches(values: pa.Array, pattern: str, where: BoolArray | None = None) -> BoolArray:
    """Full-array regex match, or only at the rows `where` (False elsewhere)."""
    if where is None:
        return _mask(pc.match_substring_regex(values, pattern))
    result = np.zeros(len(values), dtype=np.bool_)
    index = np.flatnonzero(where)
    if index.size:
        result[index] = _mask(pc.match_substring_regex(values.take(pa.array(index)), pattern))
    return result


# --------------------------------------------------------------------------------------------
# From text (CSV, or string columns in Parquet)


_FLOAT_BYTES = textbytes.byte_set("0123456789+-.eE")
_INTEGER_BYTES = textbytes.byte_set("0123456789-")


def _float_from_text(values: pa.Array, null: BoolArray) -> Coerced:
    try:
        cast = pc.cast(values, pa.float64())
        invalid = np.zeros(len(values), dtype=np.bool_)
    except _CAST_ERRORS:
        candidates, plain = _candidates(values, null, _FLOAT_BYTES, FLOAT_PREFILTER)
        cast, ok = _cast_subset(values, candidates, pa.float64(), unchecked=plain, prefilter=FLOAT_PREFILTER)
        invalid = ~null & ~ok
    numbers = np.asarray(pc.fill_null(cast, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
    nan_literal = np.isnan(numbers) & ~null & ~invalid
    return Coerced(null=null | nan_literal, invalid=invalid, nan_literal=nan_literal, numbers=numbers)


def _integer_from_text(values: pa.Array, null: BoolArray) -> Coerced:
    nan_literal = np.zeros(len(values), dtype=np.bool_)
    try:
        if _has_letter_x(values):
            raise pa.ArrowInvalid("Arrow reads 0x.. as hexadecimal; the rules do not")
        cast = pc.cast(values, pa.int64())
        invalid = np.zeros(len(values), dtype=np.bool_)
    except _CAST_ERRORS:
        candidates, plain = _candidates(values, null, _INTEGER_BYTES, INTEGER_PREFILTER)
        cast, ok = _cast_subset(
            values, candidates, pa.int64(), normalise=r"^\+|\.0*$", unchecked=plain, prefilter=INTEGER_PREFILTER
        )
        nan_literal = _matches(values, NAN_LITERAL, where=~null & ~ok)
        invalid = ~null & ~ok & ~nan_literal
    integers = np.asarray(pc.fill_null(cast, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    valid = ~(null | invalid | nan_literal)
    numbers = np.where(valid, integers.astype(np.float64), np.nan)
    return Coerced(
        null=null | nan_literal, invalid=invalid, nan_literal=nan_literal, numbers=numbers, integers=integers
    )


def _has_letter_x(values: pa.Array) -> bool:
    """Whether any value contains 'x' or 'X' (one pass over the raw bytes)."""
    bounds = textbytes.offsets(values)
    text = textbytes.data(values)[bounds[0] : bounds[-1]]
    return bool(np.any((text | 0x20) == ord("x")))


def _candidates(
    values: pa.Array, null: BoolArray, plain_bytes: BoolArray, prefilter: str
) -> tuple[BoolArray, BoolArray]:
    """(candidates, plain): the values that may be of the dtype once one value failed to cast.
    Values made only of `plain_bytes` (digits, signs, ...) are let through as they are (Arrow's
    cast decides, as for a chunk without failures); the regex `prefilter` runs on the others,
    typically a few, instead of on every value of the chunk."""
    plain = textbytes.only_bytes_in(values, plain_bytes) & ~null
    return plain | _matches(values, prefilter, where=~null & ~plain), plain


def _boolean_from_text(values: pa.Array, null: BoolArray) -> Coerced:
    literals = pa.array(TRUE_LITERALS + FALSE_LITERALS, values.type)
    position = pc.index_in(pc.ascii_lower(values), value_set=literals)
    index = np.asarray(pc.fill_null(position, -1).to_numpy(zero_copy_only=False))
    return Coerced(null=null, invalid=~null & (index < 0), booleans=(index >= 0) & (index < len(TRUE_LITERALS)))


def _datetime_from_text(values: pa.Array, null: BoolArray) -> Coerced:
    try:
        nanos = _epoch_nanos(pc.cast(values, TIMESTAMP))
        ok = ~null
    except _CAST_ERRORS:
        candidates = _matches(values, DATETIME_PREFILTER)
        with_offset = candidates & _matches(values, DATETIME_WITH_OFFSET)
        naive, naive_ok = _cast_subset(values, candidates & ~with_offset, TIMESTAMP)
        aware, aware_ok = _cast_subset(values, with_offset, TIMESTAMP_UTC)
        nanos = np.where(with_offset, _epoch_nanos(aware), _epoch_nanos(naive))
        ok = naive_ok | aware_ok
    ok &= _year_kept(values, nanos, ok)
    return Coerced(null=null, invalid=~null & ~ok, nanos=np.where(ok, nanos, 0))


def _year_kept(values: pa.Array, nanos: IntArray, ok: BoolArray) -> BoolArray:
    """Whether the parsed instant is still in the year the text names (one off for an offset
    across New Year). Older pyarrow (< 18) wraps dates outside the nanosecond range around
    instead of failing; this makes every version reject them."""
    index = np.flatnonzero(ok)
    if index.size == 0:
        return ok
    parsed = values.take(pa.array(index))  # all start with a four-digit year
    year_text = np.asarray(pc.cast(pc.utf8_slice_codeunits(parsed, 0, 4), pa.int64()).to_numpy(), dtype=np.int64)
    year_parsed = nanos[index].astype("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970
    kept = ok.copy()
    kept[index] = np.abs(year_text - year_parsed) <= 1
    return kept


def _epoch_nanos(timestamps: pa.Array) -> IntArray:
    return np.asarray(pc.fill_null(timestamps.cast(pa.int64()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)


# --------------------------------------------------------------------------------------------
# From typed columns (Parquet)


def _float_from_typed(values: pa.Array, null: BoolArray) -> Coerced | None:
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_decimal(values.type)):
        return None
    numbers = np.asarray(
        pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    nan_literal = np.isnan(numbers) & ~null
    return Coerced(
        null=null | nan_literal, invalid=np.zeros(len(values), np.bool_), nan_literal=nan_literal, numbers=numbers
    )


def _integer_from_typed(values: pa.Array, null: BoolArray) -> Coerced | None:
    if pa.types.is_integer(values.type):
        cast, ok = cast_each(values, pa.int64())  # uint64 beyond int64 fails
        integers = np.asarray(pc.fill_null(cast, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        invalid = ~null & ~ok
        nan_literal = np.zeros(len(values), dtype=np.bool_)
    elif pa.types.is_floating(values.type) or pa.types.is_decimal(values.type):
        floats = np.asarray(
            pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(zero_copy_only=False), dtype=np.float64
        )
        nan_literal = np.isnan(floats) & ~null
        with np.errstate(invalid="ignore"):
            integral = np.isfinite(floats) & (np.floor(floats) == floats) & (np.abs(floats) < 2.0**63)
        invalid = ~null & ~nan_literal & ~integral
        integers = np.where(integral, floats, 0).astype(np.int64)
    else:
        return None
    valid = ~(null | invalid | nan_literal)
    numbers = np.where(valid, integers.astype(np.float64), np.nan)
    return Coerced(
        null=null | nan_literal, invalid=invalid, nan_literal=nan_literal, numbers=numbers, integers=integers
    )


def _boolean_from_typed(values: pa.Array, null: BoolArray) -> Coerced | None:
    if pa.types.is_boolean(values.type):
        return Coerced(null=null, invalid=np.zeros(len(values), np.bool_), booleans=_mask(values))
    if pa.types.is_integer(values.type):
        ints = np.asarray(pc.fill_null(values, 0).to_numpy(zero_copy_only=False))
        return Coerced(null=null, invalid=~null & (ints != 0) & (ints != 1), booleans=ints == 1)
    return None


def _datetime_from_typed(values: pa.Array, null: BoolArray) -> Coerced | None:
    kind = values.type
    if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        return None
    target = pa.timestamp("ns", tz=kind.tz) if pa.types.is_timestamp(kind) else TIMESTAMP
    cast, ok = cast_each(values, target)  # out of the nanosecond range fails
    return Coerced(null=null, invalid=~null & ~ok, nanos=_epoch_nanos(cast))


def _text_from_typed(values: pa.Array, null: BoolArray) -> Coerced | None:
    try:
        text = pc.cast(values, pa.string())
    except _CAST_ERRORS:
        return None
    return Coerced(null=null, invalid=np.zeros(len(values), np.bool_), text=text)


_FROM_TEXT = {
    Dtype.FLOAT: _float_from_text,
    Dtype.INTEGER: _integer_from_text,
    Dtype.BOOLEAN: _boolean_from_text,
    Dtype.DATETIME: _datetime_from_text,
}
_FROM_TYPED = {
    Dtype.FLOAT: _float_from_typed,
    Dtype.INTEGER: _integer_from_typed,
    Dtype.BOOLEAN: _boolean_from_typed,
    Dtype.DATETIME: _datetime_from_typed,
    Dtype.STRING: _text_from_typed,
    Dtype.CATEGORY: _text_from_typed,
}


def coerce(values: pa.Array, dtype: Dtype, *, first_row: int = 0) -> Coerced:
    """Typed values and failure masks for one chunk of a column declared as `dtype`."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
        values = to_utf8(values, first_row)
    null = null_mask(values)
    if is_text(values):
        values, null = _empty_as_null(values, null)
        if dtype in (Dtype.STRING, Dtype.CATEGORY):
            return Coerced(null=null, invalid=np.zeros(len(values), np.bool_), text=values)
        return _FROM_TEXT[dtype](values, null)
    typed = _FROM_TYPED[dtype](values, null)
    if typed is None:  # e.g. a list column declared as float: no value can be right
        return _unusable(dtype, null)
    return typed


def _empty_as_null(values: pa.Array, null: BoolArray) -> tuple[pa.Array, BoolArray]:
    """An empty value is null, in Parquet as in CSV (where the reader already made it so)."""
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    buffer = values.buffers()[1]
    if buffer is None:
        return values, null
    offsets = np.frombuffer(buffer, dtype=width)[values.offset : values.offset + len(values) + 1]
    empty = (np.diff(offsets) == 0) & ~null
    if not empty.any():
        return values, null
    return pc.if_else(pa.array(empty), pa.scalar(None, values.type), values), null | empty


def _unusable(dtype: Dtype, null: BoolArray) -> Coerced:
    """Every non-null value fails `dtype`; the typed fields exist (empty) as for any chunk."""
    size = null.size
    typed = Coerced(null=null, invalid=~null)
    if dtype in (Dtype.INTEGER, Dtype.FLOAT):
        typed.numbers = np.full(size, np.nan)
        typed.nan_literal = np.zeros(size, dtype=np.bool_)
        if dtype == Dtype.INTEGER:
            typed.integers = np.zeros(size, dtype=np.int64)
    elif dtype == Dtype.BOOLEAN:
        typed.booleans = np.zeros(size, dtype=np.bool_)
    elif dtype == Dtype.DATETIME:
        typed.nanos = np.zeros(size, dtype=np.int64)
    else:
        typed.text = pa.nulls(size, pa.string())
    return typed
