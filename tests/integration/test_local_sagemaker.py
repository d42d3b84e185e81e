"""SageMaker jobs in the local cloud: a Step Functions execution on moto's interpreter runs
`createTrainingJob.sync` and `createProcessingJob.sync` for real (mlops.local.plugins.sagemaker),
through our launcher `python -m mlops.local.server`, against the local S3."""

import io
import json
import tarfile
import time
import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from mlops import example_data
from mlops.local import faults, process, sagemaker_jobs
from mlops.local.plugins import clock
from mlops.local.plugins.sagemaker import _MODELLED_ERRORS, step_functions_error

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/local-sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
BUCKET = "local-sagemaker-test"
EXECUTION_TIMEOUT_S = 120


_LOGS: dict[str, Path] = {}


def endpoint_log(endpoint: str) -> Path:
    return _LOGS[endpoint]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    port = process.free_port("localhost")
    url = process.endpoint_url("localhost", port)
    started = process.start("localhost", port, log, cwd=REPO_ROOT)
    _LOGS[url] = log
    try:
        process.wait_until_answering(started, url, log, timeout=60)
        yield url
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


@pytest.fixture(scope="module")
def data(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example data (train, and a train channel without the target column) and the
    training code as a `sourcedir.tar.gz`, in the local S3."""
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET)
    folder = tmp_path_factory.mktemp("data")
    train = example_data.write_csv(folder / "train.csv")
    bad = folder / "bad.csv"
    pd.read_csv(train).drop(columns=["diagnosis"]).to_csv(bad, index=False)
    s3.upload_file(str(train), BUCKET, "data/train/part-0.csv")
    s3.upload_file(str(bad), BUCKET, "data/bad/part-0.csv")
    code = io.BytesIO()
    with tarfile.open(fileobj=code, mode="w:gz") as tar:
        # what the training script needs beside it in the container: its hyperparameter declaration
        for script in ("train.py", "hyperparameters.py"):
            tar.add(REPO_ROOT / "training" / script, arcname=script)
    s3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=code.getvalue())
    return {
        "train": f"s3://{BUCKET}/data/train/",
        # evaluation reads the data the model trained on and scores the rows training held out
        "test": f"s3://{BUCKET}/data/train/",
        "bad": f"s3://{BUCKET}/data/bad/",
        "code": f"s3://{BUCKET}/code/sourcedir.tar.gz",
    }


def definition() -> dict[str, Any]:
    train = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
        "Parameters": {
            "TrainingJobName.$": "$.job",
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "HyperParameters.$": "$.hyperparameters",
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.train"}},
                }
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
            "CheckpointConfig": {"S3Uri.$": f"States.Format('s3://{BUCKET}/checkpoints/{{}}', $.job)"},
        },
        "ResultPath": "$.training",
        "Next": "Evaluate",
    }
    evaluate = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
        "Parameters": {
            "ProcessingJobName.$": "States.Format('{}-eval', $.job)",
            "AppSpecification": {
                "ImageUri": IMAGE,
                "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"],
            },
            "ProcessingInputs": [
                {
                    "InputName": "model",
                    "S3Input": {
                        "S3Uri.$": "$.training.ModelArtifacts.S3ModelArtifacts",
                        "LocalPath": "/opt/ml/processing/model",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                },
                {
                    "InputName": "test",
                    "S3Input": {
                        "S3Uri.$": "$.test",
                        "LocalPath": "/opt/ml/processing/test",
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                    },
                },
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "evaluation",
                        "S3Output": {
                            "S3Uri.$": f"States.Format('s3://{BUCKET}/evaluation/{{}}', $.job)",
                            "LocalPath": "/opt/ml/processing/evaluation",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 300},
            "RoleArn": ROLE,
        },
        "ResultPath": "$.evaluation",
        "End": True,
    }
    return {"StartAt": "Train", "States": {"Train": train, "Evaluate": evaluate}}


@pytest.fixture(scope="module")
def state_machine(endpoint: str) -> str:
    created = client(endpoint, "stepfunctions").create_state_machine(
        name="local-sagemaker-train-evaluate",
        definition=json.dumps(definition()),
        roleArn="arn:aws:iam::123456789012:role/local-states",
    )
    return str(created["stateMachineArn"])


def run(endpoint: str, state_machine: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = client(endpoint, "stepfunctions")
    # moto names an unnamed execution "None": name each one
    started = sfn.start_execution(stateMachineArn=state_machine, name=payload["job"], input=json.dumps(payload))
    arn = started["executionArn"]
    deadline = time.monotonic() + EXECUTION_TIMEOUT_S
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.5)
    pytest.fail(f"execution {arn} still running after {EXECUTION_TIMEOUT_S} s")


def task_failure(endpoint: str, execution_arn: str) -> dict[str, Any]:
    events = client(endpoint, "stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert failed, [e["type"] for e in events]
    return dict(failed[-1])


def test_train_and_evaluate_for_real(endpoint: str, data: dict[str, str], state_machine: str) -> None:
    job = f"train-{uuid.uuid4().hex[:12]}"
    hyperparameters = {
        "num_round": "30",
        "sagemaker_program": json.dumps("train.py"),
        "sagemaker_submit_directory": json.dumps(data["code"]),
    }
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": hyperparameters}

    execution = run(endpoint, state_machine, payload)

    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])
    output = json.loads(execution["output"])
    model_uri = f"s3://{BUCKET}/models/{job}/output/model.tar.gz"
    assert output["training"]["TrainingJobStatus"] == "Completed"  # .sync outputs DescribeTrainingJob
    assert output["training"]["ModelArtifacts"]["S3ModelArtifacts"] == model_uri
    assert output["evaluation"]["ProcessingJobStatus"] == "Completed"

    s3 = client(endpoint, "s3")
    model = s3.get_object(Bucket=BUCKET, Key=f"models/{job}/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(model), mode="r:gz") as tar:
        assert {"xgboost-model", "features.json"} <= set(tar.getnames())
    s3.head_object(Bucket=BUCKET, Key=f"models/{job}/output/output.tar.gz")
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=f"checkpoints/{job}/").get("KeyCount", 0) > 0
    evaluation = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"evaluation/{job}/evaluation.json")["Body"].read().decode("utf-8")
    )
    assert evaluation["binary_classification_metrics"]["auc"]["value"] > 0.95
    assert 0 < evaluation["evaluation"]["rows"] < len(example_data.breast_cancer_frame())  # the held-out rows

    described = client(endpoint, "sagemaker").describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "Completed"
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == model_uri
    assert described["BillableTimeInSeconds"] > 0
    assert described["TrainingTimeInSeconds"] >= described["BillableTimeInSeconds"]
    assert described["TrainingEndTime"] >= described["TrainingStartTime"]
    processing = client(endpoint, "sagemaker").describe_processing_job(ProcessingJobName=f"{job}-eval")
    assert processing["ProcessingJobStatus"] == "Completed"


def test_training_failure_fails_the_task_with_the_reason(
    endpoint: str, data: dict[str, str], state_machine: str
) -> None:
    job = f"bad-{uuid.uuid4().hex[:12]}"
    payload = {"job": job, "train": data["bad"], "test": data["test"], "hyperparameters": {"num_round": "5"}}

    execution = run(endpoint, state_machine, payload)

    assert execution["status"] == "FAILED"
    failure = task_failure(endpoint, execution["executionArn"])
    assert failure["error"] == "States.TaskFailed"
    cause = json.loads(failure["cause"])  # the DescribeTrainingJob output, as on AWS
    assert cause["TrainingJobStatus"] == "Failed"
    assert "target column 'diagnosis' is missing" in cause["FailureReason"]

    described = client(endpoint, "sagemaker").describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("AlgorithmError: ")
    assert "target column 'diagnosis' is missing" in described["FailureReason"]
    assert "ModelArtifacts" not in described
    assert client(endpoint, "s3").list_objects_v2(Bucket=BUCKET, Prefix=f"models/{job}/").get("KeyCount", 0) == 0


def test_request_response_returns_at_once_and_the_job_runs_on(endpoint: str, data: dict[str, str]) -> None:
    """Without `.sync` the task outputs CreateTrainingJob's answer; the job is InProgress, then Completed."""
    train = dict(definition()["States"]["Train"])
    train["Resource"] = "arn:aws:states:::sagemaker:createTrainingJob"
    train.pop("Next")
    train["End"] = True
    sfn = client(endpoint, "stepfunctions")
    machine = sfn.create_state_machine(
        name="local-sagemaker-train-only",
        definition=json.dumps({"StartAt": "Train", "States": {"Train": train}}),
        roleArn="arn:aws:iam::123456789012:role/local-states",
    )["stateMachineArn"]
    job = f"rr-{uuid.uuid4().hex[:12]}"
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": {"num_round": "5"}}

    execution = run(endpoint, machine, payload)

    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])
    assert json.loads(execution["output"])["training"]["TrainingJobArn"].endswith(f":training-job/{job}")
    sagemaker = client(endpoint, "sagemaker")
    statuses = [sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"]]
    deadline = time.monotonic() + EXECUTION_TIMEOUT_S
    while statuses[-1] == "InProgress" and time.monotonic() < deadline:
        time.sleep(0.5)
        statuses.append(sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"])
    assert statuses[0] == "InProgress"
    assert statuses[-1] == "Completed"


def test_manifest_file_channels_place_each_listed_object_by_its_relative_key(
    endpoint: str, data: dict[str, str], state_machine: str
) -> None:
    s3 = client(endpoint, "s3")
    s3.copy_object(Bucket=BUCKET, Key="lake/day-1/a.csv", CopySource={"Bucket": BUCKET, "Key": "data/train/part-0.csv"})
    s3.put_object(Bucket=BUCKET, Key="lake/day-2/unlisted.csv", Body=b"not,a,valid\nfile")  # must not be read
    manifest = [{"prefix": f"s3://{BUCKET}/lake/"}, "day-1/a.csv"]
    s3.put_object(Bucket=BUCKET, Key="runs/m/train.manifest", Body=json.dumps(manifest).encode())
    machine = definition()
    channel = machine["States"]["Train"]["Parameters"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]
    channel["S3DataType"] = "ManifestFile"
    sfn = client(endpoint, "stepfunctions")
    arn = sfn.create_state_machine(
        name="local-sagemaker-manifest",
        definition=json.dumps(machine),
        roleArn="arn:aws:iam::123456789012:role/local-states",
    )["stateMachineArn"]
    job = f"mf-{uuid.uuid4().hex[:12]}"
    payload = {
        "job": job,
        "train": f"s3://{BUCKET}/runs/m/train.manifest",
        "test": data["test"],
        "hyperparameters": {"num_round": "5"},
    }
    execution = run(endpoint, arn, payload)
    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])

    # a manifest naming a missing object fails the job with a reason that names it
    s3.put_object(
        Bucket=BUCKET, Key="runs/m/bad.manifest", Body=json.dumps([manifest[0], "day-9/missing.csv"]).encode()
    )
    payload = {**payload, "job": f"mf-{uuid.uuid4().hex[:12]}", "train": f"s3://{BUCKET}/runs/m/bad.manifest"}
    execution = run(endpoint, arn, payload)
    assert execution["status"] == "FAILED"
    reason = json.loads(task_failure(endpoint, execution["executionArn"])["cause"])["FailureReason"]
    assert "day-9/missing.csv" in reason and reason.startswith("ClientError: ")


def wait_for_processing(endpoint: str, name: str) -> dict[str, Any]:
    sagemaker = client(endpoint, "sagemaker")
    deadline = time.monotonic() + EXECUTION_TIMEOUT_S
    while time.monotonic() < deadline:
        described = sagemaker.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] != "InProgress":
            return dict(described)
        time.sleep(0.5)
    pytest.fail(f"processing job {name} still running after {EXECUTION_TIMEOUT_S} s")


def test_manifest_file_processing_inputs(endpoint: str, data: dict[str, str]) -> None:
    """A processing input of S3DataType ManifestFile: the listed objects, under LocalPath by relative key."""
    s3 = client(endpoint, "s3")
    s3.put_object(Bucket=BUCKET, Key="proc/lake/x/one.csv", Body=b"a\n1\n")
    s3.put_object(Bucket=BUCKET, Key="proc/lake/y/z/two.csv", Body=b"a\n2\n")
    s3.put_object(Bucket=BUCKET, Key="proc/lake/x/unlisted.csv", Body=b"a\n3\n")
    manifest = [{"prefix": f"s3://{BUCKET}/proc/lake/"}, "x/one.csv", "y/z/two.csv"]
    s3.put_object(Bucket=BUCKET, Key="proc/inputs.manifest", Body=json.dumps(manifest).encode())
    lister = (
        "import os, sys, json; root, out = sys.argv[1], sys.argv[2]; "
        "files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs); "
        "open(os.path.join(out, 'files.json'), 'w').write(json.dumps(files))"
    )
    name = f"mfp-{uuid.uuid4().hex[:12]}"

    def request(job: str, manifest_uri: str) -> dict[str, Any]:
        return {
            "ProcessingJobName": job,
            "AppSpecification": {
                "ImageUri": IMAGE,
                "ContainerEntrypoint": ["python3", "-c", lister],
                "ContainerArguments": ["/opt/ml/processing/input", "/opt/ml/processing/out"],
            },
            "ProcessingInputs": [
                {
                    "InputName": "data",
                    "S3Input": {
                        "S3Uri": manifest_uri,
                        "LocalPath": "/opt/ml/processing/input",
                        "S3DataType": "ManifestFile",
                        "S3InputMode": "File",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "out",
                        "S3Output": {
                            "S3Uri": f"s3://{BUCKET}/proc/out/{job}",
                            "LocalPath": "/opt/ml/processing/out",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
            },
            "RoleArn": ROLE,
        }

    sagemaker = client(endpoint, "sagemaker")
    sagemaker.create_processing_job(**request(name, f"s3://{BUCKET}/proc/inputs.manifest"))
    described = wait_for_processing(endpoint, name)
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    listed = json.loads(s3.get_object(Bucket=BUCKET, Key=f"proc/out/{name}/files.json")["Body"].read())
    assert listed == ["x/one.csv", "y/z/two.csv"]

    s3.put_object(Bucket=BUCKET, Key="proc/broken.manifest", Body=b'{"prefix": "not a list"}')
    broken = f"mfp-{uuid.uuid4().hex[:12]}"
    sagemaker.create_processing_job(**request(broken, f"s3://{BUCKET}/proc/broken.manifest"))
    described = wait_for_processing(endpoint, broken)
    assert described["ProcessingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith(f"ClientError: manifest s3://{BUCKET}/proc/broken.manifest ")


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (None, "cannot be read"),
        (b"not json", "is not a SageMaker manifest"),
        (b"[]", "is not a SageMaker manifest"),
        (b'["a.csv"]', "is not a SageMaker manifest"),
        (b'[{"prefix": 3}, "a.csv"]', "is not an S3 URI"),
        (b'[{"prefix": "s3://b/p/"}, "../escape.csv"]', "is not a relative key"),
        (b'[{"prefix": "s3://b/p/"}, "/abs.csv"]', "is not a relative key"),
        (b'[{"prefix": "s3://b/p/"}, 7]', "is not a relative key"),
        (json.dumps([{"prefix": f"s3://{BUCKET}/nowhere/"}, "gone.csv"]).encode(), "nowhere/gone.csv"),
    ],
)
def test_malformed_manifests_are_named(
    endpoint: str, data: dict[str, str], tmp_path: Path, body: bytes | None, complaint: str
) -> None:
    s3 = client(endpoint, "s3")
    key = f"manifests/{uuid.uuid4().hex[:12]}.manifest"
    if body is not None:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    with pytest.raises(ValueError, match="manifest") as caught:
        sagemaker_jobs.download_input(s3, f"s3://{BUCKET}/{key}", "ManifestFile", tmp_path / "channel")
    assert str(caught.value).startswith(f"manifest s3://{BUCKET}/{key}")
    assert complaint in str(caught.value)


def training_request(data: dict[str, str]) -> dict[str, Any]:
    return {
        "TrainingJobName": f"fault-{uuid.uuid4().hex[:12]}",
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "HyperParameters": {"num_round": "3"},
        "InputDataConfig": [
            {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": data["train"]}}}
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def test_an_injected_fault_fails_the_api_call_once_then_it_succeeds(endpoint: str, data: dict[str, str]) -> None:
    sagemaker = client(endpoint, "sagemaker")
    faults.clear(endpoint)
    pending = faults.inject(
        endpoint, operation="CreateTrainingJob", code="ResourceLimitExceeded", message="limit reached", count=1
    )
    assert [(f["service"], f["operation"], f["count"], f["fired"]) for f in pending] == [
        ("sagemaker", "CreateTrainingJob", 1, 0)
    ]
    assert faults.pending(endpoint) == pending
    request = training_request(data)

    with pytest.raises(ClientError) as caught:
        sagemaker.create_training_job(**request)

    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceLimitExceeded"
    assert error["Error"]["Message"] == "limit reached"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert isinstance(caught.value, sagemaker.exceptions.ResourceLimitExceeded)
    with pytest.raises(ClientError):  # nothing was created
        sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert faults.pending(endpoint) == []
    assert faults.fired(endpoint) == [
        {"service": "sagemaker", "operation": "CreateTrainingJob", "code": "ResourceLimitExceeded", "count": 1}
    ]
    assert sagemaker.create_training_job(**request)["TrainingJobArn"]  # the next call goes through
    assert faults.clear(endpoint) == [] and faults.fired(endpoint) == []


def test_faults_count_per_call_and_clear(endpoint: str) -> None:
    faults.clear(endpoint)
    faults.inject(endpoint, operation="CreateProcessingJob", code="ResourceInUse", message="m", count=2)
    sagemaker = client(endpoint, "sagemaker")
    request = {
        "ProcessingJobName": f"fault-{uuid.uuid4().hex[:12]}",
        "AppSpecification": {"ImageUri": IMAGE, "ContainerEntrypoint": ["python3", "-c", "pass"]},
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        "RoleArn": ROLE,
    }
    with pytest.raises(ClientError) as caught:
        sagemaker.create_processing_job(**request)
    assert caught.value.response["Error"]["Code"] == "ResourceInUse"
    assert [f["fired"] for f in faults.pending(endpoint)] == [1]
    assert faults.clear(endpoint) == []
    assert sagemaker.create_processing_job(**request)["ProcessingJobArn"]


@pytest.mark.parametrize(
    "fault",
    [
        {"operation": "CreateTrainingJob", "code": "X", "message": "m", "count": 0},
        {"operation": "CreateTrainingJob", "code": "X", "message": "m", "status": 200},
        {"operation": "CreateModel", "code": "X", "message": "m"},
        {"operation": "CreateTrainingJob", "code": "X", "message": "m", "service": "s3"},
    ],
)
def test_faults_that_no_call_would_honour_are_refused(endpoint: str, fault: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        faults.inject(endpoint, **fault)
    assert caught.value.code == 400
    assert "error" in json.loads(caught.value.read())


def test_a_retried_sync_task_sees_the_step_functions_error_name_and_a_compressed_wait(
    endpoint: str, data: dict[str, str]
) -> None:
    machine = definition()
    train = machine["States"]["Train"]
    train["Retry"] = [
        {"ErrorEquals": ["SageMaker.ResourceLimitExceededException"], "IntervalSeconds": 30, "MaxAttempts": 2}
    ]
    train["Next"] = "Done"
    machine["States"] = {"Train": train, "Done": {"Type": "Succeed"}}
    sfn = client(endpoint, "stepfunctions")
    arn = sfn.create_state_machine(
        name="local-sagemaker-retry", definition=json.dumps(machine), roleArn="arn:aws:iam::123456789012:role/s"
    )["stateMachineArn"]
    faults.clear(endpoint)
    faults.inject(endpoint, operation="CreateTrainingJob", code="ResourceLimitExceeded", message="quota")
    job = f"retry-{uuid.uuid4().hex[:12]}"
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": {"num_round": "3"}}
    execution = run(endpoint, arn, payload)
    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])
    events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failed] == ["SageMaker.ResourceLimitExceededException"]  # once, then retried
    assert failed[0]["cause"] == "quota (Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceLimitExceeded)"
    assert faults.fired(endpoint)[0]["count"] == 1
    # the 30 s retry interval ran compressed (MLOPS_LOCAL_WAIT_SCALE, default 0.02): the log says so
    log = Path(endpoint_log(endpoint)).read_text()
    assert f"retry wait: 30.00 s as deployed, {30 * clock.scale():.3f} s locally" in log


def test_a_wait_state_is_compressed(endpoint: str) -> None:
    sfn = client(endpoint, "stepfunctions")
    machine = {
        "StartAt": "Pause",
        "States": {"Pause": {"Type": "Wait", "Seconds": 10, "Next": "Done"}, "Done": {"Type": "Succeed"}},
    }
    arn = sfn.create_state_machine(
        name="local-wait-scaled", definition=json.dumps(machine), roleArn="arn:aws:iam::123456789012:role/s"
    )["stateMachineArn"]
    execution = run(endpoint, arn, {"job": f"wait-{uuid.uuid4().hex[:12]}"})
    assert execution["status"] == "SUCCEEDED"
    log = Path(endpoint_log(endpoint)).read_text()
    assert f"wait state: 10.00 s as deployed, {10 * clock.scale():.3f} s locally" in log


def test_wait_scale_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in (("", 0.02), ("1", 1.0), ("0.5", 0.5), ("7", 1.0), ("-1", 0.0), ("fast", 0.02)):
        monkeypatch.setenv("MLOPS_LOCAL_WAIT_SCALE", raw)
        assert clock.scale() == expected, raw


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("ResourceLimitExceeded", "SageMaker.ResourceLimitExceededException"),
        ("ResourceInUse", "SageMaker.ResourceInUseException"),
        ("ConflictException", "SageMaker.ConflictException"),
        ("ValidationException", "SageMaker.AmazonSageMakerException"),
        ("ThrottlingException", "SageMaker.AmazonSageMakerException"),
    ],
)
def test_sagemaker_api_errors_get_step_functions_names(code: str, name: str) -> None:
    assert step_functions_error(code) == name


def test_the_modelled_errors_are_the_sdks() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    assert {shape.name for shape in model.error_shapes} == _MODELLED_ERRORS
