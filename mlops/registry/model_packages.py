"""SageMaker model registry access: registering a model package and finding the champion.

The champion a challenger is gated against is the model package the environment's endpoint
serves (the serving pointer, mlops/serving/models.py; chosen in mlops/pipeline/resolve.py) and,
while nothing serves yet, the group's newest *approved* package (`champion`): in dev (auto
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

    def describe(self, arn: str) -> dict[str, Any] | None:
        """DescribeModelPackage, or None when there is no such package."""
        try:
            described: dict[str, Any] = self._sagemaker.describe_model_package(ModelPackageName=arn)
        except ClientError as exc:
            if exc.response["Error"].get("Code") in {"ValidationException", "ResourceNotFound"}:
                return None
            raise
        return described

    def newest_approved(self, group: str) -> str | None:
        """The ARN of the newest approved package of `group` (None: none approved, or no group)."""
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
        return str(newest["ModelPackageArn"])

    def versions(self, group: str) -> list[int]:
        """Every version number of `group`, any approval status."""
        found: list[int] = []
        kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "MaxResults": 100}
        while True:
            page = self._sagemaker.list_model_packages(**kwargs)
            found += [int(s["ModelPackageVersion"]) for s in page.get("ModelPackageSummaryList") or []]
            if not page.get("NextToken"):
                return sorted(found)
            kwargs["NextToken"] = page["NextToken"]

    def approve(self, arn: str, description: str) -> None:
        self._sagemaker.update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription=description[:1024]
        )

    def champion(self, group: str) -> Champion | None:
        """The newest approved package of `group`, or None (no group yet, or none approved)."""
        arn = self.newest_approved(group)
        return self.champion_of(arn) if arn else None

    def champion_of(self, arn: str) -> Champion:
        """`arn` as the champion: its version and the metrics its registration recorded."""
        try:
            described = self._sagemaker.describe_model_package(ModelPackageName=arn)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ChampionLookupError(f"cannot read the champion {arn}: {code}") from exc
        raw = (described.get("CustomerMetadataProperties") or {}).get("metrics")
        if raw is None:
            raise ChampionMetricsError(f"the champion {arn} has no 'metrics' in its customer metadata")
        try:
            metrics = {str(k): float(v) for k, v in json.loads(raw).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise ChampionMetricsError(f"the champion {arn} has unreadable metrics {raw[:200]!r}: {exc}") from exc
        version = int(described.get("ModelPackageVersion") or arn.rsplit("/", 1)[-1])
        return Champion(model_package_arn=arn, version=version, metrics=metrics)
