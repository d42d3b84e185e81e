"""The shared notify-then-fail path (stacks/constructs/workflow.py), synthesized by CDK and run
on moto's Step Functions interpreter: our error names pass through, reserved `States.*` ones
are renamed (a Fail state may not raise them) with the original kept in the cause."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template
from moto import mock_aws

from stacks.constructs.workflow import notify_and_fail
from tests.waiting import wait_until

TOPIC = "arn:aws:sns:us-east-1:123456789012:failures"


def definition(failure: dict[str, str]) -> dict[str, Any]:
    stack = Stack(App(), "Failing")
    topic = sns.Topic(stack, "Topic")
    start = sfn.Pass(stack, "Boom", result=sfn.Result.from_object(failure), result_path="$.failure")
    chain = start.next(notify_and_fail(stack, topic, subject="s", fail_id="Failed", fallback_error="Mlops.StepFailed"))
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
    [machine] = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()

    def text(part: Any) -> str:
        if isinstance(part, str):
            return part
        return "aws" if part.get("Ref") == "AWS::Partition" else TOPIC

    return dict(json.loads("".join(text(p) for p in machine["Properties"]["DefinitionString"]["Fn::Join"][1])))


@pytest.mark.parametrize(
    ("failure", "error", "cause"),
    [
        ({"Error": "Mlops.DataVersionNotFound", "Cause": "v9"}, "Mlops.DataVersionNotFound", "v9"),
        (
            {"Error": "States.TaskFailed", "Cause": "job x failed"},
            "Mlops.StepFailed",
            "States.TaskFailed: job x failed",
        ),
    ],
)
def test_the_execution_fails_with_a_raisable_error_and_a_cause(failure: dict[str, str], error: str, cause: str) -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        boto3.client("sns", region_name="us-east-1").create_topic(Name="failures")
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(
            name="failing", definition=json.dumps(definition(failure)), roleArn="arn:aws:iam::123456789012:role/r"
        )["stateMachineArn"]
        execution = client.start_execution(stateMachineArn=arn, name="e1")["executionArn"]
        described = wait_until(
            lambda: client.describe_execution(executionArn=execution),
            until=lambda d: d["status"] != "RUNNING",
            timeout=30,
            what=f"execution {execution} to finish",
            interval=0.1,
        )
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", error, cause)
