"""The training leaderboard: runs ranked by the quality gate's metric."""

from __future__ import annotations

from mlops.config import MetricDirection, ProjectConfig
from mlops.pipeline.records import RunRecord


def leaderboard(records: list[RunRecord], config: ProjectConfig) -> list[RunRecord]:
    """Best first by the gate's metric (in its direction); runs without it (failed, unchanged)
    last, newest first."""
    metric, maximize = config.quality_gate.metric, config.quality_gate.direction is MetricDirection.MAXIMIZE
    scored = [r for r in records if metric in r.metrics]
    unscored = [r for r in records if metric not in r.metrics]
    scored.sort(key=lambda r: (-r.metrics[metric] if maximize else r.metrics[metric], -r.started_at.timestamp()))
    unscored.sort(key=lambda r: r.started_at, reverse=True)
    return scored + unscored
