"""The local cloud's launcher alone (no CDK CLI): `python -m mlops.local.server` starts with our
plugins installed, the CloudFormation gaps our stacks hit are bridged, layer seeding works,
and the process group stops cleanly. (The stale-state handling is in tests/unit/local/test_state.py.)"""

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlops.local import layers, process
from mlops.local.state import LocalCloudState, LocalPaths, save

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
POWERTOOLS = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-x86_64:3"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    port = process.free_port("localhost")
    endpoint = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, log, cwd=REPO_ROOT)
    try:
        process.wait_until_answering(started, endpoint, log, timeout=60)
        yield endpoint, started.pid
    finally:
        process.stop(started.pid)


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def deploy(endpoint: str, name: str, template: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    cloudformation = client(endpoint, "cloudformation")
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template), **kwargs)
    return dict(cloudformation.describe_stacks(StackName=name)["Stacks"][0])


def tags() -> list[dict[str, str]]:
    return [{"Key": "project", "Value": "local-test"}]


def test_plugins_install_against_the_pinned_moto() -> None:
    """Every moto internal a plugin patches is where the plugin expects it (MotoContractError otherwise)."""
    result = subprocess.run(
        [sys.executable, "-c", "from mlops.local import plugins; plugins.install('http://localhost:1')"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_stack_with_the_resource_types_moto_lacks_or_mishandles(server: tuple[str, int]) -> None:
    endpoint, _ = server
    template = {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}, "Tags": tags()}},
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                },
            },
            "Table": {
                "Type": "AWS::DynamoDB::GlobalTable",
                "Properties": {
                    "TableName": "local-test-registry",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                    "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
                    "Replicas": [
                        {
                            "Region": REGION,
                            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                            "SSESpecification": {"KMSMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
                        }
                    ],
                },
            },
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "local-test-bus"}},
            "Archive": {
                "Type": "AWS::Events::Archive",
                "Properties": {"SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]}, "EventPattern": {"source": ["x"]}},
            },
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "a@example.com"},
            },
            "Models": {
                "Type": "AWS::SageMaker::ModelPackageGroup",
                "Properties": {"ModelPackageGroupName": "local-test-models"},
            },
        },
        "Outputs": {
            "TableName": {"Value": {"Ref": "Table"}},
            "BusName": {"Value": {"Ref": "Bus"}},
            "ModelsArn": {"Value": {"Ref": "Models"}},
        },
    }
    stack = deploy(endpoint, "a-stack-whose-name-is-long-enough-to-need-shortening", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["TableName"] == "local-test-registry"
    assert outputs["BusName"] == "local-test-bus"
    assert outputs["ModelsArn"].endswith(":model-package-group/local-test-models")

    table = client(endpoint, "dynamodb").describe_table(TableName="local-test-registry")["Table"]
    assert table["SSEDescription"]["SSEType"] == "KMS"
    backups = client(endpoint, "dynamodb").describe_continuous_backups(TableName="local-test-registry")
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
        "ENABLED"
    )
    resources = client(endpoint, "cloudformation").list_stack_resources(StackName=stack["StackName"])
    bucket = next(r for r in resources["StackResourceSummaries"] if r["LogicalResourceId"] == "Bucket")
    assert client(endpoint, "s3").get_bucket_versioning(Bucket=bucket["PhysicalResourceId"])["Status"] == "Enabled"
    archives = client(endpoint, "events").list_archives()["Archives"]
    assert all(len(a["ArchiveName"]) <= 48 for a in archives) and archives
    assert client(endpoint, "sns").list_subscriptions()["Subscriptions"][0]["Endpoint"] == "a@example.com"


def _code_bucket(endpoint: str) -> tuple[str, str]:
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="local-test-code")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    s3.put_object(Bucket="local-test-code", Key="code.zip", Body=buffer.getvalue())
    return "local-test-code", "code.zip"


def _function_template(bucket: str, key: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "local-test-function",
                    "Runtime": "python3.14",
                    "Handler": "handler.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"S3Bucket": bucket, "S3Key": key},
                    "Layers": [POWERTOOLS],
                    "Tags": tags(),
                },
            },
        }
    }


def test_a_failing_resource_rolls_the_stack_back_with_its_reason(server: tuple[str, int]) -> None:
    endpoint, _ = server
    bucket, key = _code_bucket(endpoint)
    stack = deploy(endpoint, "fails", _function_template(bucket, key))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = client(endpoint, "cloudformation").describe_stack_events(StackName="fails")["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["LogicalResourceId"] == "Function"
    assert "UnknownLayerVersionException" in failed["ResourceStatusReason"]
    with pytest.raises(client(endpoint, "lambda").exceptions.ResourceNotFoundException):
        client(endpoint, "lambda").get_function(FunctionName="local-test-function")


def test_seeded_layers_let_functions_with_aws_managed_layers_deploy(server: tuple[str, int], tmp_path: Path) -> None:
    endpoint, _ = server
    bucket, key = "local-test-code", "code.zip"
    template = tmp_path / "Stack.template.json"
    template.write_text(json.dumps(_function_template(bucket, key)))
    references = layers.referenced_layers([template])
    assert [(r.name, r.version) for r in references] == [("AWSLambdaPowertoolsPythonV3-python314-x86_64", 3)]
    lambda_client = client(endpoint, "lambda")
    assert layers.seed(lambda_client, references) == 3
    assert layers.seed(lambda_client, references) == 0

    stack = deploy(endpoint, "function", _function_template(bucket, key))
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    configuration = lambda_client.get_function(FunctionName="local-test-function")
    assert [layer["Arn"].rsplit(":", 1)[-1] for layer in configuration["Configuration"]["Layers"]] == ["3"]
    assert configuration["Tags"] == {"project": "local-test"}


def test_exports_follow_updates(server: tuple[str, int]) -> None:
    endpoint, _ = server
    cloudformation = client(endpoint, "cloudformation")

    def exporting(value: str) -> str:
        return json.dumps(
            {
                "Parameters": {"Value": {"Type": "String", "Default": value}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"Shared": {"Value": {"Ref": "Value"}, "Export": {"Name": "local-test-shared"}}},
            }
        )

    cloudformation.create_stack(StackName="exporter", TemplateBody=exporting("first"))
    cloudformation.update_stack(
        StackName="exporter",
        TemplateBody=exporting("second"),
        Parameters=[{"ParameterKey": "Value", "UsePreviousValue": True}],
    )
    exports = {e["Name"]: e["Value"] for e in cloudformation.list_exports()["Exports"]}
    assert exports["local-test-shared"] == "first"  # the previous (default) value is kept
    cloudformation.update_stack(
        StackName="exporter",
        TemplateBody=exporting("second"),
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "third"}],
    )
    exports = {e["Name"]: e["Value"] for e in cloudformation.list_exports()["Exports"]}
    assert exports["local-test-shared"] == "third"


def test_local_down_stops_a_cloud_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mlops local status` and `down`, the real commands, on a server in a state directory of
    this test's own (the session's e2e cloud is checked going down in its fixture's teardown)."""
    monkeypatch.setenv("MLOPS_LOCAL_STATE_DIR", str(tmp_path / "state"))
    paths = LocalPaths.at(REPO_ROOT)
    port = process.free_port("localhost")
    endpoint = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, paths.server_log, cwd=REPO_ROOT)
    try:
        process.wait_until_answering(started, endpoint, paths.server_log, timeout=60)
        state = LocalCloudState(
            pid=started.pid,
            host="localhost",
            port=port,
            endpoint=endpoint,
            region=REGION,
            started_at=datetime.now(UTC),
            environment="dev",
            config_path="mlops.yaml",
            log_file=str(paths.server_log),
        )
        save(paths, state)
        env = dict(os.environ)  # with this test's state directory

        def mlops(*arguments: str) -> str:
            result = subprocess.run(
                [sys.executable, "-m", "mlops.cli.main", "local", *arguments],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, result.stderr[-3000:]
            return result.stdout

        status = json.loads(mlops("status", "--json"))
        assert (status["running"], status["pid"], status["endpoint"]) == (True, started.pid, endpoint)
        assert f"stopped the local cloud (pid {started.pid})" in mlops("down")
        assert started.wait(timeout=10) is not None  # the server process exited
        assert json.loads(mlops("status", "--json")) == {"running": False, "stale": False}
        assert not paths.state_file.exists()
        assert "no local cloud is running" in mlops("down")  # safe when nothing runs
    finally:
        process.stop(started.pid)


def test_stop_ends_the_server(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    port = process.free_port("localhost")
    endpoint = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, log, cwd=REPO_ROOT)
    process.wait_until_answering(started, endpoint, log, timeout=60)
    assert process.alive(started.pid)
    assert process.stop(started.pid) is True
    assert not process.alive(started.pid)
    assert not process.answers(endpoint, timeout=0.5)
    assert process.stop(started.pid) is False
