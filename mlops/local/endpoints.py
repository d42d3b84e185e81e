"""Local SageMaker endpoints: lifecycle, blue/green updates with auto-rollback, invocation routing.

One `LocalEndpoint` per CreateEndpoint; the moto plugin (`mlops.local.plugins.endpoints`) keeps
them and answers the SageMaker APIs from them. Lifecycle, as on SageMaker:

- create: `Creating`; a background thread starts the config's fleet (`endpoint_fleet.start`)
  -> `InService`, or `Failed` with the fleet's `FailureReason`;
- update: refused unless `InService` ("Cannot update in-progress endpoint ..."); `Updating`
  while the new fleet starts and traffic shifts step by step (`endpoint_updates.plan`), each
  bake watching `AutoRollbackConfiguration.Alarms` every `ALARM_POLL_SECONDS`. An alarm in
  ALARM (or the compressed `MaximumExecutionTimeoutInSeconds` passing) rolls back: `RollingBack`,
  every invocation to the old fleet, the new fleet stopped, then `InService` on the old config
  with a `FailureReason` naming the alarm. A new fleet that does not start also leaves the
  endpoint `InService` on the old config, with the reason. Success: `InService` on the new
  config once the (compressed) `TerminationWaitInSeconds` passed, the old fleet stopped;
- delete: captured data flushed, every fleet stopped before DeleteEndpoint answers.

`describe()` answers DescribeEndpoint (botocore's output shape). Weights: a variant's
`CurrentWeight` is its configured weight times the share of traffic its fleet gets now, so
during a canary at 10% the new variant shows 0.1 x its weight (in `PendingDeploymentSummary`)
and the old 0.9 x; `DesiredWeight` is where the update is heading (the new variant's
configured weight, 0 for the old fleet's). Pending variants carry `VariantStatus`
(`Creating`, `Baking`, `ActivatingTraffic`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops.local import data_capture, endpoint_fleet, endpoint_updates

logger = logging.getLogger("mlops.local")

ALARM_POLL_SECONDS = 0.05
DRAIN_TIMEOUT_S = 5.0


class EndpointValidationError(ValueError):
    """What SageMaker answers with a ValidationException."""


@dataclass
class Hooks:
    """What an endpoint needs from the local cloud (moto's backends, through the plugin)."""

    s3: Any
    endpoint_config: Callable[[str], dict[str, Any]]
    models: Callable[[list[str]], dict[str, dict[str, Any]]]
    alarm_state: Callable[[str], str | None]
    capture: data_capture.CaptureWriter
    scale: Callable[[], float]


@dataclass
class Deployment:
    """One endpoint config with its fleet (None while it starts)."""

    config_name: str
    config: dict[str, Any]
    fleet: endpoint_fleet.Fleet | None = None
    capture: data_capture.CaptureSettings | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    variant_status: str = "Creating"
    inflight: int = 0

    def variants(self) -> list[dict[str, Any]]:
        return list(self.config.get("ProductionVariants") or [])


@dataclass
class InvokeResult:
    status: int
    body: bytes
    content_type: str
    variant: str
    model_latency_us: int
    overhead_us: int
    instance_count: int


class LocalEndpoint:
    def __init__(self, name: str, arn: str, config_name: str, hooks: Hooks) -> None:
        self.name, self.arn, self.hooks = name, arn, hooks
        self.status = "Creating"
        self.failure_reason: str | None = None
        self.creation_time = self.last_modified_time = datetime.now(UTC)
        self.current = Deployment(config_name, hooks.endpoint_config(config_name))
        self.pending: Deployment | None = None
        self.split = endpoint_updates.FleetSplit()
        self.last_deployment_config: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._create, name=f"endpoint-{name}", daemon=True)
        self._thread.start()

    # lifecycle ------------------------------------------------------------------------------
    def _start(self, deployment: Deployment) -> None:
        variants = deployment.variants()
        models = self.hooks.models([str(v.get("ModelName")) for v in variants])
        deployment.fleet = endpoint_fleet.start(deployment.config_name, variants, models, self.hooks.s3)
        deployment.capture = data_capture.CaptureSettings.from_config(deployment.config.get("DataCaptureConfig"))

    def _set(self, status: str, reason: str | None = None) -> None:
        with self._lock:
            self.status, self.failure_reason = status, reason
            self.last_modified_time = datetime.now(UTC)
        logger.info("endpoint %s: %s%s", self.name, status, f" ({reason})" if reason else "")

    def _create(self) -> None:
        try:
            self._start(self.current)
        except Exception as exc:
            self._set("Failed", str(exc)[:1024])
            return
        if self._cancel.is_set():
            self._stop(self.current)
            return
        self.current.variant_status = "InService"
        self._set("InService")

    def update(self, config_name: str, deployment_config: dict[str, Any] | None) -> None:
        with self._lock:
            if self.status != "InService":
                raise EndpointValidationError(f'Cannot update in-progress endpoint "{self.arn}".')
            config = self.hooks.endpoint_config(config_name)
            instances = sum(int(v.get("InitialInstanceCount", 1)) for v in config.get("ProductionVariants") or [])
            try:
                plan = endpoint_updates.plan(deployment_config, instances, self.hooks.scale())
            except endpoint_updates.DeploymentConfigError as exc:
                raise EndpointValidationError(str(exc)) from exc
            self.pending = Deployment(config_name, config)
            self.split.set(0)
            if deployment_config:
                self.last_deployment_config = deployment_config
            self.failure_reason = None
            self._set("Updating")
        self._thread = threading.Thread(target=self._update, args=(plan,), name=f"endpoint-{self.name}", daemon=True)
        self._thread.start()

    def _alarm_firing(self, plan: endpoint_updates.Plan) -> str | None:
        for alarm in plan.alarm_names:
            if self.hooks.alarm_state(alarm) == "ALARM":
                return alarm
        return None

    def _bake(self, plan: endpoint_updates.Plan, seconds: float, deadline: float | None) -> str | None:
        """Wait `seconds` watching the alarms; why to roll back, or None."""
        until = time.monotonic() + seconds
        while True:
            if self._cancel.is_set():
                return "the endpoint is being deleted"
            alarm = self._alarm_firing(plan)
            if alarm:
                return f"alarm {alarm}"
            if deadline is not None and time.monotonic() > deadline:
                return "MaximumExecutionTimeoutInSeconds"
            remaining = until - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(ALARM_POLL_SECONDS, remaining))

    def _update(self, plan: endpoint_updates.Plan) -> None:
        pending = self.pending
        assert pending is not None
        deadline = time.monotonic() + plan.max_execution_seconds if plan.max_execution_seconds else None
        try:
            self._start(pending)
        except Exception as exc:
            with self._lock:
                self.pending = None
            self._set("InService", f"Failed to update endpoint: {exc}"[:1024])
            return
        for percent in plan.steps:
            pending.variant_status = "ActivatingTraffic"
            self.split.set(percent)
            logger.info("endpoint %s: %d%% of traffic on %s", self.name, percent, pending.config_name)
            pending.variant_status = "Baking"
            why = self._bake(plan, plan.bake_seconds, deadline)
            if why:
                self._roll_back(pending, why, plan)
                return
        why = self._bake(plan, plan.termination_wait_seconds, deadline)
        if why:
            self._roll_back(pending, why, plan)
            return
        with self._lock:
            old, self.current, self.pending = self.current, pending, None
            pending.variant_status = "InService"
            self.split.set(0)
        self._stop(old)
        self._set("InService")

    def _roll_back(self, pending: Deployment, why: str, plan: endpoint_updates.Plan) -> None:
        self._set("RollingBack")
        self.split.set(0)
        self._stop(pending)
        with self._lock:
            self.pending = None
        if why.startswith("alarm "):
            reason = (
                f"Rolled back to endpoint config {self.current.config_name}: CloudWatch {why} went into "
                f"ALARM while endpoint config {pending.config_name} was deploying."
            )
        else:
            reason = f"Rolled back to endpoint config {self.current.config_name}: {why} ({pending.config_name})."
        self._set("Deleting" if self._cancel.is_set() else "InService", reason)

    def _stop(self, deployment: Deployment) -> None:
        self.hooks.capture.flush(self.name)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while deployment.inflight and time.monotonic() < deadline:  # let in-flight invocations answer
            time.sleep(0.01)
        if deployment.fleet is not None:
            deployment.fleet.stop()

    def delete(self) -> None:
        self._cancel.set()
        self._set("Deleting")
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=endpoint_fleet.START_TIMEOUT_S + 5)
        with self._lock:
            deployments = [d for d in (self.current, self.pending) if d is not None]
            self.pending = None
        for deployment in deployments:
            self._stop(deployment)

    # invocations ----------------------------------------------------------------------------
    def invocable(self) -> bool:
        return self.status in {"InService", "Updating", "RollingBack"} and self.current.fleet is not None

    @contextlib.contextmanager
    def _route(self, target_variant: str | None) -> Iterator[Deployment]:
        with self._lock:
            pending = self.pending
            use_new = pending is not None and pending.fleet is not None and self.split.percent_new > 0
            deployment = pending if use_new and self.split.to_new() else self.current
            assert deployment is not None
            deployment.inflight += 1
        try:
            yield deployment
        finally:
            with self._lock:
                deployment.inflight -= 1

    def invoke(
        self,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        *,
        inference_id: str | None = None,
        target_variant: str | None = None,
    ) -> InvokeResult:
        received = time.perf_counter()
        at = datetime.now(UTC)
        with self._route(target_variant) as deployment:
            assert deployment.fleet is not None
            server = deployment.fleet.pick(target_variant)
            answer = server.invoke(body, content_type, accept)
            capture = deployment.capture
        total_us = int((time.perf_counter() - received) * 1_000_000)
        if capture is not None and 200 <= answer.status < 300:
            self.hooks.capture.capture(
                capture,
                self.name,
                server.variant_name,
                request=body,
                request_type=content_type,
                response=answer.body,
                response_type=answer.content_type,
                inference_id=inference_id,
                at=at,
            )
        return InvokeResult(
            status=answer.status,
            body=answer.body,
            content_type=answer.content_type,
            variant=server.variant_name,
            model_latency_us=answer.model_latency_us,
            overhead_us=max(total_us - answer.model_latency_us, 0),
            instance_count=server.instance_count,
        )

    # describe -------------------------------------------------------------------------------
    def _variants(self, deployment: Deployment, share: float, desired_share: float, pending: bool) -> list[Any]:
        out = []
        for variant in deployment.variants():
            weight = float(variant.get("InitialVariantWeight", 1.0))
            instances = int(variant.get("InitialInstanceCount", 1))
            image = ""
            if deployment.fleet is not None:
                image = next(
                    (s.image for s in deployment.fleet.variants if s.variant_name == variant["VariantName"]), ""
                )
            summary: dict[str, Any] = {
                "VariantName": variant["VariantName"],
                "CurrentWeight": round(weight * share, 4),
                "DesiredWeight": round(weight * desired_share, 4),
                "CurrentInstanceCount": instances if deployment.fleet is not None else 0,
                "DesiredInstanceCount": instances,
            }
            if image:
                summary["DeployedImages"] = [
                    {"SpecifiedImage": image, "ResolvedImage": image, "ResolutionTime": deployment.started}
                ]
            if pending:
                summary["InstanceType"] = variant.get("InstanceType", "")
                summary["VariantStatus"] = [{"Status": deployment.variant_status, "StartTime": deployment.started}]
            out.append(summary)
        return out

    def describe(self) -> dict[str, Any]:
        with self._lock:
            pending = self.pending if self.pending is not None and self.status != "RollingBack" else None
            share_new = self.split.percent_new / 100 if pending is not None and pending.fleet is not None else 0.0
            described: dict[str, Any] = {
                "EndpointName": self.name,
                "EndpointArn": self.arn,
                "EndpointConfigName": self.current.config_name,
                "ProductionVariants": self._variants(self.current, 1.0 - share_new, 0.0 if pending else 1.0, False),
                "EndpointStatus": self.status,
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
            }
            capture = self.current.config.get("DataCaptureConfig")
            if capture:
                enabled = bool(capture.get("EnableCapture", True))
                described["DataCaptureConfig"] = {
                    "EnableCapture": enabled,
                    "CaptureStatus": "Started" if enabled else "Stopped",
                    "CurrentSamplingPercentage": int(capture.get("InitialSamplingPercentage", 0)),
                    "DestinationS3Uri": capture.get("DestinationS3Uri", ""),
                    "KmsKeyId": capture.get("KmsKeyId", ""),
                }
            if self.failure_reason:
                described["FailureReason"] = self.failure_reason
            if self.last_deployment_config:
                described["LastDeploymentConfig"] = self.last_deployment_config
            if pending is not None:
                described["PendingDeploymentSummary"] = {
                    "EndpointConfigName": pending.config_name,
                    "ProductionVariants": self._variants(pending, share_new, 1.0, True),
                    "StartTime": pending.started,
                }
            return described

    def fleets(self) -> list[dict[str, Any]]:
        """The running model servers (for `/_mlops/endpoints`)."""
        with self._lock:
            deployments = [(d, r) for d, r in ((self.current, "current"), (self.pending, "pending")) if d is not None]
            return [
                {"role": role, "config": d.config_name, "pids": d.fleet.pids() if d.fleet else []}
                for d, role in deployments
            ]
