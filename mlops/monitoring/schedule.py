"""EventBridge Scheduler expressions: parsed, and their occurrences computed (pure, UTC).

- `rate(value unit)`: value a positive integer, unit `minute|minutes|hour|hours|day|days`
  (singular exactly when the value is 1, as AWS requires). Occurrences: `anchor + k * interval`
  for k >= 1 (Scheduler starts counting when the schedule is created).
- `cron(minutes hours day-of-month month day-of-week year)`: six fields; one of day-of-month
  and day-of-week must be `?`. Fields take `*`, values, ranges `a-b`, lists `a,b`, increments
  `a/n` and `*/n`; months `JAN-DEC`, weekdays `SUN-SAT` (1 = Sunday, as in AWS); day-of-month
  `L` (the last day) and `nW` (the weekday nearest day n); day-of-week `nL` (the last weekday n
  of the month) and `n#k` (the k-th weekday n).
- `at(yyyy-mm-ddThh:mm:ss)`: one occurrence.

Time zones other than UTC are not modelled: our schedules are created without one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
#: how far ahead a cron expression is searched for its next occurrence
_HORIZON_DAYS = 366 * 8


class ScheduleExpressionError(ValueError):
    """Not an expression EventBridge Scheduler accepts (the message says why)."""


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        elapsed = (moment - anchor).total_seconds()
        periods = max(int(elapsed // self.seconds) + 1, 1)
        return anchor + timedelta(seconds=periods * self.seconds)


@dataclass(frozen=True)
class At:
    moment: datetime

    def next_after(self, moment: datetime, anchor: datetime) -> datetime | None:
        del anchor
        return self.moment if self.moment > moment else None


@dataclass(frozen=True)
class _DayOfMonth:
    days: frozenset[int]
    last: bool = False
    nearest_weekday: int | None = None

    def matches(self, day: date) -> bool:
        last_day = calendar.monthrange(day.year, day.month)[1]
        if self.last:
            return day.day == last_day
        if self.nearest_weekday is not None:
            target = date(day.year, day.month, min(self.nearest_weekday, last_day))
            if target.weekday() == 5:  # Saturday: the Friday before, unless that leaves the month
                target = target - timedelta(days=1) if target.day > 1 else target + timedelta(days=2)
            elif target.weekday() == 6:  # Sunday: the Monday after, unless that leaves the month
                target = target + timedelta(days=1) if target.day < last_day else target - timedelta(days=2)
            return day == target
        return day.day in self.days


@dataclass(frozen=True)
class _DayOfWeek:
    days: frozenset[int]  # 1 = Sunday ... 7 = Saturday
    last: bool = False
    nth: int | None = None

    def matches(self, day: date) -> bool:
        weekday = (day.weekday() + 1) % 7 + 1  # Python: Monday 0 -> AWS: Monday 2
        if weekday not in self.days:
            return False
        if self.last:
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        if self.nth is not None:
            return (day.day - 1) // 7 + 1 == self.nth
        return True


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: _DayOfMonth | None
    months: frozenset[int]
    day_of_week: _DayOfWeek | None
    years: frozenset[int] | None

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        if self.day_of_month is not None and not self.day_of_month.matches(day):
            return False
        return self.day_of_week is None or self.day_of_week.matches(day)

    def next_after(self, moment: datetime, anchor: datetime) -> datetime | None:
        del anchor
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(_HORIZON_DAYS):
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


Expression = Rate | Cron | At


def parse(expression: str) -> Expression:
    text = expression.strip()
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2)
        if value < 1:
            raise ScheduleExpressionError(f"{expression!r}: the rate must be at least 1")
        if (value == 1) != (not unit.endswith("s")):
            right = unit.rstrip("s") if value == 1 else unit + ("" if unit.endswith("s") else "s")
            raise ScheduleExpressionError(f"{expression!r}: write rate({value} {right})")
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    if match := _AT.match(text):
        return At(datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC))
    if match := _CRON.match(text):
        return _cron(expression, match.group(1).split())
    raise ScheduleExpressionError(f"{expression!r} is not rate(value unit), cron(6 fields) or at(timestamp)")


def interval_seconds(expression: Expression) -> int | None:
    """The fixed interval of a rate expression; None for cron (irregular) and at (one-off)."""
    return expression.seconds if isinstance(expression, Rate) else None


def _cron(expression: str, fields: list[str]) -> Cron:
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression!r}: cron takes 6 fields, got {len(fields)}")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    try:
        return Cron(
            minutes=tuple(sorted(_values(minutes, 0, 59))),
            hours=tuple(sorted(_values(hours, 0, 23))),
            day_of_month=None if dom == "?" else _day_of_month(dom),
            months=frozenset(_values(month, 1, 12, _MONTHS)),
            day_of_week=None if dow == "?" else _day_of_week(dow),
            years=None if year == "*" else frozenset(_values(year, 1970, 2199)),
        )
    except ValueError as exc:
        raise ScheduleExpressionError(f"{expression!r}: {exc}") from exc


def _number(token: str, names: dict[str, int] | None) -> int:
    if names and token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ValueError(f"{token!r} is not a number")
    return int(token)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    found: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, None) if step_text else 1
        if step < 1:
            raise ValueError(f"increment {step_text!r} must be positive")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(base, names)
            last = high if step_text else first
        if not low <= first <= high or not low <= last <= high or first > last:
            raise ValueError(f"{part!r} is outside {low}-{high}")
        found.update(range(first, last + 1, step))
    return found


def _day_of_month(field: str) -> _DayOfMonth:
    if field == "L":
        return _DayOfMonth(frozenset(), last=True)
    if field.endswith("W"):
        return _DayOfMonth(frozenset(), nearest_weekday=_number(field[:-1], None))
    return _DayOfMonth(frozenset(_values(field, 1, 31)))


def _day_of_week(field: str) -> _DayOfWeek:
    if field.endswith("L") and len(field) > 1:
        return _DayOfWeek(frozenset({_number(field[:-1], _WEEKDAYS)}), last=True)
    if "#" in field:
        day, nth = field.split("#", 1)
        if not 1 <= _number(nth, None) <= 5:
            raise ValueError(f"{field!r}: the week must be 1-5")
        return _DayOfWeek(frozenset({_number(day, _WEEKDAYS)}), nth=_number(nth, None))
    return _DayOfWeek(frozenset(_values(field, 1, 7, _WEEKDAYS)))
