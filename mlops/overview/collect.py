"""Reads what the overview page shows: the registry table (data versions, run records,
deployments, the serving pointer, drift checks) and the SageMaker model registry.

A section that cannot be read (a stack not deployed yet, missing permissions) becomes a
problem shown on the page, never an empty section that looks like "nothing happened"."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from mlops import names
from mlops.config import ProjectConfig
from mlops.monitoring.records import MonitorRecords
from mlops.overview.models import DatasetOverview, DriftCheck, ModelVersion, Overview
from mlops.pipeline.leaderboard import leaderboard
from mlops.pipeline.records import RunRecords
from mlops.registry.data_versions import DataVersionRegistry
from mlops.serving.history import DeploymentHistory

T = TypeVar("T")
#: newest model packages shown per dataset
MODEL_LIMIT = 50
RECORD_LIMIT = 200


def collect(config: ProjectConfig, client: Callable[[str], Any], *, now: datetime | None = None) -> Overview:
    table = names.registry_table(config)
    ddb, sagemaker = client("dynamodb"), client("sagemaker")
    versions, runs = DataVersionRegistry(ddb, table), RunRecords(ddb, table)
    history, monitor = DeploymentHistory(ddb, table), MonitorRecords(ddb, table)
    sources = _Sources(config, versions, runs, history, monitor, sagemaker)
    datasets = [sources.dataset(name) for name in sorted(config.datasets)]
    return Overview(
        project=config.project,
        environment=config.environment,
        generated_at=now or datetime.now(UTC),
        gate_metric=config.quality_gate.metric,
        gate_direction=config.quality_gate.direction.value,
        datasets=datasets,
    )


def _models(sagemaker: Any, group: str) -> list[ModelVersion]:
    try:
        page = sagemaker.list_model_packages(
            ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", MaxResults=MODEL_LIMIT
        )
    except ClientError as exc:
        # no group yet: nothing was registered (SageMaker answers a ValidationException)
        if exc.response.get("Error", {}).get("Code") in {"ValidationException", "ResourceNotFound"}:
            return []
        raise
    found = []
    for summary in page.get("ModelPackageSummaryList") or []:
        arn = str(summary["ModelPackageArn"])
        described = sagemaker.describe_model_package(ModelPackageName=arn)
        metadata = described.get("CustomerMetadataProperties") or {}
        try:
            metrics = {str(k): float(v) for k, v in json.loads(metadata.get("metrics") or "{}").items()}
        except (ValueError, TypeError, AttributeError):
            metrics = {}
        found.append(
            ModelVersion(
                version=int(summary.get("ModelPackageVersion") or arn.rsplit("/", 1)[-1]),
                model_package_arn=arn,
                approval_status=str(summary.get("ModelApprovalStatus") or ""),
                created_at=summary["CreationTime"],
                metrics=metrics,
                data_version=metadata.get("data_version"),
            )
        )
    return found


class _Sources:
    def __init__(
        self,
        config: ProjectConfig,
        versions: DataVersionRegistry,
        runs: RunRecords,
        history: DeploymentHistory,
        monitor: MonitorRecords,
        sagemaker: Any,
    ) -> None:
        self._config, self._versions, self._runs = config, versions, runs
        self._history, self._monitor, self._sagemaker = history, monitor, sagemaker

    def dataset(self, name: str) -> DatasetOverview:
        problems: list[str] = []

        def read(what: str, fn: Callable[[], T]) -> T | None:
            try:
                return fn()
            except (ClientError, BotoCoreError) as exc:
                code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
                problems.append(f"{what}: cannot be read ({code or type(exc).__name__}: {exc})")
                return None

        group = names.model_package_group(self._config, name)
        checks = read("drift checks", lambda: self._monitor.checks(name, limit=RECORD_LIMIT)) or []
        deployments = read("deployments", lambda: self._history.list(name, limit=RECORD_LIMIT)) or []
        return DatasetOverview(
            name=name,
            data_versions=(read("data versions", lambda: self._versions.list(name)) or []),
            runs=leaderboard(
                (read("training runs", lambda: self._runs.list(name, limit=RECORD_LIMIT)) or []), self._config
            ),
            models=(read("model versions", lambda: _models(self._sagemaker, group)) or []),
            serving=read("serving", lambda: self._history.current(name)),
            deployments=sorted(deployments, key=lambda r: r.started_at),
            drift_checks=[
                DriftCheck(
                    checked_at=c.checked_at,
                    verdict=c.verdict,
                    drifted_share=c.drifted_share,
                    drifted_features=c.drifted_features,
                    quality_metric=c.quality_metric,
                    quality_value=c.quality_value,
                    report_uri=c.html_uri,
                )
                for c in sorted(checks, key=lambda c: c.checked_at)
            ],
            problems=problems,
        )
