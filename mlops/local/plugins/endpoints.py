"""SageMaker real-time endpoints hosted for real in the local cloud (moto 5.2.5), in the server process.

Gaps bridged (tests/integration/test_moto_contract.py guards every internal used):

1. moto's endpoints are `InService` at once and host nothing. Here `create_endpoint` of
   `SageMakerModelBackend` (after moto's own checks, and refusing a name in use as SageMaker
   does) starts a `mlops.local.endpoints.LocalEndpoint`: `Creating`, then model servers
   running the model's inference code (`mlops.local.endpoint_fleet`), then `InService` or
   `Failed` with a `FailureReason`. `describe_endpoint` answers from it (botocore's
   DescribeEndpointOutput: weights, instance counts, deployed images,
   `PendingDeploymentSummary`, `LastDeploymentConfig`, the `DataCaptureConfig` summary,
   `FailureReason`), `FakeEndpoint.summary` (ListEndpoints) shows its status, and
   `delete_endpoint` stops its servers before it answers.
2. moto has no `UpdateEndpoint`: `SageMakerResponse.update_endpoint` and
   `SageMakerModelBackend.update_endpoint` are added, with `DeploymentConfig` (blue/green
   canary/linear/all-at-once, bakes, auto-rollback on alarms; `mlops.local.endpoint_updates`)
   and `RetainDeploymentConfig`; an endpoint not `InService` is refused with SageMaker's
   ValidationException.
3. moto's `InvokeEndpoint` returns canned data for any name. `SageMakerRuntimeResponse.
   invoke_endpoint` is replaced: an endpoint that does not exist or cannot serve ->
   `ValidationError` "Endpoint X of account Y not found." (HTTP 400); otherwise the request
   (body, ContentType, Accept, InferenceId, TargetVariant) goes to the fleet the traffic
   split picks, and the answer comes back with `ContentType` and `InvokedProductionVariant`;
   a container 4xx/5xx -> `ModelError` (HTTP 424) "Received client|server error (<status>) from
   primary with message "<body>". ..." with `OriginalStatusCode`, `OriginalMessage` and
   `LogStreamArn`, as botocore models it.
4. Per invocation, SageMaker's metrics go into moto's CloudWatch backend (namespace
   `AWS/SageMaker`, dimensions `EndpointName` and `VariantName`): `Invocations` (1),
   `Invocation4XXErrors` and `Invocation5XXErrors` (0 or 1), `ModelLatency` and
   `OverheadLatency` (Microseconds), `InvocationsPerInstance` (1 / instance count). Alarms on
   them are evaluated by `mlops.local.plugins.alarms`.
5. Data capture (`mlops.local.data_capture`) of successful invocations to S3.
6. Step Functions: `arn:aws:states:::aws-sdk:sagemaker:*` tasks name errors as on AWS,
   `SageMaker.<Exception>` (moto's aws-sdk service has no PascalCase name for SageMaker
   and would say `sagemaker.`): moto's `_SERVICE_ERROR_NAMES` gains `sagemaker -> SageMaker`.

`/_mlops/endpoints` (GET, JSON) lists the local endpoints and the pids of their model servers.
"""

from __future__ import annotations

import functools
import http.client
import json
import logging
import threading
import time
from typing import Any
from urllib.parse import unquote

from mlops.local import data_capture, endpoints
from mlops.local.plugins import clock
from mlops.local.plugins._contract import require, run_once

logger = logging.getLogger("mlops.local")

PATH = "/_mlops/endpoints"
_SM = "moto.sagemaker.models"
_AWS_SDK = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk"
#: endpoint ARN -> the endpoint hosted for it
_hosted: dict[str, endpoints.LocalEndpoint] = {}
_hosted_lock = threading.Lock()
_writer: list[data_capture.CaptureWriter] = []


def _client(endpoint_url: str, service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local cloud's fixed credentials
    )


@run_once
def install(endpoint_url: str) -> None:
    """Call in the server process before it serves its first request."""
    s3 = _client(endpoint_url, "s3")
    _writer.append(data_capture.CaptureWriter(s3))
    _host_endpoints(s3)
    _serve_invocations()
    require(_AWS_SDK, "_SERVICE_ERROR_NAMES")["sagemaker"] = "SageMaker"


def shutdown() -> None:
    """Stop every hosted endpoint's servers (the server process is stopping)."""
    with _hosted_lock:
        hosted = list(_hosted.values())
        _hosted.clear()
    for endpoint in hosted:
        endpoint.delete()
    for writer in _writer:
        writer.close()


# 1, 2 -------------------------------------------------------------------------------------
def _hooks(backend: Any, s3: Any) -> endpoints.Hooks:
    def models(names: list[str]) -> dict[str, dict[str, Any]]:
        return {name: backend.describe_model(name).response_object for name in names if name in backend._models}

    def alarm_state(name: str) -> str | None:
        cloudwatch = require("moto.cloudwatch.models", "cloudwatch_backends")[backend.account_id][backend.region_name]
        alarm = cloudwatch.alarms.get(name)
        return None if alarm is None else str(alarm.state_value)

    return endpoints.Hooks(
        s3=s3,
        endpoint_config=backend.describe_endpoint_config,
        models=models,
        alarm_state=alarm_state,
        capture=_writer[0],
        scale=clock.scale,
    )


def _host_endpoints(s3: Any) -> None:
    backend_class = require(_SM, "SageMakerModelBackend")
    create = require(_SM, "SageMakerModelBackend.create_endpoint")
    describe = require(_SM, "SageMakerModelBackend.describe_endpoint")
    delete = require(_SM, "SageMakerModelBackend.delete_endpoint")
    summary = require(_SM, "FakeEndpoint.summary")
    arn_of = require(_SM, "FakeEndpoint.arn_formatter")
    validation_error = require("moto.sagemaker.exceptions", "ValidationError")
    response_class = require("moto.sagemaker.responses", "SageMakerResponse")
    action_result = require("moto.core.responses", "ActionResult")

    @functools.wraps(create)
    def create_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
        if endpoint_name in self.endpoints:
            arn = arn_of(endpoint_name, self.account_id, self.region_name)
            raise validation_error(message=f'Cannot create already existing endpoint "{arn}".')
        fake = create(self, endpoint_name, endpoint_config_name, tags)
        fake.endpoint_status = "Creating"
        with _hosted_lock:
            _hosted[fake.arn] = endpoints.LocalEndpoint(endpoint_name, fake.arn, endpoint_config_name, _hooks(self, s3))
        return fake

    def hosted(self: Any, endpoint_name: str) -> endpoints.LocalEndpoint | None:
        return _hosted.get(arn_of(endpoint_name, self.account_id, self.region_name))

    @functools.wraps(describe)
    def describe_endpoint(self: Any, endpoint_name: str) -> dict[str, Any]:
        local = hosted(self, endpoint_name)
        if local is None or endpoint_name not in self.endpoints:
            return describe(self, endpoint_name)  # type: ignore[no-any-return]
        return local.describe()

    @functools.wraps(delete)
    def delete_endpoint(self: Any, endpoint_name: str) -> None:
        delete(self, endpoint_name)
        with _hosted_lock:
            local = _hosted.pop(arn_of(endpoint_name, self.account_id, self.region_name), None)
        if local is not None:
            local.delete()

    def update_endpoint(
        self: Any,
        endpoint_name: str,
        endpoint_config_name: str,
        deployment_config: dict[str, Any] | None = None,
        retain_deployment_config: bool = False,
    ) -> str:
        local = hosted(self, endpoint_name)
        if local is None or endpoint_name not in self.endpoints:
            arn = arn_of(endpoint_name, self.account_id, self.region_name)
            raise validation_error(message=f'Could not find endpoint "{arn}".')
        self.describe_endpoint_config(endpoint_config_name)  # SageMaker's error for a missing one
        if not deployment_config and retain_deployment_config:
            deployment_config = local.last_deployment_config
        try:
            local.update(endpoint_config_name, deployment_config)
        except endpoints.EndpointValidationError as exc:
            raise validation_error(message=str(exc)) from exc
        self.endpoints[endpoint_name].endpoint_config_name = endpoint_config_name
        return local.arn

    @functools.wraps(summary)
    def endpoint_summary(self: Any) -> dict[str, Any]:
        answer: dict[str, Any] = summary(self)
        local = _hosted.get(self.arn)
        if local is not None:
            answer.update(EndpointStatus=local.status, LastModifiedTime=local.last_modified_time)
        return answer

    def update_endpoint_response(self: Any) -> Any:
        arn = self.sagemaker_backend.update_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=self._get_param("EndpointConfigName"),
            deployment_config=self._get_param("DeploymentConfig"),
            retain_deployment_config=bool(self._get_param("RetainDeploymentConfig")),
        )
        return action_result({"EndpointArn": arn})

    backend_class.create_endpoint = create_endpoint
    backend_class.describe_endpoint = describe_endpoint
    backend_class.delete_endpoint = delete_endpoint
    backend_class.update_endpoint = update_endpoint
    require(_SM, "FakeEndpoint").summary = endpoint_summary
    response_class.update_endpoint = update_endpoint_response


# 3, 4 -------------------------------------------------------------------------------------
def _error(status: int, code: str, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    # moto takes a handler's HTTP status from its "status" header
    headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json", "status": str(status)}
    return status, headers, json.dumps(body)


def _emit_metrics(account: str, region: str, name: str, result: endpoints.InvokeResult) -> None:
    cloudwatch = require("moto.cloudwatch.models", "cloudwatch_backends")[account][region]
    dimensions = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": result.variant}]
    values = [
        ("Invocations", 1.0, "Count"),
        ("Invocation4XXErrors", 1.0 if 400 <= result.status < 500 else 0.0, "Count"),
        ("Invocation5XXErrors", 1.0 if result.status >= 500 else 0.0, "Count"),
        ("ModelLatency", float(result.model_latency_us), "Microseconds"),
        ("OverheadLatency", float(result.overhead_us), "Microseconds"),
        ("InvocationsPerInstance", 1.0 / max(result.instance_count, 1), "Count"),
    ]
    cloudwatch.put_metric_data(
        "AWS/SageMaker",
        [
            {"MetricName": metric, "Value": value, "Unit": unit, "Dimensions": dimensions}
            for metric, value, unit in values
        ],
    )


def _serve_invocations() -> None:
    response_class = require("moto.sagemakerruntime.responses", "SageMakerRuntimeResponse")
    require("moto.sagemakerruntime.responses", "SageMakerRuntimeResponse.invoke_endpoint")
    arn_of = require(_SM, "FakeEndpoint.arn_formatter")

    def invoke_endpoint(self: Any) -> tuple[int, dict[str, str], Any]:
        started = time.perf_counter()
        name = unquote(self.path.split("?", 1)[0].split("/")[2])
        account, region = self.current_account, self.region
        local = _hosted.get(arn_of(name, account, region))
        if local is None or not local.invocable():
            return _error(400, "ValidationError", {"message": f"Endpoint {name} of account {account} not found."})
        body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body or "").encode()
        headers = self.headers
        try:
            result = local.invoke(
                body,
                headers.get("Content-Type"),
                headers.get("Accept"),
                inference_id=headers.get("X-Amzn-SageMaker-Inference-Id"),
                target_variant=headers.get("X-Amzn-SageMaker-Target-Variant"),
            )
        except (OSError, http.client.HTTPException) as exc:  # the model server is gone: SageMaker answers 5xx itself
            logger.exception("endpoint %s: invocation failed", name)
            return _error(
                500, "InternalFailure", {"message": f"An exception occurred while sending request to model: {exc}"}
            )
        # the time spent here beyond the model server is SageMaker's overhead
        result.overhead_us = max(int((time.perf_counter() - started) * 1_000_000) - result.model_latency_us, 0)
        _emit_metrics(account, region, name, result)
        if 200 <= result.status < 300:
            answer = {"Content-Type": result.content_type, "x-Amzn-Invoked-Production-Variant": result.variant}
            return 200, answer, result.body
        kind = "client" if result.status < 500 else "server"
        message = result.body.decode("utf-8", "replace")
        group = f"/aws/sagemaker/Endpoints/{name}"
        return _error(
            424,
            "ModelError",
            {
                "Message": (
                    f'Received {kind} error ({result.status}) from primary with message "{message}". See '
                    f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:"
                    f"group={group} in account {account} for more information."
                ),
                "OriginalStatusCode": result.status,
                "OriginalMessage": message,
                "LogStreamArn": f"arn:aws:logs:{region}:{account}:log-group:{group}",
            },
        )

    response_class.invoke_endpoint = invoke_endpoint


# the launcher's route -----------------------------------------------------------------------
def middleware(app: Any) -> Any:
    """Wrap a WSGI app: `/_mlops/endpoints` is answered here, everything else by `app`."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        with _hosted_lock:
            listed = [
                {"arn": arn, "name": e.name, "status": e.status, "fleets": e.fleets()} for arn, e in _hosted.items()
            ]
        body = json.dumps({"endpoints": listed}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi
