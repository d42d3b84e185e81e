"""A deploy workflow's SageMaker calls from moto's Step Functions interpreter, on local endpoints:
`arn:aws:states:::aws-sdk:sagemaker:*` (CallAwsService) and the optimized
`arn:aws:states:::sagemaker:createModel|createEndpointConfig` request-response tasks."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlops.local import process
from tests import hosting
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
BUCKET = "local-endpoint-workflow"
SDK = "arn:aws:states:::aws-sdk:sagemaker"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    port = process.free_port("localhost")
    url = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, log, cwd=REPO_ROOT)
    try:
        process.wait_until_answering(started, url, log, timeout=60)
        yield url
    finally:
        process.stop(started.pid)


def client(cloud: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=cloud, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def poll(name: str, then: str) -> dict[str, Any]:
    """Wait -> describeEndpoint -> Choice: InService goes on to `then`, Creating/Updating waits again."""
    return {
        f"Wait{name}": {"Type": "Wait", "Seconds": 10, "Next": f"Describe{name}"},
        f"Describe{name}": {
            "Type": "Task",
            "Resource": f"{SDK}:describeEndpoint",
            "Parameters": {"EndpointName.$": "$.endpoint"},
            "ResultSelector": {"Status.$": "$.EndpointStatus", "Config.$": "$.EndpointConfigName"},
            "ResultPath": f"$.{name.lower()}",
            "Next": f"Check{name}",
        },
        f"Check{name}": {
            "Type": "Choice",
            "Choices": [
                {"Variable": f"$.{name.lower()}.Status", "StringEquals": "InService", "Next": then},
                {"Variable": f"$.{name.lower()}.Status", "StringEquals": "Creating", "Next": f"Wait{name}"},
                {"Variable": f"$.{name.lower()}.Status", "StringEquals": "Updating", "Next": f"Wait{name}"},
            ],
            "Default": "EndpointFailed",
        },
    }


def definition(model_uri: str, code_uri: str) -> dict[str, Any]:
    def config(name_path: str, model_path: str) -> dict[str, Any]:
        return {
            "EndpointConfigName.$": name_path,
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName.$": model_path,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                    "InitialVariantWeight": 1,
                }
            ],
        }

    deployment = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": 30,
            },
            "TerminationWaitInSeconds": 0,
        }
    }
    container = {
        "Image": hosting.IMAGE,
        "ModelDataUrl": model_uri,
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": code_uri},
    }
    states: dict[str, Any] = {
        "CreateModel": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createModel",
            "Parameters": {"ModelName.$": "$.model", "ExecutionRoleArn": hosting.ROLE, "PrimaryContainer": container},
            "ResultPath": None,
            "Next": "CreateConfig",
        },
        "CreateConfig": {
            "Type": "Task",
            "Resource": f"{SDK}:createEndpointConfig",
            "Parameters": config("$.config", "$.model"),
            "ResultPath": None,
            "Next": "CreateNextConfig",
        },
        "CreateNextConfig": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sagemaker:createEndpointConfig",
            "Parameters": config("$.next_config", "$.model"),
            "ResultPath": None,
            "Next": "CreateEndpoint",
        },
        "CreateEndpoint": {
            "Type": "Task",
            "Resource": f"{SDK}:createEndpoint",
            "Parameters": {"EndpointName.$": "$.endpoint", "EndpointConfigName.$": "$.config"},
            "ResultPath": "$.create",
            "Next": "WaitCreated",
        },
        **poll("Created", "UpdateEndpoint"),
        "UpdateEndpoint": {
            "Type": "Task",
            "Resource": f"{SDK}:updateEndpoint",
            "Parameters": {
                "EndpointName.$": "$.endpoint",
                "EndpointConfigName.$": "$.next_config",
                "DeploymentConfig": deployment,
            },
            "ResultPath": None,
            "Next": "UpdateAgain",
        },
        "UpdateAgain": {
            "Type": "Task",
            "Resource": f"{SDK}:updateEndpoint",
            "Parameters": {"EndpointName.$": "$.endpoint", "EndpointConfigName.$": "$.config"},
            "Catch": [
                {"ErrorEquals": ["SageMaker.SageMakerException"], "ResultPath": "$.refused", "Next": "WaitUpdated"}
            ],
            "ResultPath": None,
            "Next": "EndpointFailed",
        },
        **poll("Updated", "DescribeMissing"),
        "DescribeMissing": {
            "Type": "Task",
            "Resource": f"{SDK}:describeEndpoint",
            "Parameters": {"EndpointName": "no-such-endpoint"},
            "Catch": [{"ErrorEquals": ["SageMaker.SageMakerException"], "ResultPath": "$.missing", "Next": "Delete"}],
            "Next": "EndpointFailed",
        },
        "Delete": {
            "Type": "Task",
            "Resource": f"{SDK}:deleteEndpoint",
            "Parameters": {"EndpointName.$": "$.endpoint"},
            "ResultPath": None,
            "End": True,
        },
        "EndpointFailed": {"Type": "Fail", "Error": "EndpointFailed"},
    }
    return {"StartAt": "CreateModel", "States": states, "TimeoutSeconds": 600}


def test_a_deploy_workflow_creates_updates_and_deletes_an_endpoint(cloud: str, tmp_path: Path) -> None:
    s3, sfn = client(cloud, "s3"), client(cloud, "stepfunctions")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=hosting.model_archive(hosting.train_model(tmp_path)))
    s3.put_object(Bucket=BUCKET, Key="sourcedir.tar.gz", Body=hosting.source_archive())
    machine = sfn.create_state_machine(
        name="local-deploy",
        definition=json.dumps(definition(f"s3://{BUCKET}/model.tar.gz", f"s3://{BUCKET}/sourcedir.tar.gz")),
        roleArn="arn:aws:iam::123456789012:role/local-states",
    )["stateMachineArn"]
    suffix = uuid.uuid4().hex[:6]
    payload = {"model": f"m-{suffix}", "config": f"c1-{suffix}", "next_config": f"c2-{suffix}", "endpoint": "deployed"}

    arn = sfn.start_execution(stateMachineArn=machine, name=f"deploy-{suffix}", input=json.dumps(payload))[
        "executionArn"
    ]
    done = wait_until(
        lambda: sfn.describe_execution(executionArn=arn),
        until=lambda d: d["status"] != "RUNNING",
        timeout=120,
        what="the deploy workflow",
    )

    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert done["status"] == "SUCCEEDED", [e for e in history if "Failed" in e["type"]]
    output = json.loads(done["output"])
    assert output["create"]["EndpointArn"].endswith(":endpoint/deployed")
    assert output["updated"] == {"Status": "InService", "Config": payload["next_config"]}
    assert output["refused"]["Error"] == "SageMaker.SageMakerException"
    assert "Cannot update in-progress endpoint" in output["refused"]["Cause"]
    assert output["missing"]["Error"] == "SageMaker.SageMakerException"
    assert "Could not find endpoint" in output["missing"]["Cause"]
    assert client(cloud, "sagemaker").list_endpoints()["Endpoints"] == []
