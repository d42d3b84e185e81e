"""CloudWatch metric alarm evaluation (mlops.local.alarms): statistics, periods, missing data."""

from datetime import UTC, datetime, timedelta

import pytest

from mlops.local.alarms import AlarmSpec, Datapoint, evaluate, local_period, statistic

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
#: 60 s periods at scale 0.02 are 1.2 s long locally
SCALE = 0.02


def spec(**overrides: object) -> AlarmSpec:
    values: dict[str, object] = {
        "statistic": "Sum",
        "extended_statistic": None,
        "period": 60.0,
        "evaluation_periods": 2,
        "datapoints_to_alarm": None,
        "threshold": 0.0,
        "comparison": "GreaterThanThreshold",
        "treat_missing_data": None,
    }
    values.update(overrides)
    return AlarmSpec(**values)  # type: ignore[arg-type]


def at(seconds_ago: float, value: float) -> Datapoint:
    return Datapoint.single(NOW - timedelta(seconds=seconds_ago), value)


def test_periods_are_compressed_by_the_wait_scale_with_a_floor() -> None:
    assert local_period(60, 0.02) == pytest.approx(1.2)
    assert local_period(60, 1.0) == 60
    assert local_period(1, 0.02) == 0.2


@pytest.mark.parametrize(
    ("name", "expected"),
    [("SampleCount", 4), ("Sum", 10), ("Average", 2.5), ("Minimum", 1), ("Maximum", 4), ("p50", 2), ("p99", 4)],
)
def test_statistics(name: str, expected: float) -> None:
    points = [at(0.1, v) for v in (1, 2, 3, 4)]
    assert statistic(name, points) == expected


def test_statistic_sets_count_every_sample() -> None:
    aggregated = Datapoint(NOW, sum=10, count=5, minimum=1, maximum=3)
    assert statistic("Average", [aggregated, at(0.1, 4)]) == pytest.approx(14 / 6)
    assert statistic("SampleCount", [aggregated]) == 5


def test_alarm_when_enough_periods_breach() -> None:
    # two periods of 1.2 s: [now-2.4, now-1.2) and [now-1.2, now)
    result = evaluate(spec(), [at(2.0, 1), at(0.5, 3)], NOW, "OK", scale=SCALE)
    assert result.state == "ALARM"
    assert result.reason.startswith("Threshold Crossed: 2 out of the last 2 datapoints [3.0")
    assert "greater than the threshold (0.0)" in result.reason
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in result.reason


def test_datapoints_to_alarm_m_out_of_n() -> None:
    points = [at(0.5, 1), at(2.0, 0)]
    assert evaluate(spec(), points, NOW, "OK", scale=SCALE).state == "OK"
    assert evaluate(spec(datapoints_to_alarm=1), points, NOW, "OK", scale=SCALE).state == "ALARM"


def test_old_datapoints_fall_out_of_the_window() -> None:
    assert (
        evaluate(
            spec(datapoints_to_alarm=1, treat_missing_data="notBreaching"), [at(3.0, 9)], NOW, "ALARM", scale=SCALE
        ).state
        == "OK"
    )


@pytest.mark.parametrize(
    ("treat", "current", "expected"),
    [
        (None, "OK", "INSUFFICIENT_DATA"),
        ("missing", "ALARM", "INSUFFICIENT_DATA"),
        ("notBreaching", "ALARM", "OK"),
        ("breaching", "OK", "ALARM"),
        ("ignore", "ALARM", "ALARM"),
    ],
)
def test_no_data_at_all(treat: str | None, current: str, expected: str) -> None:
    assert evaluate(spec(treat_missing_data=treat), [], NOW, current, scale=SCALE).state == expected


def test_partly_missing_data_keeps_the_state_when_undecided() -> None:
    # one breaching period, one missing, M = N = 2: cannot decide without the missing one
    points = [at(0.5, 5)]
    assert evaluate(spec(), points, NOW, "OK", scale=SCALE).state == "OK"
    assert evaluate(spec(), points, NOW, "ALARM", scale=SCALE).state == "ALARM"
    assert evaluate(spec(treat_missing_data="breaching"), points, NOW, "OK", scale=SCALE).state == "ALARM"
    assert evaluate(spec(treat_missing_data="notBreaching"), points, NOW, "ALARM", scale=SCALE).state == "OK"


@pytest.mark.parametrize(
    ("comparison", "value", "state"),
    [
        ("GreaterThanOrEqualToThreshold", 0.0, "ALARM"),
        ("GreaterThanThreshold", 0.0, "OK"),
        ("LessThanThreshold", -1.0, "ALARM"),
        ("LessThanOrEqualToThreshold", 0.5, "OK"),
    ],
)
def test_comparison_operators(comparison: str, value: float, state: str) -> None:
    alarm = spec(comparison=comparison, evaluation_periods=1)
    assert evaluate(alarm, [at(0.1, value)], NOW, "INSUFFICIENT_DATA", scale=SCALE).state == state


def test_percentile_alarm_on_latency() -> None:
    latencies = [at(0.1, v) for v in [100.0] * 98 + [5000.0, 6000.0]]
    alarm = spec(statistic=None, extended_statistic="p99", threshold=1000.0, evaluation_periods=1)
    assert evaluate(alarm, latencies, NOW, "OK", scale=SCALE).state == "ALARM"
    alarm = spec(statistic=None, extended_statistic="p90", threshold=1000.0, evaluation_periods=1)
    assert evaluate(alarm, latencies, NOW, "OK", scale=SCALE).state == "OK"


def test_unknown_comparison_is_refused() -> None:
    with pytest.raises(ValueError, match="ComparisonOperator"):
        evaluate(spec(comparison="Sideways"), [], NOW, "OK", scale=SCALE)
