"""The shared bounded wait (tests/waiting.py), on a fake clock: nothing here really waits."""

import pytest

from tests.waiting import WaitTimeoutError, wait_until


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_returns_the_first_value_that_satisfies_the_condition() -> None:
    clock = FakeClock()
    values = iter(["RUNNING", "RUNNING", "SUCCEEDED", "never read"])
    found = wait_until(
        lambda: next(values),
        until=lambda status: status != "RUNNING",
        timeout=10,
        what="the execution",
        interval=0.5,
        clock=clock,
        sleep=clock.sleep,
    )
    assert found == "SUCCEEDED"
    assert clock.slept == [0.5, 0.5]


def test_a_value_ready_at_once_needs_no_pause() -> None:
    clock = FakeClock()
    assert wait_until(lambda: {"ready": True}, timeout=1, what="x", clock=clock, sleep=clock.sleep) == {"ready": True}
    assert clock.slept == []


def test_a_timeout_names_what_was_awaited_and_the_last_value_seen() -> None:
    clock = FakeClock()
    polls = iter(range(100))
    with pytest.raises(WaitTimeoutError) as caught:
        wait_until(
            lambda: {"status": "InProgress", "poll": next(polls)},
            until=lambda described: described["status"] == "Completed",
            timeout=1.0,
            what="training job j-1 to complete",
            interval=0.3,
            clock=clock,
            sleep=clock.sleep,
        )
    message = str(caught.value)
    assert message.startswith("waited 1 s (5 polls) for training job j-1 to complete; last value seen: ")
    # polled at 0, 0.3, 0.6, 0.9 and once more at the deadline itself
    assert caught.value.last == {"status": "InProgress", "poll": 4}
    assert sum(clock.slept) == pytest.approx(1.0)
    assert isinstance(caught.value, AssertionError)  # reported by pytest as a failure, not an error


def test_a_huge_last_value_is_shortened_in_the_message() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeoutError) as caught:
        wait_until(lambda: "x" * 10_000, until=lambda _: False, timeout=0, what="y", clock=clock, sleep=clock.sleep)
    assert len(str(caught.value)) < 2100 and str(caught.value).endswith("...")


def test_errors_of_the_probe_are_not_waited_out() -> None:
    def broken() -> int:
        raise KeyError("no such job")

    with pytest.raises(KeyError):
        wait_until(broken, timeout=10, what="z")
