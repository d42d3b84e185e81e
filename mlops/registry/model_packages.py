"""SageMaker model registry access: registering a model package and finding the champion.

The champion of a model package group is its newest *approved* model package: in dev (auto
approval) the last model that passed the gate, in prod the last one a person approved. Its
metrics are read from the package's `CustomerMetadataProperties["metrics"]`, which the
pipeline's registration step writes (see mlops/pipeline/registration.py).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from mlops.errors import MlopsError


class ChampionMetricsError(MlopsError):
    """The champion's recorded metrics cannot be read."""

    error_name = "Mlops.ChampionMetrics"


class ChampionLookupError(MlopsError):
    """The model registry could not be asked for the champion (the run must not go on without it)."""

    error_name = "Mlops.ChampionLookupFailed"


class Champion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    model_package_arn: str
    version: int
    metrics: dict[str, float]


class ModelPackages:
    def __init__(self, client: Any) -> None:
        self._sagemaker = client

    def create(self, request: dict[str, Any]) -> str:
        arn: str = self._sagemaker.create_model_package(**request)["ModelPackageArn"]
        return arn

    def approval_status(self, arn: str) -> str | None:
        """The package's approval status, or None when it no longer exists."""
        try:
            described = self._sagemaker.describe_model_package(ModelPackageName=arn)
        except ClientError as exc:
            # SageMaker answers a missing package with a ValidationException; reading any other
            # one as "missing" too only means an identical run trains again, never a lost model
            if exc.response["Error"].get("Code") in {"ValidationException", "ResourceNotFound"}:
                return None
            raise
        return str(described.get("ModelApprovalStatus") or "") or None

    def champion(self, group: str) -> Champion | None:
        """The newest approved package of `group`, or None (no group yet, or none approved)."""
        try:
            page = self._sagemaker.list_model_packages(
                ModelPackageGroupName=group,
                ModelApprovalStatus="Approved",
                SortBy="CreationTime",
                SortOrder="Descending",
                MaxResults=20,
            )
        except ClientError as exc:
            # never read as "no champion": a regression would then pass the gate unchallenged
            code = exc.response.get("Error", {}).get("Code", "")
            raise ChampionLookupError(f"cannot look up the champion of model package group {group}: {code}") from exc
        summaries = page.get("ModelPackageSummaryList") or []
        if not summaries:
            return None
        # creation times can tie within a page; the version number cannot
        newest = max(summaries, key=lambda s: (int(s.get("ModelPackageVersion") or 0), s["CreationTime"]))
        arn = str(newest["ModelPackageArn"])
        described = self._sagemaker.describe_model_package(ModelPackageName=arn)
        raw = (described.get("CustomerMetadataProperties") or {}).get("metrics")
        if raw is None:
            raise ChampionMetricsError(f"the champion {arn} has no 'metrics' in its customer metadata")
        try:
            metrics = {str(k): float(v) for k, v in json.loads(raw).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise ChampionMetricsError(f"the champion {arn} has unreadable metrics {raw[:200]!r}: {exc}") from exc
        return Champion(model_package_arn=arn, version=int(newest.get("ModelPackageVersion") or 0), metrics=metrics)
