"""SageMaker batch transform in the local cloud: a CreateTransformJob through our launcher runs
training/inference.py over the input objects for real (mlops.local.transform_jobs), and
`createTransformJob.sync` works in moto's interpreter, with the parameters the deployed
workflow sends (stacks/constructs/sagemaker_job_states.py)."""

import gzip
import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import pytest

from mlops import example_data
from mlops.local import process
from mlops.serving.batch import FORMATS, INPUT_COLUMNS_ENV, PartName
from stacks.constructs.sagemaker_job_states import JobSettings, transform_job_parameters
from tests.integration.test_local_sagemaker import IMAGE, REGION, ROLE, SCHEMA, client
from tests.unit.training.conftest import load_entry_point
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
BUCKET = "local-transform-test"
JOB_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    port = process.free_port("localhost")
    url = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, log, cwd=REPO_ROOT)
    try:
        process.wait_until_answering(started, url, log, timeout=60)
        yield url
    finally:
        process.stop(started.pid)


def wait_for_transform(endpoint: str, name: str) -> dict[str, Any]:
    sagemaker = client(endpoint, "sagemaker")
    described = wait_until(
        lambda: sagemaker.describe_transform_job(TransformJobName=name),
        until=lambda d: d["TransformJobStatus"] not in {"InProgress", "Stopping"},
        timeout=JOB_TIMEOUT_S,
        what=f"transform job {name} to end",
    )
    return dict(described)


@pytest.fixture(scope="module")
def model(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model trained by a real (local) training job, registered as a SageMaker Model whose
    container runs inference.py from the code archive, as the model packages name it."""
    s3, sagemaker = client(endpoint, "s3"), client(endpoint, "sagemaker")
    s3.create_bucket(Bucket=BUCKET)
    folder = tmp_path_factory.mktemp("data")
    s3.upload_file(str(example_data.write_csv(folder / "train.csv")), BUCKET, "train/part-0.csv")
    code = io.BytesIO()
    with tarfile.open(fileobj=code, mode="w:gz") as tar:
        for script in ("train.py", "hyperparameters.py", "inference.py"):
            tar.add(REPO_ROOT / "training" / script, arcname=script)
    s3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=code.getvalue())
    job = f"tm-{uuid.uuid4().hex[:12]}"
    sagemaker.create_training_job(
        TrainingJobName=job,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        HyperParameters={"num_round": "20", **SCHEMA},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/train/"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 300},
    )
    described = wait_until(
        lambda: sagemaker.describe_training_job(TrainingJobName=job),
        until=lambda d: d["TrainingJobStatus"] != "InProgress",
        timeout=JOB_TIMEOUT_S,
        what=f"training job {job} to end",
    )
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    model_uri = described["ModelArtifacts"]["S3ModelArtifacts"]
    name = f"model-{job}"
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": IMAGE,
            "ModelDataUrl": model_uri,
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{BUCKET}/code/sourcedir.tar.gz",
            },
        },
    )
    model_dir = folder / "model"
    archive = s3.get_object(Bucket=BUCKET, Key=model_uri.split(f"{BUCKET}/", 1)[1])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(model_dir, filter="data")
    return {"name": name, "dir": model_dir}


@pytest.fixture(scope="module")
def inputs(endpoint: str) -> dict[str, Any]:
    """The example rows (id and target columns included, header first) as CSV, gzipped CSV
    and Parquet objects, and a CSV that lacks a feature."""
    s3 = client(endpoint, "s3")
    frame = example_data.breast_cancer_frame()
    first, second = frame.iloc[:300], frame.iloc[300:]
    csv_a, csv_b = first.to_csv(index=False).encode(), second.to_csv(index=False).encode()
    s3.put_object(Bucket=BUCKET, Key="lake/objects/a.csv", Body=csv_a)
    s3.put_object(Bucket=BUCKET, Key="lake/objects/b.csv.gz", Body=gzip.compress(csv_b))
    parquet = io.BytesIO()
    # another column order: the model picks its features by name
    frame[list(reversed(frame.columns))].to_parquet(parquet, index=False)
    s3.put_object(Bucket=BUCKET, Key="lake/objects/c.parquet", Body=parquet.getvalue())
    s3.put_object(Bucket=BUCKET, Key="lake/broken/d.csv", Body=first.drop(columns=["mean_radius"]).to_csv(index=False))
    return {"frame": frame, "first": first, "second": second, "layout": json.dumps(list(frame.columns))}


def expected(model: dict[str, Any], rows: pd.DataFrame) -> np.ndarray:
    inference = load_entry_point("inference")
    loaded = inference.model_fn(str(model["dir"]))
    return np.asarray(inference.predict_fn(rows, loaded))


def manifest(endpoint: str, name: str, relatives: list[str], prefix: str = "lake/objects/") -> str:
    document = [{"prefix": f"s3://{BUCKET}/{prefix}"}, *relatives]
    client(endpoint, "s3").put_object(Bucket=BUCKET, Key=f"manifests/{name}", Body=json.dumps(document).encode())
    return f"s3://{BUCKET}/manifests/{name}"


def transform_request(name: str, model_name: str, manifest_uri: str, part: PartName, layout: str) -> dict[str, Any]:
    fmt = FORMATS[part]
    return {
        "TransformJobName": name,
        "ModelName": model_name,
        "BatchStrategy": fmt.batch_strategy,
        "MaxPayloadInMB": fmt.max_payload_mb,
        "Environment": {INPUT_COLUMNS_ENV: layout},
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": manifest_uri}},
            "ContentType": fmt.content_type,
            "SplitType": fmt.split_type,
            "CompressionType": fmt.compression_type,
        },
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/out/{name}/", "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }


def read_predictions(endpoint: str, key: str) -> list[float]:
    body = client(endpoint, "s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [float(line) for line in body.splitlines()]


@pytest.mark.parametrize(
    ("part", "relative", "rows", "strategy"),
    [
        ("csv", "a.csv", "first", None),
        # one line a request: the header travels alone, every data row is named by the layout
        ("csv", "a.csv", "first", "SingleRecord"),
        ("csv-gz", "b.csv.gz", "second", None),
        ("parquet", "c.parquet", "frame", None),
    ],
)
def test_transform_outputs_equal_the_models_own_predictions(
    endpoint: str,
    model: dict[str, Any],
    inputs: dict[str, Any],
    part: PartName,
    relative: str,
    rows: str,
    strategy: str | None,
) -> None:
    name = f"tf-{part}-{uuid.uuid4().hex[:10]}"
    request = transform_request(name, model["name"], manifest(endpoint, name, [relative]), part, inputs["layout"])
    if strategy:
        request["BatchStrategy"] = strategy
    sagemaker = client(endpoint, "sagemaker")

    sagemaker.create_transform_job(**request)
    assert sagemaker.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "InProgress"
    described = wait_for_transform(endpoint, name)

    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    assert "FailureReason" not in described
    assert described["TransformEndTime"] >= described["TransformStartTime"]
    predictions = read_predictions(endpoint, f"out/{name}/{relative}.out")
    assert np.allclose(predictions, expected(model, inputs[rows]))  # one line a data row, in order


def test_a_failing_transform_reports_why_and_writes_nothing(
    endpoint: str, model: dict[str, Any], inputs: dict[str, Any]
) -> None:
    name = f"tf-bad-{uuid.uuid4().hex[:10]}"
    layout = json.dumps([c for c in inputs["frame"].columns if c != "mean_radius"])
    uri = manifest(endpoint, name, ["d.csv"], prefix="lake/broken/")
    client(endpoint, "sagemaker").create_transform_job(**transform_request(name, model["name"], uri, "csv", layout))

    described = wait_for_transform(endpoint, name)

    assert described["TransformJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith(f"ClientError: s3://{BUCKET}/lake/broken/d.csv (records 1-"), reason
    assert "missing feature(s): mean_radius" in reason
    assert client(endpoint, "s3").list_objects_v2(Bucket=BUCKET, Prefix=f"out/{name}/").get("KeyCount", 0) == 0


def test_a_missing_model_fails_the_job_as_a_client_error(endpoint: str, inputs: dict[str, Any]) -> None:
    name = f"tf-nomodel-{uuid.uuid4().hex[:10]}"
    request = transform_request(name, "no-such-model", manifest(endpoint, name, ["a.csv"]), "csv", inputs["layout"])
    client(endpoint, "sagemaker").create_transform_job(**request)
    described = wait_for_transform(endpoint, name)
    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("ClientError: ")
    assert "no-such-model" in described["FailureReason"]


def batch_machine(endpoint: str, name: str) -> str:
    """A Map of `createTransformJob.sync` over plan parts, with the deployed workflow's parameters."""
    job = JobSettings(role_arn=ROLE, image_uri=IMAGE, key_arn="", tags={"project": "t"}, network_isolation=False)
    parameters = transform_job_parameters(job, instance_type="ml.m5.large", accept="text/csv")
    parameters["TransformOutput"].pop("KmsKeyId")  # type: ignore[attr-defined]
    transform = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
        "Parameters": parameters,
        "ResultSelector": {"job_name.$": "$.TransformJobName", "status.$": "$.TransformJobStatus"},
        "End": True,
    }
    definition = {
        "StartAt": "Parts",
        "States": {
            "Parts": {
                "Type": "Map",
                "ItemsPath": "$.plan.parts",
                "ItemSelector": {
                    "part.$": "$$.Map.Item.Value",
                    "model_name.$": "$.plan.model_name",
                    "output_uri.$": "$.plan.output_uri",
                    "environment.$": "$.plan.environment",
                },
                "ItemProcessor": {"StartAt": "Transform", "States": {"Transform": transform}},
                "ResultPath": "$.jobs",
                "End": True,
            }
        },
    }
    created = client(endpoint, "stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/local-states"
    )
    return str(created["stateMachineArn"])


def run(endpoint: str, machine: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = client(endpoint, "stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex[:16], input=json.dumps(payload))[
        "executionArn"
    ]
    described = wait_until(
        lambda: sfn.describe_execution(executionArn=arn),
        until=lambda d: d["status"] != "RUNNING",
        timeout=JOB_TIMEOUT_S,
        what=f"execution {arn} to finish",
    )
    return dict(described)


def test_the_sync_integration_waits_for_each_job_and_fails_with_its_describe_output(
    endpoint: str, model: dict[str, Any], inputs: dict[str, Any]
) -> None:
    machine = batch_machine(endpoint, f"local-transform-{uuid.uuid4().hex[:8]}")
    batch = uuid.uuid4().hex[:8]

    def part(name: PartName, manifest_uri: str) -> dict[str, Any]:
        return {
            "name": name,
            "job_name": f"sync-{batch}-{name}",
            "manifest_uri": manifest_uri,
            **FORMATS[name].model_dump(),
        }

    plan = {
        "model_name": model["name"],
        "output_uri": f"s3://{BUCKET}/out/sync-{batch}/",
        "environment": {INPUT_COLUMNS_ENV: inputs["layout"]},
        "parts": [
            part("csv", manifest(endpoint, f"sync-{batch}-csv", ["a.csv"])),
            part("parquet", manifest(endpoint, f"sync-{batch}-pq", ["c.parquet"])),
        ],
    }

    execution = run(endpoint, machine, {"plan": plan})

    assert execution["status"] == "SUCCEEDED", execution
    jobs = json.loads(execution["output"])["jobs"]
    assert jobs == [
        {"job_name": f"sync-{batch}-csv-r0", "status": "Completed"},
        {"job_name": f"sync-{batch}-parquet-r0", "status": "Completed"},
    ]
    assert np.allclose(read_predictions(endpoint, f"out/sync-{batch}/a.csv.out"), expected(model, inputs["first"]))

    broken = {**plan, "parts": [part("csv", manifest(endpoint, f"sync-{batch}-bad", ["d.csv"], prefix="lake/broken/"))]}
    broken["parts"][0]["job_name"] = f"sync-{batch}-bad"
    failed = run(endpoint, machine, {"plan": broken})

    assert failed["status"] == "FAILED"
    events = client(endpoint, "stepfunctions").get_execution_history(executionArn=failed["executionArn"])["events"]
    [failure] = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert failure["error"] == "States.TaskFailed"
    cause = json.loads(failure["cause"])  # the DescribeTransformJob output, as on AWS
    assert cause["TransformJobStatus"] == "Failed"
    assert "expected 32 values per row (MLOPS_INPUT_COLUMNS), got 31" in cause["FailureReason"]
    assert REGION in cause["TransformJobArn"]
