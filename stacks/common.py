"""What every stack of the platform shares: where it deploys and how it is named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Environment
from aws_cdk import aws_logs as logs


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    env: Environment
    stack_name: str
    description: str
    termination_protection: bool

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "stack_name": self.stack_name,
            "description": self.description,
            "termination_protection": self.termination_protection,
        }


def log_retention(days: int) -> logs.RetentionDays:
    """The config speaks days; CDK's enum has names (the config restricts days to these)."""
    return _RETENTION[days]


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
