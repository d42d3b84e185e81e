"""Typed errors of the training pipeline's decisions."""

from __future__ import annotations

from collections.abc import Iterable

from mlops.errors import MlopsError


class MissingMetricError(MlopsError):
    """The quality gate's metric is not among the evaluation's (or the champion's) metrics."""

    error_name = "Mlops.MissingMetricError"
    exit_code = 4

    def __init__(self, metric: str, available: Iterable[str], *, source: str = "evaluation") -> None:
        self.metric = metric
        self.available = sorted(available)
        self.source = source
        known = ", ".join(self.available) or "none"
        super().__init__(f"the {source} metrics have no {metric!r} (available: {known})")


class UnknownInstanceTypeError(MlopsError):
    """No price is known for an instance type."""

    error_name = "Mlops.UnknownInstanceTypeError"
    exit_code = 4

    def __init__(self, instance_type: str, known: Iterable[str]) -> None:
        self.instance_type = instance_type
        self.known = sorted(known)
        super().__init__(f"no price for instance type {instance_type!r} (known: {', '.join(self.known)})")
