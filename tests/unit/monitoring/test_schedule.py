"""EventBridge Scheduler expressions: what the config accepts and when the local cloud fires."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from mlops import config as config_module
from mlops.errors import ConfigError
from mlops.monitoring.schedule import Cron, Rate, ScheduleExpressionError, interval_seconds, parse

START = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("expression", "first"),
    [
        ("rate(1 day)", datetime(2026, 1, 2, tzinfo=UTC)),
        ("rate(5 minutes)", datetime(2026, 1, 1, 0, 5, tzinfo=UTC)),
        ("cron(0 12 * * ? *)", datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2026, 1, 1, 0, 15, tzinfo=UTC)),
        ("cron(0 18 ? * MON-FRI *)", datetime(2026, 1, 1, 18, tzinfo=UTC)),
        ("cron(0 8 ? * SAT,SUN *)", datetime(2026, 1, 3, 8, tzinfo=UTC)),
        ("cron(15 10 L * ? *)", datetime(2026, 1, 31, 10, 15, tzinfo=UTC)),
        ("cron(0 9 ? * 6L *)", datetime(2026, 1, 30, 9, tzinfo=UTC)),
        ("cron(0 9 ? * 2#1 *)", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("cron(0 8 3W * ? *)", datetime(2026, 1, 2, 8, tzinfo=UTC)),  # the 3rd is a Saturday
        ("cron(0 0 1 JUN ? 2027)", datetime(2027, 6, 1, tzinfo=UTC)),
        ("at(2026-03-01T00:00:00)", datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_first_occurrence(expression: str, first: datetime) -> None:
    assert parse(expression).next_after(START, START) == first


def test_rates_count_from_their_anchor() -> None:
    rate = parse("rate(2 hours)")
    assert isinstance(rate, Rate) and interval_seconds(rate) == 7200
    anchor = START + timedelta(minutes=7)
    assert rate.next_after(START + timedelta(hours=3), anchor) == anchor + timedelta(hours=4)
    cron = parse("cron(0 * * * ? *)")
    assert isinstance(cron, Cron) and interval_seconds(cron) is None
    assert cron.next_after(START + timedelta(minutes=59, seconds=30), START) == START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("rate(1 days)", "write rate\\(1 day\\)"),
        ("rate(2 hour)", "write rate\\(2 hours\\)"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(1 week)", "is not rate"),
        ("cron(0 12 * * *)", "6 fields"),
        ("cron(0 12 * * * *)", "exactly one of"),
        ("cron(60 * * * ? *)", "outside 0-59"),
        ("cron(0 0 ? * 2#6 *)", "week must be 1-5"),
        ("cron(0 0 ? FOO * *)", "FOO"),
    ],
)
def test_invalid_expressions_say_why(expression: str, why: str) -> None:
    with pytest.raises(ScheduleExpressionError, match=why):
        parse(expression)


def test_the_config_refuses_a_schedule_aws_would(repo_root: Path) -> None:
    document = yaml.safe_load((repo_root / "mlops.yaml").read_text(encoding="utf-8"))
    document["drift"]["schedule"] = "cron(0 12 * * * *)"
    with pytest.raises(ConfigError) as raised:
        config_module.resolve(document, "dev")
    assert any(p.path == "drift.schedule" and "exactly one of" in p.message for p in raised.value.problems)
