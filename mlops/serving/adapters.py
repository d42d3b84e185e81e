"""boto3 clients in, domain objects out: what the deploy workflow's steps and the CLI ask of
SageMaker hosting, CloudWatch alarms and Step Functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from mlops.serving.outcome import EndpointState

#: SageMaker answers a Describe of something missing with a ValidationException (no own code)
_MISSING = frozenset({"ValidationException", "ResourceNotFound"})


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in _MISSING


class Hosting:
    """SageMaker endpoints and models."""

    def __init__(self, client: Any) -> None:
        self._sagemaker = client

    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        try:
            described: dict[str, Any] = self._sagemaker.describe_endpoint(EndpointName=name)
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return described

    def endpoint_state(self, name: str) -> EndpointState | None:
        described = self.describe_endpoint(name)
        if described is None:
            return None
        return EndpointState(
            status=str(described.get("EndpointStatus") or ""),
            endpoint_config_name=described.get("EndpointConfigName"),
            failure_reason=described.get("FailureReason") or None,
        )

    def model_exists(self, name: str) -> bool:
        try:
            self._sagemaker.describe_model(ModelName=name)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True


class Alarms:
    def __init__(self, client: Any) -> None:
        self._cloudwatch = client

    def in_alarm(self, names: Sequence[str]) -> list[str]:
        """Those of `names` whose state is ALARM now."""
        if not names:
            return []
        found: list[str] = []
        kwargs: dict[str, Any] = {"AlarmNames": list(names), "StateValue": "ALARM"}
        while True:
            page = self._cloudwatch.describe_alarms(**kwargs)
            found += [str(a["AlarmName"]) for a in page.get("MetricAlarms", [])]
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]


class ExecutionStatus:
    """Is a deploy workflow execution still running? (for taking over a stale lock)"""

    def __init__(self, client: Any) -> None:
        self._sfn = client

    def is_running(self, execution_arn: str) -> bool:
        try:
            status = self._sfn.describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return False
            raise
        return bool(status == "RUNNING")
