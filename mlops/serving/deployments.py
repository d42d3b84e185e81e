"""Deploy workflow executions from the outside (`mlops serve deploy | rollback`): pre-flight
checks, start, follow the endpoint's traffic shift, read the outcome.

The CLI checks what it can before starting an execution, so a refusal is a clear error and
exit code rather than a failed execution: the dataset, the package (exists, approved), the
lock (no deployment in progress). The workflow checks all of it again: executions can be
started without the CLI.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from mlops import names
from mlops.config import DeploymentStrategy, ProjectConfig
from mlops.errors import ConfigProblem, MlopsError, UsageError
from mlops.registry.model_packages import ModelPackages
from mlops.serving import naming
from mlops.serving.adapters import ExecutionStatus, Hosting
from mlops.serving.errors import (
    DeploymentInProgressError,
    ModelPackageNotApprovedError,
    ModelPackageNotFoundError,
    NoApprovedModelError,
    ServingNotDeployedError,
)
from mlops.serving.history import DeploymentHistory, in_progress_message, lock_is_stale
from mlops.serving.models import DeploymentRecord, DeploymentStatus, Trigger
from mlops.serving.rollback import rollback_target

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class DeploymentTimeoutError(MlopsError):
    error_name = "Mlops.DeploymentWaitTimeout"


class ModelRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    dataset: str
    version: int | None = None


def parse_model_ref(config: ProjectConfig, ref: str | None, dataset: str | None = None) -> ModelRef:
    """`NAME@N` (NAME: a dataset, or its model package group), `NAME`, or nothing (then
    `--dataset`, or the config's only dataset)."""
    name, _, version_text = ref.partition("@") if ref else (dataset or "", "", "")
    if not name:
        if len(config.datasets) != 1:
            known = ", ".join(sorted(config.datasets))
            raise UsageError([ConfigProblem("MODEL", f"name the dataset: NAME@N or --dataset (known: {known})")])
        name = next(iter(config.datasets))
    by_group = {names.model_package_group(config, d): d for d in config.datasets}
    resolved = by_group.get(name, name)
    problems = []
    if resolved not in config.datasets:
        known = ", ".join(sorted(config.datasets))
        problems.append(ConfigProblem("MODEL", f"no dataset {name!r} in the config (known: {known})"))
    version = None
    if version_text:
        if not version_text.isdigit() or int(version_text) < 1:
            problems.append(ConfigProblem("MODEL", f"the version after @ is a number from 1, not {version_text!r}"))
        else:
            version = int(version_text)
    if problems:
        raise UsageError(problems)
    return ModelRef(dataset=resolved, version=version)


class TrafficView(BaseModel):
    """One look at the endpoint while it deploys: its status and every fleet's traffic weight."""

    model_config = ConfigDict(frozen=True)

    execution_status: str
    endpoint_status: str | None = None
    #: (fleet, endpoint config, variant, current weight, desired weight, instances, status)
    fleets: list[dict[str, Any]] = []


def traffic_view(execution_status: str, described: dict[str, Any] | None) -> TrafficView:
    """DescribeEndpoint's ProductionVariants (the fleet serving now) and
    PendingDeploymentSummary (the new fleet of a blue/green update) as rows."""
    if described is None:
        return TrafficView(execution_status=execution_status)
    fleets: list[dict[str, Any]] = []
    for fleet, config, variants in (
        ("serving", described.get("EndpointConfigName"), described.get("ProductionVariants") or []),
        (
            "new",
            (described.get("PendingDeploymentSummary") or {}).get("EndpointConfigName"),
            (described.get("PendingDeploymentSummary") or {}).get("ProductionVariants") or [],
        ),
    ):
        for variant in variants:
            statuses = [s.get("Status") for s in variant.get("VariantStatus") or [] if s.get("Status")]
            fleets.append(
                {
                    "fleet": fleet,
                    "endpoint_config": config,
                    "model_version": naming.version_of(config) if config else None,
                    "variant": variant.get("VariantName"),
                    "current_weight": variant.get("CurrentWeight"),
                    "desired_weight": variant.get("DesiredWeight"),
                    "instances": variant.get("CurrentInstanceCount"),
                    "status": ", ".join(statuses) or None,
                }
            )
    return TrafficView(
        execution_status=execution_status, endpoint_status=described.get("EndpointStatus"), fleets=fleets
    )


class DeploymentResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    execution_arn: str
    execution_status: str
    deployment_id: str
    dataset: str
    status: DeploymentStatus | None = None
    skipped: str | None = None
    record: DeploymentRecord | None = None
    error: str | None = None
    cause: str | None = None


def execution_name(dataset: str, trigger: Trigger, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{dataset}-{trigger}-{stamp}-{secrets.token_hex(2)}"[:80]


class Deployments:
    def __init__(self, config: ProjectConfig, sagemaker: Any, sfn: Any, dynamodb: Any, state_machine_arn: str) -> None:
        self._config = config
        self._sfn = sfn
        self._arn = state_machine_arn
        self.packages = ModelPackages(sagemaker)
        self.hosting = Hosting(sagemaker)
        self.history = DeploymentHistory(dynamodb, names.registry_table(config))
        self._executions = ExecutionStatus(sfn)

    def ensure_deployed(self) -> None:
        try:
            self._sfn.describe_state_machine(stateMachineArn=self._arn)
        except ClientError as exc:
            if exc.response["Error"].get("Code") in {"StateMachineDoesNotExist", "ResourceNotFoundException"}:
                raise ServingNotDeployedError(
                    f"no deploy workflow {self._arn.rsplit(':', 1)[-1]}: deploy the serving stack first"
                ) from exc
            raise

    def group(self, dataset: str) -> str:
        return names.model_package_group(self._config, dataset)

    def package_arn(self, ref: ModelRef, *, approved: bool = True) -> str:
        """The package `ref` names (default: the newest approved); `approved`: refuse one that is not."""
        group = self.group(ref.dataset)
        if ref.version is None:
            arn = self.packages.newest_approved(group)
            if arn is None:
                raise NoApprovedModelError(f"model package group {group} has no approved model package to deploy")
            return arn
        prefix = self._arn.split(":stateMachine:", 1)[0].replace(":states:", ":sagemaker:")
        arn = f"{prefix}:model-package/{group.lower()}/{ref.version}"
        described = self.packages.describe(arn)
        if described is None:
            versions = self.packages.versions(group)
            listed = ", ".join(map(str, versions)) or "none"
            raise ModelPackageNotFoundError(f"{group} has no version {ref.version} (versions: {listed})")
        status = described.get("ModelApprovalStatus")
        if approved and status != "Approved":
            raise ModelPackageNotApprovedError(
                f"{ref.dataset}@{ref.version} is {status}: approve it first "
                f"(mlops model approve {ref.dataset}@{ref.version})"
            )
        return str(described["ModelPackageArn"])

    def refuse_if_in_progress(self, dataset: str) -> None:
        lock = self.history.lock(dataset)
        if lock is not None and not lock_is_stale(lock, self._executions.is_running):
            raise DeploymentInProgressError(in_progress_message(lock))

    def rollback_package(self, dataset: str, to: int | None) -> DeploymentRecord:
        """The history record of the version a rollback goes back to (RollbackRefusedError)."""
        return rollback_target(
            self.history.list(dataset),
            self.history.current(dataset),
            to=to,
            known_versions=self.packages.versions(self.group(dataset)) if to is not None else None,
        )

    def start(
        self,
        dataset: str,
        package_arn: str,
        *,
        trigger: Trigger,
        triggered_by: str,
        strategy: DeploymentStrategy | None,
    ) -> str:
        request: dict[str, Any] = {
            "dataset": dataset,
            "model_package_arn": package_arn,
            "trigger": trigger,
            "triggered_by": triggered_by,
        }
        if strategy is not None:
            request["strategy"] = strategy.value
        started = self._sfn.start_execution(
            stateMachineArn=self._arn, name=execution_name(dataset, trigger), input=json.dumps(request)
        )
        return str(started["executionArn"])

    def wait(
        self,
        execution_arn: str,
        dataset: str,
        *,
        timeout: float,
        on_progress: Callable[[TrafficView], None] | None = None,
        poll_seconds: float = 1.0,
    ) -> DeploymentResult:
        endpoint = naming.endpoint(self._config.prefix, dataset)
        deadline = time.monotonic() + timeout
        while True:
            described = self._sfn.describe_execution(executionArn=execution_arn)
            if on_progress is not None:
                on_progress(traffic_view(described["status"], self.hosting.describe_endpoint(endpoint)))
            if described["status"] in TERMINAL:
                return self.result(described, dataset)
            if time.monotonic() >= deadline:
                raise DeploymentTimeoutError(
                    f"{execution_arn} still {described['status']} after {timeout:g} s (it goes on: mlops serve history)"
                )
            time.sleep(poll_seconds)

    def result(self, described: dict[str, Any], dataset: str) -> DeploymentResult:
        arn, name = str(described["executionArn"]), str(described["name"])
        output = json.loads(described.get("output") or "null")
        skipped = output.get("skip_reason") if isinstance(output, dict) and output.get("skip") else None
        record = self.history.find(dataset, name)
        status = record.status if record else None
        if status == "in_progress" and described["status"] in TERMINAL:
            status = "failed"  # ended without recording its end (see Planner._close_stale)
        return DeploymentResult(
            execution_arn=arn,
            execution_status=str(described["status"]),
            deployment_id=name,
            dataset=dataset,
            status=status,
            skipped=skipped,
            record=record,
            error=described.get("error"),
            cause=described.get("cause"),
        )
