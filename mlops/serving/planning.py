"""The deploy workflow's first step: what to deploy, under which names, onto which endpoint.

`Planner.plan` validates the model package (it exists, belongs to the dataset's group and is
approved; default: the group's newest approved package), derives every name from
mlops/serving/naming.py, checks the strategy against SageMaker's limits, takes the dataset's
deployment lock and writes the `in_progress` history record. The state machine does the
SageMaker calls with what it returns.

Approval events can arrive more than once for one state change, and in an auto-approving
environment the registration and its approval are the same event: a `registration` or
`approval` deployment of the package already serving, or already being deployed, is skipped
(`skip`, no record) instead of failing as a second deployment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mlops import names
from mlops.config import DeploymentStrategy, ProjectConfig
from mlops.data.errors import UnknownDatasetError
from mlops.registry.model_packages import ModelPackages
from mlops.serving import deployment_plan, naming
from mlops.serving.adapters import Hosting
from mlops.serving.errors import (
    EndpointNotUpdatableError,
    ModelPackageNotApprovedError,
    ModelPackageNotFoundError,
    NoApprovedModelError,
)
from mlops.serving.history import DeploymentHistory, RunningProbe
from mlops.serving.models import DeploymentLock, DeploymentRecord, Trigger

#: triggers that are events about a package (possibly delivered twice)
EVENT_TRIGGERS = frozenset({"registration", "approval"})


class DeployRequest(BaseModel):
    """The deploy workflow's input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str
    model_package_arn: str | None = None
    trigger: Trigger = "manual"
    triggered_by: str = "unknown"
    strategy: DeploymentStrategy | None = None


class DeploymentPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    deployment_id: str
    dataset: str
    started_at: datetime
    skip: bool = False
    skip_reason: str | None = None
    model_package_arn: str
    model_version: int
    model_name: str
    #: False when the version's SageMaker Model exists already (a redeploy, a rollback)
    create_model: bool
    #: CreateModel's PrimaryContainer: the package's image, artifact and environment
    container: dict[str, Any]
    endpoint_name: str
    endpoint_config_name: str
    endpoint_exists: bool
    previous_endpoint_config_name: str | None = None
    previous_model_version: int | None = None
    strategy: DeploymentStrategy
    alarm_names: list[str]
    data_version: str | None = None
    data_version_id: str | None = None


def alarm_names(config: ProjectConfig, dataset: str) -> list[str]:
    return [naming.alarm(config.prefix, dataset, alarm.metric) for alarm in config.deployment.alarms]


def package_version(arn: str) -> int:
    """The version of a versioned model package ARN (`...:model-package/<group>/<version>`)."""
    tail = arn.rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise ModelPackageNotFoundError(f"{arn} is not a versioned model package ARN (.../<group>/<version>)")
    return int(tail)


class Planner:
    def __init__(
        self,
        config: ProjectConfig,
        packages: ModelPackages,
        hosting: Hosting,
        history: DeploymentHistory,
        is_running: RunningProbe,
    ) -> None:
        self._config = config
        self._packages = packages
        self._hosting = hosting
        self._history = history
        self._is_running = is_running

    def _package(self, request: DeployRequest) -> dict[str, Any]:
        group = names.model_package_group(self._config, request.dataset)
        arn = request.model_package_arn or self._packages.newest_approved(group)
        if arn is None:
            raise NoApprovedModelError(f"model package group {group} has no approved model package to deploy")
        described = self._packages.describe(arn)
        if described is None:
            raise ModelPackageNotFoundError(f"there is no model package {arn}")
        if described.get("ModelPackageGroupName") != group:
            raise ModelPackageNotFoundError(
                f"{arn} belongs to {described.get('ModelPackageGroupName')}, not to {group} (dataset {request.dataset})"
            )
        status = described.get("ModelApprovalStatus")
        if status != "Approved":
            raise ModelPackageNotApprovedError(
                f"{arn} is {status}: only approved packages are deployed (mlops model approve "
                f"{request.dataset}@{package_version(arn)})"
            )
        return described

    def plan(
        self, request: DeployRequest, *, deployment_id: str, execution_arn: str, started_at: datetime
    ) -> DeploymentPlan:
        config, dataset = self._config, request.dataset
        if dataset not in config.datasets:
            raise UnknownDatasetError(dataset, list(config.datasets))
        described = self._package(request)
        arn = str(described["ModelPackageArn"])
        version = int(described.get("ModelPackageVersion") or package_version(arn))
        strategy = request.strategy or config.deployment.strategy
        alarms = alarm_names(config, dataset)
        # SageMaker's limits, checked before anything is created (DeploymentPlanError)
        deployment_plan.deployment_config(config.deployment.model_copy(update={"strategy": strategy}), alarms)
        endpoint = naming.endpoint(config.prefix, dataset)
        [container] = described["InferenceSpecification"]["Containers"][:1]
        metadata = described.get("CustomerMetadataProperties") or {}
        plan = DeploymentPlan(
            deployment_id=deployment_id,
            dataset=dataset,
            started_at=started_at,
            model_package_arn=arn,
            model_version=version,
            model_name=naming.model(config.prefix, dataset, version),
            create_model=True,
            container={
                "Image": container["Image"],
                "ModelDataUrl": container["ModelDataUrl"],
                "Environment": dict(container.get("Environment") or {}),
            },
            endpoint_name=endpoint,
            endpoint_config_name=naming.endpoint_config(config.prefix, dataset, version, deployment_id),
            endpoint_exists=False,
            strategy=strategy,
            alarm_names=alarms,
            data_version=metadata.get("data_version"),
            data_version_id=metadata.get("data_version_id"),
        )
        if request.trigger in EVENT_TRIGGERS and (duplicate := self._duplicate(plan)):
            return plan.model_copy(update={"skip": True, "skip_reason": duplicate})
        stale = self._history.acquire(
            DeploymentLock(
                dataset=dataset,
                deployment_id=deployment_id,
                execution_arn=execution_arn,
                started_at=started_at,
                model_package_arn=arn,
                model_version=version,
            ),
            self._is_running,
        )
        if stale is not None:
            self._close_stale(stale, started_at)
        state = self._hosting.endpoint_state(endpoint)
        if state is not None and state.status != "InService":
            raise EndpointNotUpdatableError(
                f"endpoint {endpoint} is {state.status}: a deployment starts from InService"
                + (f" ({state.failure_reason})" if state.failure_reason else "")
                + ("; delete the failed endpoint to deploy afresh" if state.status == "Failed" else "")
            )
        previous = state.endpoint_config_name if state else None
        plan = plan.model_copy(
            update={
                "create_model": not self._hosting.model_exists(plan.model_name),
                "endpoint_exists": state is not None,
                "previous_endpoint_config_name": previous,
                "previous_model_version": naming.version_of(previous) if previous else None,
            }
        )
        self._history.begin(record_of(plan, config.environment, request, execution_arn))
        return plan

    def _close_stale(self, stale: DeploymentLock, now: datetime) -> None:
        """A deployment whose execution ended without recording its end (stopped, timed out,
        or failed with an error no Catch can take, like States.Runtime) is recorded `failed`."""
        record = self._history.record(stale.dataset, stale.started_at, stale.deployment_id)
        if record is None or record.status != "in_progress":
            return
        reason = f"its execution {stale.execution_arn} ended without recording an outcome"
        self._history.finish(record.model_copy(update={"status": "failed", "reason": reason, "finished_at": now}))

    def _duplicate(self, plan: DeploymentPlan) -> str | None:
        current = self._history.current(plan.dataset)
        if current is not None and current.model_package_arn == plan.model_package_arn:
            return f"{plan.model_package_arn} is serving already (deployment {current.deployment_id})"
        lock = self._history.lock(plan.dataset)
        if (
            lock is not None
            and lock.model_package_arn == plan.model_package_arn
            and lock.deployment_id != plan.deployment_id
            and lock.execution_arn is not None
            and self._is_running(lock.execution_arn)
        ):
            return f"{plan.model_package_arn} is being deployed already (deployment {lock.deployment_id})"
        return None


def record_of(plan: DeploymentPlan, environment: str, request: DeployRequest, execution_arn: str) -> DeploymentRecord:
    return DeploymentRecord(
        deployment_id=plan.deployment_id,
        dataset=plan.dataset,
        environment=environment,
        endpoint_name=plan.endpoint_name,
        model_version=plan.model_version,
        model_package_arn=plan.model_package_arn,
        model_name=plan.model_name,
        endpoint_config_name=plan.endpoint_config_name,
        previous_endpoint_config_name=plan.previous_endpoint_config_name,
        previous_model_version=plan.previous_model_version,
        strategy=plan.strategy.value,
        trigger=request.trigger,
        triggered_by=request.triggered_by,
        started_at=plan.started_at,
        execution_arn=execution_arn,
    )
