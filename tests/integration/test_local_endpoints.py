"""SageMaker endpoints in the local cloud: real model servers behind CreateEndpoint, InvokeEndpoint,
data capture, canary UpdateEndpoint with alarm rollback (mlops.local.plugins.endpoints, .alarms),
through our launcher `python -m mlops.local.server`, with boto3 only."""

import importlib.util
import json
import os
import re
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import pytest
from botocore.exceptions import ClientError

from mlops.example_data import ID_COLUMN, TARGET_COLUMN, breast_cancer_frame
from mlops.local import process
from tests import hosting
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "local-endpoints-test"
#: local waits are compressed 50x (MLOPS_LOCAL_WAIT_SCALE 0.02): a 300 s bake takes 6 s here
BAKE_S = 300
START_TIMEOUT_S = 90


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
        service,
        endpoint_url=cloud,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hosting.train_model(tmp_path_factory.mktemp("train"))


@pytest.fixture(scope="module")
def artifacts(cloud: str, model_dir: Path) -> dict[str, str]:
    """A trained model, its inference code, and a broken version of the code, in the local S3."""
    s3 = client(cloud, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=hosting.model_archive(model_dir))
    s3.put_object(Bucket=BUCKET, Key="code/good/sourcedir.tar.gz", Body=hosting.source_archive())
    s3.put_object(Bucket=BUCKET, Key="code/bad/sourcedir.tar.gz", Body=hosting.source_archive(broken=True))
    return {
        "model": f"s3://{BUCKET}/model/model.tar.gz",
        "good": f"s3://{BUCKET}/code/good/sourcedir.tar.gz",
        "bad": f"s3://{BUCKET}/code/bad/sourcedir.tar.gz",
    }


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return breast_cancer_frame().drop(columns=[ID_COLUMN, TARGET_COLUMN])


@pytest.fixture(scope="module")
def expected(model_dir: Path, features: pd.DataFrame) -> list[float]:
    """Predictions of the model loaded directly, with the inference code the endpoint runs."""
    spec = importlib.util.spec_from_file_location("inference_under_test", hosting.TRAINING / "inference.py")
    assert spec is not None and spec.loader is not None
    inference: Any = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = inference  # its dataclasses resolve their module through sys.modules
    spec.loader.exec_module(inference)
    return [float(p) for p in inference.predict_fn(features.head(5), inference.model_fn(str(model_dir)))]


def deploy(cloud: str, artifacts: dict[str, str], name: str, code: str = "good", **config: Any) -> str:
    """CreateModel, CreateEndpointConfig (named `<name>-<code>`), CreateEndpoint; the config name."""
    sm = client(cloud, "sagemaker")
    suffix = uuid.uuid4().hex[:6]
    hosting.create_model(sm, f"{name}-{code}-{suffix}", artifacts["model"], artifacts[code])
    config_name = f"{name}-{code}-{suffix}"
    hosting.create_endpoint_config(sm, config_name, f"{name}-{code}-{suffix}", **config)
    return config_name


def wait_in_service(cloud: str, name: str) -> dict[str, Any]:
    sm = client(cloud, "sagemaker")
    described: dict[str, Any] = wait_until(
        lambda: sm.describe_endpoint(EndpointName=name),
        until=lambda d: d["EndpointStatus"] not in {"Creating", "Updating", "RollingBack"},
        timeout=START_TIMEOUT_S,
        what=f"endpoint {name} to settle",
    )
    return described


def csv_rows(frame: pd.DataFrame) -> str:
    return str(frame.to_csv(index=False, header=False))


def predictions(answer: dict[str, Any]) -> list[float]:
    return [float(p) for p in json.loads(answer["Body"].read())["predictions"]]


def shape_problems(value: Any, shape: Any, path: str = "") -> list[str]:
    """Members that botocore's output shape does not declare, and required ones that are missing."""
    if shape.type_name == "structure":
        problems = [f"{path}.{m} missing" for m in shape.required_members if m not in value]
        for key, item in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key} is not in {shape.name}")
            else:
                problems += shape_problems(item, shape.members[key], f"{path}.{key}")
        return problems
    if shape.type_name == "list":
        return [p for i, item in enumerate(value) for p in shape_problems(item, shape.member, f"{path}[{i}]")]
    return []


def assert_describe_shape(described: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    output = model.operation_model("DescribeEndpoint").output_shape
    body = {k: v for k, v in described.items() if k != "ResponseMetadata"}
    assert shape_problems(body, output) == []


def model_servers(cloud: str, name: str) -> list[int]:
    with urllib.request.urlopen(f"{cloud}/_mlops/endpoints") as answer:
        listed = json.loads(answer.read())["endpoints"]
    return [pid for e in listed if e["name"] == name for fleet in e["fleets"] for pid in fleet["pids"]]


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.is_file() or stat.read_text().rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


def test_first_deployment_serves_the_trained_model(
    cloud: str, artifacts: dict[str, str], features: pd.DataFrame, expected: list[float]
) -> None:
    sm, runtime = client(cloud, "sagemaker"), client(cloud, "sagemaker-runtime")
    config = deploy(cloud, artifacts, "first")
    sm.create_endpoint(EndpointName="first", EndpointConfigName=config)
    assert sm.describe_endpoint(EndpointName="first")["EndpointStatus"] == "Creating"

    described = wait_in_service(cloud, "first")

    assert described["EndpointStatus"] == "InService", described.get("FailureReason")
    assert described["EndpointConfigName"] == config
    [variant] = described["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic" and variant["CurrentWeight"] == 1.0
    assert variant["CurrentInstanceCount"] == 1
    assert variant["DeployedImages"][0]["SpecifiedImage"] == hosting.IMAGE
    assert_describe_shape(described)
    rows = features.head(5)
    as_csv = runtime.invoke_endpoint(EndpointName="first", Body=csv_rows(rows), ContentType="text/csv")
    assert as_csv["InvokedProductionVariant"] == "AllTraffic"
    assert as_csv["ContentType"] == "application/json"
    assert predictions(as_csv) == pytest.approx(expected, abs=1e-7)
    body = json.dumps({"instances": rows.to_dict(orient="records")})
    as_json = runtime.invoke_endpoint(
        EndpointName="first", Body=body, ContentType="application/json", Accept="text/csv"
    )
    assert as_json["ContentType"] == "text/csv"
    lines = as_json["Body"].read().decode().split()
    assert [float(v) for v in lines] == pytest.approx(expected, abs=1e-7)


def test_a_missing_endpoint_is_not_found(cloud: str) -> None:
    with pytest.raises(ClientError) as raised:
        client(cloud, "sagemaker-runtime").invoke_endpoint(EndpointName="nowhere", Body=b"1,2", ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.response["Error"]["Message"] == f"Endpoint nowhere of account {ACCOUNT} not found."
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_malformed_payload_is_a_model_error_and_a_4xx_metric(cloud: str, artifacts: dict[str, str]) -> None:
    sm, runtime = client(cloud, "sagemaker"), client(cloud, "sagemaker-runtime")
    sm.create_endpoint(EndpointName="malformed", EndpointConfigName=deploy(cloud, artifacts, "malformed"))
    assert wait_in_service(cloud, "malformed")["EndpointStatus"] == "InService"

    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(EndpointName="malformed", Body=b"1.0,2.0", ContentType="text/csv")
    with pytest.raises(runtime.exceptions.ModelError) as unsupported:
        runtime.invoke_endpoint(EndpointName="malformed", Body=b"<x/>", ContentType="application/xml")

    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == 400
    assert error["Error"]["Message"].startswith('Received client error (400) from primary with message "InvalidInput')
    assert "expected 30 values per row" in error["OriginalMessage"]
    assert unsupported.value.response["OriginalStatusCode"] == 415
    cloudwatch = client(cloud, "cloudwatch")

    def errors() -> float:
        stats = cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocation4XXErrors",
            Dimensions=[{"Name": "EndpointName", "Value": "malformed"}, {"Name": "VariantName", "Value": "AllTraffic"}],
            StartTime=pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=5),
            EndTime=pd.Timestamp.now(tz="UTC") + pd.Timedelta(minutes=1),
            Period=600,
            Statistics=["Sum"],
        )
        return float(sum(p["Sum"] for p in stats["Datapoints"]))

    assert errors() == 2.0
    sm.delete_endpoint(EndpointName="malformed")


def test_every_invocation_is_captured_at_100_percent(
    cloud: str, artifacts: dict[str, str], features: pd.DataFrame
) -> None:
    sm, runtime, s3 = client(cloud, "sagemaker"), client(cloud, "sagemaker-runtime"), client(cloud, "s3")
    key = client(cloud, "kms").create_key()["KeyMetadata"]["Arn"]
    config = deploy(cloud, artifacts, "captured", capture_uri=f"s3://{BUCKET}/capture", kms_key_id=key)
    sm.create_endpoint(EndpointName="captured", EndpointConfigName=config)
    described = wait_in_service(cloud, "captured")
    assert described["DataCaptureConfig"] == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{BUCKET}/capture",
        "KmsKeyId": key,
    }
    sent = []
    for index in range(4):
        body = csv_rows(features.iloc[index : index + 1])
        runtime.invoke_endpoint(EndpointName="captured", Body=body, ContentType="text/csv", InferenceId=f"row-{index}")
        sent.append(body)
    records_json = json.dumps({"instances": [features.iloc[4].to_dict()]})
    runtime.invoke_endpoint(EndpointName="captured", Body=records_json, ContentType="application/json")

    def captured() -> list[tuple[str, dict[str, Any]]]:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="capture/").get("Contents", [])
        out = []
        for item in listed:
            text = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
            out += [(item["Key"], json.loads(line)) for line in text.splitlines() if line]
        return out

    records = wait_until(captured, until=lambda r: len(r) >= 5, timeout=10, what="5 captured records")

    assert len(records) == 5
    layout = re.compile(r"^capture/captured/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$")
    for key_name, _ in records:
        assert layout.match(key_name), key_name
        head = s3.head_object(Bucket=BUCKET, Key=key_name)
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key
    by_input = {r["captureData"]["endpointInput"]["data"]: r for _, r in records}
    for index, body in enumerate(sent):
        found = by_input[body]
        assert found["eventVersion"] == "0"
        assert found["eventMetadata"]["inferenceId"] == f"row-{index}"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", found["eventMetadata"]["inferenceTime"])
        assert found["captureData"]["endpointInput"] == {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": body,
            "encoding": "CSV",
        }
        output = found["captureData"]["endpointOutput"]
        assert output["mode"] == "OUTPUT" and output["encoding"] == "JSON"
        assert len(json.loads(output["data"])["predictions"]) == 1
    as_json = by_input[records_json]
    assert as_json["captureData"]["endpointInput"]["encoding"] == "JSON"
    assert "inferenceId" not in as_json["eventMetadata"]
    sm.delete_endpoint(EndpointName="captured")


def canary(wait_seconds: int, alarms: list[str] | None = None, termination: int = 0) -> dict[str, Any]:
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                "WaitIntervalInSeconds": wait_seconds,
            },
            "TerminationWaitInSeconds": termination,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


def test_canary_update_shifts_traffic_to_the_new_version(
    cloud: str, artifacts: dict[str, str], features: pd.DataFrame, expected: list[float]
) -> None:
    sm, runtime = client(cloud, "sagemaker"), client(cloud, "sagemaker-runtime")
    blue = deploy(cloud, artifacts, "canary")
    sm.create_endpoint(EndpointName="canary", EndpointConfigName=blue)
    assert wait_in_service(cloud, "canary")["EndpointStatus"] == "InService"
    old_servers = model_servers(cloud, "canary")
    green = deploy(cloud, artifacts, "canary")

    sm.update_endpoint(EndpointName="canary", EndpointConfigName=green, DeploymentConfig=canary(BAKE_S))
    with pytest.raises(ClientError) as refused:
        sm.update_endpoint(EndpointName="canary", EndpointConfigName=green)
    seen: list[tuple[str, float | None, float]] = []

    def observe() -> dict[str, Any]:
        described: dict[str, Any] = sm.describe_endpoint(EndpointName="canary")
        pending = described.get("PendingDeploymentSummary")
        new_weight = pending["ProductionVariants"][0]["CurrentWeight"] if pending else None
        seen.append((described["EndpointStatus"], new_weight, described["ProductionVariants"][0]["CurrentWeight"]))
        if pending:
            assert_describe_shape(described)
        answer = runtime.invoke_endpoint(EndpointName="canary", Body=csv_rows(features.head(5)), ContentType="text/csv")
        assert predictions(answer) == pytest.approx(expected, abs=1e-7)  # served throughout, by either fleet
        return described

    done = wait_until(observe, until=lambda d: d["EndpointStatus"] == "InService", timeout=60, what="the canary")

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == (
        f'Cannot update in-progress endpoint "arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/canary".'
    )
    assert done["EndpointConfigName"] == green and "FailureReason" not in done
    assert "PendingDeploymentSummary" not in done
    assert done["ProductionVariants"][0]["CurrentWeight"] == 1.0
    assert done["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"
    assert ("Updating", 0.1, 0.9) in seen  # the canary's 10% on the new fleet, observed while baking
    assert all(status in {"Updating", "InService"} for status, _, _ in seen)
    assert old_servers and not any(running(pid) for pid in old_servers)
    new_servers = model_servers(cloud, "canary")
    assert new_servers and all(running(pid) for pid in new_servers)
    sm.delete_endpoint(EndpointName="canary")
    assert not any(running(pid) for pid in new_servers)


def test_canary_of_a_broken_model_rolls_back_when_its_alarm_fires(
    cloud: str, artifacts: dict[str, str], features: pd.DataFrame, expected: list[float]
) -> None:
    sm, runtime, cloudwatch = (
        client(cloud, "sagemaker"),
        client(cloud, "sagemaker-runtime"),
        client(cloud, "cloudwatch"),
    )
    sqs, events = client(cloud, "sqs"), client(cloud, "events")
    alarm = "rollback-Invocation5XXErrors"
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": "rollback"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    queue = sqs.create_queue(QueueName="alarm-changes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": [alarm], "state": {"value": ["ALARM"]}},
    }
    events.put_rule(Name="alarm-to-queue", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="alarm-to-queue", Targets=[{"Id": "queue", "Arn": queue_arn}])
    blue = deploy(cloud, artifacts, "rollback")
    sm.create_endpoint(EndpointName="rollback", EndpointConfigName=blue)
    assert wait_in_service(cloud, "rollback")["EndpointStatus"] == "InService"
    broken = deploy(cloud, artifacts, "rollback", code="bad")

    sm.update_endpoint(EndpointName="rollback", EndpointConfigName=broken, DeploymentConfig=canary(BAKE_S, [alarm]))
    statuses: list[str] = []
    failures = 0

    def traffic() -> dict[str, Any]:
        nonlocal failures
        try:
            runtime.invoke_endpoint(EndpointName="rollback", Body=csv_rows(features.head(5)), ContentType="text/csv")
        except runtime.exceptions.ModelError as error:
            assert error.response["OriginalStatusCode"] == 500
            assert error.response["Error"]["Message"].startswith("Received server error (500) from primary")
            failures += 1
        described: dict[str, Any] = sm.describe_endpoint(EndpointName="rollback")
        statuses.append(described["EndpointStatus"])
        return described

    done = wait_until(
        traffic, until=lambda d: d["EndpointStatus"] == "InService", timeout=BAKE_S * 0.02 + 60, what="the rollback"
    )

    assert failures >= 1  # the canary's share reached the broken version
    assert done["EndpointConfigName"] == blue
    assert alarm in done["FailureReason"] and "Rolled back" in done["FailureReason"]
    assert "PendingDeploymentSummary" not in done
    described_alarm = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]
    assert described_alarm["StateValue"] == "ALARM"
    assert described_alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    answer = runtime.invoke_endpoint(EndpointName="rollback", Body=csv_rows(features.head(5)), ContentType="text/csv")
    assert predictions(answer) == pytest.approx(expected, abs=1e-7)  # the old version still answers
    assert set(statuses) <= {"Updating", "RollingBack", "InService"}

    def alarm_events() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    [event] = wait_until(alarm_events, timeout=10, what="the ALARM state change event in the queue")
    assert event["source"] == "aws.cloudwatch" and event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["resources"] == [described_alarm["AlarmArn"]]
    assert event["detail"]["alarmName"] == alarm
    assert event["detail"]["state"]["value"] == "ALARM"
    assert event["detail"]["previousState"]["value"] == "OK"
    metric = event["detail"]["configuration"]["metrics"][0]["metricStat"]
    assert metric["metric"]["name"] == "Invocation5XXErrors" and metric["period"] == 60 and metric["stat"] == "Sum"
    history = cloudwatch.describe_alarm_history(AlarmName=alarm)["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == "Alarm updated from OK to ALARM"
    sm.delete_endpoint(EndpointName="rollback")
    cloudwatch.delete_alarms(AlarmNames=[alarm])


def test_a_model_that_cannot_load_fails_the_endpoint(cloud: str, artifacts: dict[str, str]) -> None:
    sm, s3 = client(cloud, "sagemaker"), client(cloud, "s3")
    s3.put_object(Bucket=BUCKET, Key="model/empty.tar.gz", Body=hosting.tar_gz({"README": b"no model here"}))
    hosting.create_model(sm, "unloadable", f"s3://{BUCKET}/model/empty.tar.gz", artifacts["good"])
    hosting.create_endpoint_config(sm, "unloadable", "unloadable")
    sm.create_endpoint(EndpointName="unloadable", EndpointConfigName="unloadable")

    described = wait_in_service(cloud, "unloadable")

    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        "The primary container for production variant AllTraffic did not pass the ping health check."
    )
    assert "xgboost-model" in described["FailureReason"]  # the local server's own error, to debug with
    with pytest.raises(ClientError) as raised:
        client(cloud, "sagemaker-runtime").invoke_endpoint(EndpointName="unloadable", Body=b"1", ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    sm.delete_endpoint(EndpointName="unloadable")


def test_an_image_of_another_xgboost_fails_the_endpoint(cloud: str, artifacts: dict[str, str]) -> None:
    sm = client(cloud, "sagemaker")
    old_image = hosting.IMAGE.replace(":3.2-0", ":1.7-1")
    hosting.create_model(sm, "old-image", artifacts["model"], artifacts["good"], image=old_image)
    hosting.create_endpoint_config(sm, "old-image", "old-image")
    sm.create_endpoint(EndpointName="old-image", EndpointConfigName="old-image")

    described = wait_in_service(cloud, "old-image")

    assert described["EndpointStatus"] == "Failed"
    assert "runs xgboost 1.7" in described["FailureReason"]
    sm.delete_endpoint(EndpointName="old-image")


def test_model_servers_die_with_the_server(tmp_path: Path, artifacts: dict[str, str], model_dir: Path) -> None:
    """Even a server killed outright (SIGKILL, its process group left alone) leaves no model server."""
    log = tmp_path / "server.log"
    port = process.free_port("localhost")
    url = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, log, cwd=REPO_ROOT)
    try:
        process.wait_until_answering(started, url, log, timeout=60)
        s3, sm = client(url, "s3"), client(url, "sagemaker")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=hosting.model_archive(model_dir))
        s3.put_object(Bucket=BUCKET, Key="code/good/sourcedir.tar.gz", Body=hosting.source_archive())
        sm.create_endpoint(EndpointName="orphan", EndpointConfigName=deploy(url, artifacts, "orphan"))
        assert wait_in_service(url, "orphan")["EndpointStatus"] == "InService"
        servers = model_servers(url, "orphan")
        assert servers and all(running(pid) for pid in servers)

        os.kill(started.pid, 9)
        started.wait(timeout=10)

        wait_until(lambda: not any(running(pid) for pid in servers), timeout=10, what="the model servers to exit")
    finally:
        process.stop(started.pid)
