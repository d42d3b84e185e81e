"""The local cloud's scheduler (plugins/scheduler.py) against a real launcher: schedules and
alarms created from CloudFormation, due schedules fired on the compressed clock, `tick`
firing every enabled schedule now and answering with what each target did."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from mlops.local import process
from mlops.local.plugins.scheduler import request_tick
from tests.integration.test_local_server import REPO_ROOT, client, deploy
from tests.waiting import wait_until

#: a rate(1 minute) schedule fires every 60 s x 0.01 = 0.6 s
SCALE = "0.01"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("scheduler") / "server.log"
    port = process.free_port("localhost")
    endpoint = process.endpoint_url("localhost", port)
    saved = os.environ.get("MLOPS_LOCAL_WAIT_SCALE")
    os.environ["MLOPS_LOCAL_WAIT_SCALE"] = SCALE
    try:
        started = process.start("localhost", port, log, cwd=REPO_ROOT)
    finally:
        if saved is None:
            os.environ.pop("MLOPS_LOCAL_WAIT_SCALE")
        else:
            os.environ["MLOPS_LOCAL_WAIT_SCALE"] = saved
    try:
        process.wait_until_answering(started, endpoint, log, timeout=60)
        yield endpoint
    finally:
        process.stop(started.pid)


def _template(bucket: str) -> dict[str, Any]:
    role = {"Fn::GetAtt": ["Role", "Arn"]}
    return {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "scheduled-echo",
                    "Runtime": "python3.14",
                    "Handler": "handler.handler",
                    "Role": role,
                    "Code": {"S3Bucket": bucket, "S3Key": "echo.zip"},
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "scheduled-pass",
                    "RoleArn": role,
                    "DefinitionString": json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
                },
            },
            "Often": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": "often",
                    "ScheduleExpression": "rate(1 minute)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {"Arn": {"Ref": "Machine"}, "RoleArn": role, "Input": '{"dataset": "often"}'},
                },
            },
            "Daily": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": "daily",
                    "ScheduleExpression": "cron(0 12 * * ? *)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": {"Fn::GetAtt": ["Function", "Arn"]},
                        "RoleArn": role,
                        "Input": '{"dataset": "daily"}',
                    },
                },
            },
            "Off": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": "off",
                    "State": "DISABLED",
                    "ScheduleExpression": "rate(1 minute)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {"Arn": {"Fn::GetAtt": ["Function", "Arn"]}, "RoleArn": role},
                },
            },
            "Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "drift-share",
                    "Namespace": "ServerlessMLOps/Drift",
                    "MetricName": "DriftedShare",
                    "Dimensions": [{"Name": "Dataset", "Value": "d"}],
                    "Statistic": "Maximum",
                    "Period": 86400,
                    "EvaluationPeriods": 1,
                    "Threshold": 0.3,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "ignore",
                },
            },
        }
    }


@pytest.fixture(scope="module")
def stack(server: str) -> str:
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="scheduler-code")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'echo': event}\n")
    s3.put_object(Bucket="scheduler-code", Key="echo.zip", Body=buffer.getvalue())
    assert deploy(server, "scheduled", _template("scheduler-code"))["StackStatus"] == "CREATE_COMPLETE"
    return server


def test_schedules_and_alarms_exist_as_declared(stack: str) -> None:
    scheduler = client(stack, "scheduler")
    assert {s["Name"]: s["State"] for s in scheduler.list_schedules()["Schedules"]} == {
        "often": "ENABLED",
        "daily": "ENABLED",
        "off": "DISABLED",
    }
    daily = scheduler.get_schedule(Name="daily")
    assert daily["ScheduleExpression"] == "cron(0 12 * * ? *)" and json.loads(daily["Target"]["Input"]) == {
        "dataset": "daily"
    }
    [alarm] = client(stack, "cloudwatch").describe_alarms(AlarmNames=["drift-share"])["MetricAlarms"]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["TreatMissingData"]) == ("DriftedShare", 0.3, "ignore")


def test_a_due_schedule_fires_on_the_compressed_clock(stack: str) -> None:
    sfn = client(stack, "stepfunctions")
    machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "scheduled-pass")

    def executions() -> list[dict[str, Any]]:
        return list(sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"])

    started = wait_until(executions, timeout=20, what="rate(1 minute) to fire twice", until=lambda e: len(e) >= 2)
    first = sfn.describe_execution(executionArn=started[0]["executionArn"])
    assert json.loads(first["input"]) == {"dataset": "often"}


def test_tick_fires_every_enabled_schedule_now_and_waits_for_its_target(stack: str) -> None:
    fired = {entry["schedule"]: entry for entry in request_tick(stack)}
    assert set(fired) == {"often", "daily"}  # not the disabled one
    assert fired["daily"]["status"] == "delivered" and fired["daily"]["detail"] == {"echo": {"dataset": "daily"}}
    assert fired["often"]["detail"]["executionArn"].startswith("arn:aws:states:")
    [only] = request_tick(stack, name="daily")
    assert only["schedule"] == "daily" and only["trigger"] == "tick"


def test_deleting_the_stack_deletes_its_schedules(stack: str) -> None:
    client(stack, "cloudformation").delete_stack(StackName="scheduled")
    assert client(stack, "scheduler").list_schedules()["Schedules"] == []
    assert client(stack, "cloudwatch").describe_alarms(AlarmNames=["drift-share"])["MetricAlarms"] == []
