"""Full matches of a column's `regex`, the fast way where the pattern allows it.

Most patterns in schemas describe fixed-format codes: `ID[0-9]{8}`, `[a-z]{3}-[0-9]{4}`,
`[A-Z]{2}\\d{6}`. Such a pattern is a fixed number of ASCII byte classes, one per position, so a
value matches in full exactly when it has that many bytes and byte `j` is in class `j`: a table
look-up per position over all values at once, instead of running RE2 value by value. Anything
else (alternation, groups, variable repetition, `.`, negated classes, flags, non-ASCII) is left
to RE2, whose semantics these match where they apply: ASCII classes only, `\\d` `\\w` `\\s` as
RE2 defines them, `^`/`$` as the start/end of the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from mlops.data import textbytes

BoolArray = npt.NDArray[np.bool_]
FullMatch = Callable[[pa.Array], BoolArray]

_SHORTHANDS = {
    "d": "0123456789",
    "w": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_",
    "s": "\t\n\f\r ",
}
_METACHARACTERS = set(".^$*+?()[]{}|\\")
_MAX_WIDTH = 256


class _UnsupportedPatternError(Exception):
    """The pattern is not a fixed sequence of ASCII byte classes: RE2 runs it."""


def _printable(char: str) -> bool:
    return " " <= char <= "~"


def _escape(pattern: str, at: int) -> tuple[str, int]:
    """The characters an escape at `pattern[at] == '\\'` stands for, and the index after it."""
    if at + 1 >= len(pattern):
        raise _UnsupportedPatternError
    char = pattern[at + 1]
    if char in _SHORTHANDS:
        return _SHORTHANDS[char], at + 2
    if _printable(char) and not char.isalnum():
        return char, at + 2  # an escaped punctuation character is itself
    raise _UnsupportedPatternError  # \D, \b, \x41, \n, ...: left to RE2


def _bracket(pattern: str, at: int) -> tuple[str, int]:
    """The characters of a class `[...]` opening at `at`, and the index after it."""
    at += 1
    if at < len(pattern) and pattern[at] == "^":
        raise _UnsupportedPatternError  # a negated class also matches non-ASCII characters
    opened = at
    members: list[str] = []
    while at < len(pattern) and pattern[at] != "]":
        if pattern[at] == "\\":
            chars, at = _escape(pattern, at)
        elif pattern[at] == "[":
            raise _UnsupportedPatternError  # [[:alpha:]] and the like
        elif pattern[at] == "-" and at != opened and pattern[at + 1 : at + 2] != "]":
            raise _UnsupportedPatternError  # a dash that is neither first, last nor a range
        elif _printable(pattern[at]):
            chars, at = pattern[at], at + 1
        else:
            raise _UnsupportedPatternError
        if len(chars) == 1 and at + 1 < len(pattern) and pattern[at] == "-" and pattern[at + 1] != "]":
            if pattern[at + 1] == "\\":
                end, at = _escape(pattern, at + 1)
            else:
                end, at = pattern[at + 1], at + 2
            if len(end) != 1 or not _printable(end) or end < chars:
                raise _UnsupportedPatternError
            chars = "".join(chr(c) for c in range(ord(chars), ord(end) + 1))
        members.append(chars)
    if at >= len(pattern):
        raise _UnsupportedPatternError
    return "".join(members), at + 1


def _repeat(pattern: str, at: int) -> tuple[int, int]:
    """A quantifier after an atom: `{n}` only (other quantifiers make the width vary)."""
    if at >= len(pattern) or pattern[at] not in "{*+?":
        return 1, at
    close = pattern.find("}", at)
    body = pattern[at + 1 : close] if pattern[at] == "{" and close > 0 else ""
    if not body.isdigit() or not body.isascii():
        raise _UnsupportedPatternError
    return int(body), close + 1


def byte_classes(pattern: str) -> list[npt.NDArray[np.bool_]] | None:
    """One 256-entry table per byte position when `pattern` (unanchored, as written in the schema)
    is a fixed sequence of ASCII classes; None otherwise."""
    body = pattern.removeprefix("^")
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    tables: list[npt.NDArray[np.bool_]] = []
    at = 0
    try:
        while at < len(body):
            char = body[at]
            if char == "[":
                members, at = _bracket(body, at)
            elif char == "\\":
                members, at = _escape(body, at)
            elif char in _METACHARACTERS or not _printable(char):
                raise _UnsupportedPatternError
            else:
                members, at = char, at + 1
            count, at = _repeat(body, at)
            tables += [textbytes.byte_set(members)] * count
            if len(tables) > _MAX_WIDTH:
                raise _UnsupportedPatternError
    except _UnsupportedPatternError:
        return None
    return tables


def full_match(pattern: str) -> FullMatch:
    """Per value of a string array: whether it matches `pattern` in full (False for nulls)."""
    tables = byte_classes(pattern)
    if tables is None:
        anchored = f"^(?:{pattern})$"
        return lambda values: np.asarray(
            pc.fill_null(pc.match_substring_regex(values, anchored), False).to_numpy(zero_copy_only=False),
            dtype=np.bool_,
        )
    classes = [_ByteClass.of(table) for table in tables]
    return lambda values: _match_classes(values, classes)


def _match_classes(values: pa.Array, classes: list[_ByteClass]) -> BoolArray:
    width = len(classes)
    bounds = textbytes.offsets(values)
    data = textbytes.data(values)
    matches: BoolArray = np.diff(bounds) == width
    if values.null_count:
        matches &= np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    if width == 0 or not matches.any():
        return matches
    if matches.all():
        matrix = data[bounds[0] : bounds[-1]].reshape(-1, width)  # every value `width` bytes: no copy
        for j, byte_class in enumerate(classes):
            matches &= byte_class.admits(matrix[:, j])
        return matches
    rows = np.flatnonzero(matches)
    starts = bounds[rows]
    kept = np.ones(rows.size, dtype=np.bool_)
    for j, byte_class in enumerate(classes):
        kept &= byte_class.admits(np.take(data, starts + j))
    matches[rows] = kept
    return matches


@dataclass(frozen=True)
class _ByteClass:
    """The bytes one position admits: `table`, or when they are one range (a literal, `[0-9]`,
    `[a-z]`) `low` and `span`, tested by one wrapping subtraction and one comparison, several
    times cheaper than a gather."""

    table: npt.NDArray[np.bool_]
    low: int
    span: int | None

    @classmethod
    def of(cls, table: npt.NDArray[np.bool_]) -> _ByteClass:
        members = np.flatnonzero(table)
        low, high = int(members[0]), int(members[-1])
        return cls(table, low, high - low if high - low + 1 == members.size else None)

    def admits(self, column: npt.NDArray[np.uint8]) -> BoolArray:
        if self.span is None:
            return np.take(self.table, column)
        return np.subtract(column, np.uint8(self.low), dtype=np.uint8) <= np.uint8(self.span)
