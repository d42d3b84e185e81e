"""SageMaker jobs in the local cloud: a Step Functions execution on moto's interpreter runs
`createTrainingJob.sync` and `createProcessingJob.sync` for real (mlops.local.plugins.sagemaker),
through our launcher `python -m mlops.local.server`, against the local S3."""

import io
import json
import re
import tarfile
import urllib.error
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import pytest
from botocore.exceptions import ClientError

from mlops import example_data
from mlops.local import faults, process, sagemaker_jobs
from mlops.local.plugins import clock
from mlops.pipeline.job_contract import EVALUATION_ARGUMENTS
from mlops.pipeline.job_logs import JobLogs
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/local-sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"
BUCKET = "local-sagemaker-test"
EXECUTION_TIMEOUT_S = 120
#: the example dataset's label and key columns, as the pipeline passes them (mlops/pipeline/job_contract.py)
SCHEMA = {"target": "diagnosis", "id_columns": json.dumps(["sample_id"])}


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
    described = wait_until(
        lambda: sfn.describe_execution(executionArn=arn),
        until=lambda d: d["status"] != "RUNNING",
        timeout=EXECUTION_TIMEOUT_S,
        what=f"execution {arn} to finish",
    )
    return dict(described)


def task_failure(endpoint: str, execution_arn: str) -> dict[str, Any]:
    events = client(endpoint, "stepfunctions").get_execution_history(executionArn=execution_arn)["events"]
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert failed, [e["type"] for e in events]
    return dict(failed[-1])


def test_train_and_evaluate_for_real(endpoint: str, data: dict[str, str], state_machine: str) -> None:
    job = f"train-{uuid.uuid4().hex[:12]}"
    hyperparameters = {
        **SCHEMA,
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
    payload = {"job": job, "train": data["bad"], "test": data["test"], "hyperparameters": {"num_round": "5", **SCHEMA}}

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
    """Without `.sync` the task outputs CreateTrainingJob's answer at once; the job runs on and completes."""
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
    hyperparameters = {"num_round": "5", **SCHEMA}
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": hyperparameters}

    execution = run(endpoint, machine, payload)

    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])
    answer = json.loads(execution["output"])["training"]
    # CreateTrainingJob's answer, not DescribeTrainingJob's (which `.sync` would have waited for)
    assert set(answer) == {"TrainingJobArn"} and answer["TrainingJobArn"].endswith(f":training-job/{job}")
    sagemaker = client(endpoint, "sagemaker")
    described = wait_until(
        lambda: sagemaker.describe_training_job(TrainingJobName=job),
        until=lambda d: d["TrainingJobStatus"] != "InProgress",
        timeout=EXECUTION_TIMEOUT_S,
        what=f"training job {job} to end",
    )
    assert described["TrainingJobStatus"] == "Completed"
    # the execution was over before the job ended: the task did not wait for it. (Reading the
    # status right after the execution would race a fast job that is already done.)
    assert execution["stopDate"] < described["TrainingEndTime"]


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
        "hyperparameters": {"num_round": "5", **SCHEMA},
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
    described = wait_until(
        lambda: sagemaker.describe_processing_job(ProcessingJobName=name),
        until=lambda d: d["ProcessingJobStatus"] != "InProgress",
        timeout=EXECUTION_TIMEOUT_S,
        what=f"processing job {name} to end",
    )
    return dict(described)


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
        "HyperParameters": {"num_round": "3", **SCHEMA},
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
    hyperparameters = {"num_round": "3", **SCHEMA}
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": hyperparameters}
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


OLD_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def test_the_runner_refuses_an_xgboost_image_of_another_version_before_running(
    endpoint: str, data: dict[str, str]
) -> None:
    """xgboost 3.2 is installed: a job naming the 1.7-1 image fails, saying what and why, and writes nothing."""
    request = training_request(data)
    request["AlgorithmSpecification"] = {"TrainingImage": OLD_IMAGE, "TrainingInputMode": "File"}
    s3 = client(endpoint, "s3")

    result = sagemaker_jobs.run_training_job(request, s3, endpoint_url=endpoint, region=REGION)

    assert result.status == "Failed"
    assert result.failure_reason is not None
    assert result.failure_reason.startswith("ClientError: image sagemaker-xgboost:1.7-1 runs xgboost 1.7")
    assert "would not hold on AWS" in result.failure_reason
    prefix = f"models/{request['TrainingJobName']}/"
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("KeyCount", 0) == 0

    processing = {
        "ProcessingJobName": f"old-{uuid.uuid4().hex[:12]}",
        "AppSpecification": {"ImageUri": OLD_IMAGE, "ContainerEntrypoint": ["python3", "-c", "pass"]},
    }
    result = sagemaker_jobs.run_processing_job(processing, s3, endpoint_url=endpoint, region=REGION)
    assert result.status == "Failed"
    assert result.failure_reason is not None and "sagemaker-xgboost:1.7-1 runs xgboost 1.7" in result.failure_reason


def test_a_sync_task_on_an_old_image_fails_with_the_refusal_as_failure_reason(
    endpoint: str, data: dict[str, str]
) -> None:
    machine = definition()
    machine["States"]["Train"]["Parameters"]["AlgorithmSpecification"]["TrainingImage"] = OLD_IMAGE
    arn = client(endpoint, "stepfunctions").create_state_machine(
        name="local-sagemaker-old-image", definition=json.dumps(machine), roleArn="arn:aws:iam::123456789012:role/s"
    )["stateMachineArn"]
    job = f"old-{uuid.uuid4().hex[:12]}"
    hyperparameters = {"num_round": "3", **SCHEMA}
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": hyperparameters}

    execution = run(endpoint, arn, payload)

    assert execution["status"] == "FAILED"
    cause = json.loads(task_failure(endpoint, execution["executionArn"])["cause"])
    assert cause["TrainingJobStatus"] == "Failed"
    assert "sagemaker-xgboost:1.7-1 runs xgboost 1.7" in cause["FailureReason"]


def test_the_datasets_target_reaches_both_jobs_through_the_state_machine(
    endpoint: str, data: dict[str, str], tmp_path: Path
) -> None:
    """Another dataset's label and key columns: training gets them as hyperparameters, evaluation as
    the ContainerArguments the deployed state machine builds with States.Array (EVALUATION_ARGUMENTS)."""
    s3 = client(endpoint, "s3")
    renamed = tmp_path / "renamed.csv"
    frame = example_data.breast_cancer_frame().rename(columns={"diagnosis": "label", "sample_id": "case"})
    frame.to_csv(renamed, index=False)
    s3.upload_file(str(renamed), BUCKET, "data/renamed/part-0.csv")
    machine = definition()
    machine["States"]["Train"]["Parameters"]["HyperParameters.$"] = "$.run.hyperparameters"
    machine["States"]["Evaluate"]["Parameters"]["AppSpecification"]["ContainerArguments.$"] = EVALUATION_ARGUMENTS
    arn = client(endpoint, "stepfunctions").create_state_machine(
        name="local-sagemaker-renamed", definition=json.dumps(machine), roleArn="arn:aws:iam::123456789012:role/s"
    )["stateMachineArn"]
    job = f"renamed-{uuid.uuid4().hex[:12]}"
    schema = {"target": "label", "id_columns": json.dumps(["case"])}
    hyperparameters = {"num_round": "10", "sagemaker_program": "train.py", "sagemaker_submit_directory": data["code"]}
    train_uri = f"s3://{BUCKET}/data/renamed/"
    payload = {
        "job": job,
        "train": train_uri,
        "test": train_uri,
        "run": {"hyperparameters": {**hyperparameters, **schema}},
    }

    execution = run(endpoint, arn, payload)

    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])
    evaluation = json.loads(s3.get_object(Bucket=BUCKET, Key=f"evaluation/{job}/evaluation.json")["Body"].read())
    assert evaluation["binary_classification_metrics"]["auc"]["value"] > 0.9
    processing = client(endpoint, "sagemaker").describe_processing_job(ProcessingJobName=f"{job}-eval")
    assert processing["AppSpecification"]["ContainerArguments"] == ["--target", "label", "--id-columns", '["case"]']


def test_job_output_goes_to_cloudwatch_logs_where_sagemaker_writes_it(
    endpoint: str, data: dict[str, str], state_machine: str
) -> None:
    job = f"logged-{uuid.uuid4().hex[:12]}"
    hyperparameters = {
        **SCHEMA,
        "num_round": "10",
        "sagemaker_program": "train.py",
        "sagemaker_submit_directory": data["code"],
    }
    payload = {"job": job, "train": data["train"], "test": data["test"], "hyperparameters": hyperparameters}
    execution = run(endpoint, state_machine, payload)
    assert execution["status"] == "SUCCEEDED", task_failure(endpoint, execution["executionArn"])
    bad = f"logged-bad-{uuid.uuid4().hex[:12]}"
    failed = run(endpoint, state_machine, {**payload, "job": bad, "train": data["bad"]})
    assert failed["status"] == "FAILED"
    reader = JobLogs(client(endpoint, "logs"))

    history = client(endpoint, "stepfunctions").get_execution_history(executionArn=execution["executionArn"])
    [training, evaluation] = reader.of_execution(history["events"])

    assert (training.state, training.kind, training.job_name) == ("Train", "training", job)
    assert (evaluation.state, evaluation.kind, evaluation.job_name) == ("Evaluate", "processing", f"{job}-eval")
    assert training.log_group == "/aws/sagemaker/TrainingJobs"
    assert evaluation.log_group == "/aws/sagemaker/ProcessingJobs"
    for logged in (training, evaluation):
        [stream] = logged.streams
        assert re.fullmatch(rf"{re.escape(logged.job_name)}/algo-1-\d{{10}}", stream.name), stream.name
        stamps = [line.timestamp for line in stream.events]
        assert stamps == sorted(stamps) and stamps
    training_text = "\n".join(line.message for line in training.streams[0].events)
    assert "final validation-auc:" in training_text  # stdout
    assert "device: " in training_text  # stderr (logging)
    evaluation_text = "\n".join(line.message for line in evaluation.streams[0].events)
    assert "evaluated " in evaluation_text and " row(s): auc=" in evaluation_text
    started = datetime.fromtimestamp(int(training.streams[0].name.rsplit("-", 1)[1]), tz=UTC)
    described = client(endpoint, "sagemaker").describe_training_job(TrainingJobName=job)
    assert abs((described["TrainingStartTime"] - started).total_seconds()) < 2

    # a failed job's stream holds the script's error
    [failed_job] = reader.of_execution(
        client(endpoint, "stepfunctions").get_execution_history(executionArn=failed["executionArn"])["events"]
    )
    assert failed_job.job_name == bad
    failed_text = "\n".join(line.message for s in failed_job.streams for line in s.events)
    assert "ERROR TrainingError: target column 'diagnosis' is missing" in failed_text
