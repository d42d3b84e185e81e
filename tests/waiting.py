"""The one way tests wait for something: poll a probe until a condition holds, bounded in time.

Tests never sleep for a fixed time hoping that work is done by then: they name what they wait
for, and a timeout fails with that name and the last value the probe returned, so a hung job
reads as "waited 120 s for execution e-1 to finish; last seen {'status': 'RUNNING', ...}"
instead of a bare assertion or a hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: how much of the last value a timeout message shows
_SHOWN_CHARS = 2000


class WaitTimeoutError(AssertionError):
    """What a test waited for did not happen in time (an AssertionError: pytest reports a failure)."""

    def __init__(self, what: str, timeout: float, polls: int, last: object) -> None:
        shown = repr(last)
        if len(shown) > _SHOWN_CHARS:
            shown = shown[:_SHOWN_CHARS] + "..."
        super().__init__(f"waited {timeout:g} s ({polls} polls) for {what}; last value seen: {shown}")
        self.what = what
        self.last = last


def wait_until(
    probe: Callable[[], T],
    *,
    timeout: float,
    what: str,
    until: Callable[[T], bool] = bool,
    interval: float = 0.2,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `probe` until `until(value)` holds (default: the value is truthy) and return that value.

    `probe` is always called at least once, and once more after the deadline passed, so a slow
    poll never makes the wait give up on a value that became ready meanwhile. Exceptions from
    `probe` propagate: an error is not something to wait out."""
    deadline = clock() + timeout
    polls = 0
    while True:
        value = probe()
        polls += 1
        if until(value):
            return value
        if clock() >= deadline:
            raise WaitTimeoutError(what, timeout, polls, value)
        # the only sleep in the test suite: the pause between two polls of a bounded wait
        sleep(min(interval, max(deadline - clock(), 0.0)))
