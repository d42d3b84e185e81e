"""Steps every workflow of the platform builds the same way."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

TRANSIENT_LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
#: Step Functions names of SNS Publish errors worth another try (the SDK's exception classes)
TRANSIENT_SNS_ERRORS = ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.KMSThrottlingException"]


def notification(
    scope: Construct, name: str, topic: sns.ITopic, *, subject: str, message: sfn.TaskInput
) -> tasks.SnsPublish:
    """Publish to the notifications topic, retrying what is transient. Callers add a Catch that
    goes on to where the workflow was going anyway: a lost notification must never replace
    the run's own outcome or error (the caught error stays in the execution history)."""
    task = tasks.SnsPublish(
        scope, name, topic=topic, subject=subject, message=message, result_path=sfn.JsonPath.DISCARD
    )
    task.add_retry(
        errors=TRANSIENT_SNS_ERRORS,
        interval=Duration.seconds(2),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def lambda_step(
    scope: Construct,
    name: str,
    function: lambda_.IFunction,
    *,
    payload: sfn.TaskInput | None = None,
    input_path: str | None = None,
    result_path: str | None = None,
) -> tasks.LambdaInvoke:
    """Invoke a function and return its payload; transient Lambda errors retry with jittered
    backoff. Never pass `payload=TaskInput.from_json_path_at(...)`: with payload_response_only
    CDK renders it as a literal string (aws/aws-cdk#34260); use `input_path` instead."""
    task = tasks.LambdaInvoke(
        scope,
        name,
        lambda_function=function,
        payload=payload,
        payload_response_only=True,
        input_path=input_path,
        result_path=result_path,
        retry_on_service_exceptions=False,
    )
    task.add_retry(
        errors=TRANSIENT_LAMBDA_ERRORS,
        interval=Duration.seconds(2),
        max_attempts=4,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def notify_and_fail(
    scope: Construct, topic: sns.ITopic, *, subject: str, fail_id: str, fallback_error: str
) -> sfn.Chain:
    """The target of every Catch (with `result_path="$.failure"`): publish the execution, error
    and cause, then end in a Fail state that carries the same error and cause. A Fail state may
    not raise a reserved `States.*` name (moto's interpreter refuses it outright), so such an
    error becomes `fallback_error`, with the original name kept at the head of the cause."""
    notify = notification(
        scope,
        "NotifyFailure",
        topic,
        subject=subject,
        message=sfn.TaskInput.from_object(
            {
                "execution": sfn.JsonPath.execution_id,
                "error": sfn.JsonPath.string_at("$.failure.Error"),
                "cause": sfn.JsonPath.string_at("$.failure.Cause"),
            }
        ),
    )
    fail = sfn.Fail(scope, fail_id, error_path="$.failure.Error", cause_path="$.failure.Cause")
    renamed = sfn.Pass(
        scope,
        "NameReservedError",
        parameters={
            "Error": fallback_error,
            "Cause.$": "States.Format('{}: {}', $.failure.Error, $.failure.Cause)",
        },
        result_path="$.failure",
    )
    reserved = (
        sfn.Choice(scope, "ReservedErrorName")
        .when(sfn.Condition.string_matches("$.failure.Error", "States.*"), renamed.next(fail))
        .otherwise(fail)
    )
    notify.add_catch(reserved, result_path="$.notify_failure")
    return notify.next(reserved)
