"""The *deployed* training state machine, run by `mlops --local pipeline run` on the local cloud:
moto's ASL interpreter, the real Lambda handlers from the deployed assets, and SageMaker training
and processing jobs running the real `training/` code on the example data.

Every path: registered (lineage back to the data version, the configured approval status),
unknown data version and bad hyperparameters (refused by the CLI, failed by the pipeline when
started without it), a transient SageMaker error retried, gate rejection on the threshold and on
a regression against the champion, an identical rerun that registers nothing. Each run is recorded
(`mlops pipeline runs`) and notified (an SQS queue subscribed to the notifications topic).
The tests run in file order: the first registered model is the champion of the later ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mlops import config as config_module
from mlops import names
from mlops.example_data import write_csv
from mlops.local import faults
from mlops.pipeline.executions import Executions
from mlops.pipeline.records import RunRecords
from tests.e2e.conftest import REPO_ROOT, LocalCloud

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")
#: a much weaker model than the configured one that still clears the absolute threshold
REGRESSING = ["num_round=2", "max_depth=1", "eta=0.3"]
#: a constant predictor (learning rate 0): AUC 0.5, far below the threshold
USELESS = ["eta=0", "num_round=2"]


@pytest.fixture(scope="module")
def data_version(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_csv(tmp_path_factory.mktemp("example") / "breast-cancer.csv")
    result = local_cloud.mlops("--local", "data", "push", str(path), "-d", DATASET, "--wait", "--json")
    pushed = json.loads(result.stdout)
    assert pushed["verdict"] == "accepted", pushed
    return str(pushed["version"])


@pytest.fixture(scope="module")
def notifications(local_cloud: LocalCloud) -> Iterator[Any]:
    """Messages published to the notifications topic, through a subscribed queue."""
    sqs, sns = local_cloud.client("sqs"), local_cloud.client("sns")
    url = sqs.create_queue(QueueName="training-notifications")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = f"arn:aws:sns:{CONFIG.settings.region}:123456789012:{names.notifications_topic(CONFIG)}"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def for_execution(execution_arn: str) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not batch:
                break
            for message in batch:
                envelope = json.loads(message["Body"])
                found.append({"subject": envelope.get("Subject"), "message": json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [m for m in found if m["message"]["execution"] == execution_arn]

    yield for_execution


def run(cloud: LocalCloud, *arguments: str) -> tuple[int, dict[str, Any]]:
    result = cloud.mlops(
        "--local", "pipeline", "run", "-d", DATASET, "--wait", "--json", "--timeout", "300", *arguments, check=False
    )
    assert result.returncode in (0, 1), result.stderr[-4000:]
    return result.returncode, json.loads(result.stdout)


def overrides(items: list[str]) -> list[str]:
    return [part for item in items for part in ("--set", item)]


def history(cloud: LocalCloud, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = cloud.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events


def start_directly(cloud: LocalCloud, name: str, request: dict[str, Any]) -> dict[str, Any]:
    """An execution started without the CLI's pre-flight checks (boto3, the console, retraining),
    waited for (the pipeline's own bounded wait) and read back through `mlops pipeline status`."""
    sfn = cloud.client("stepfunctions")
    machine = (
        f"arn:aws:states:{CONFIG.settings.region}:123456789012:stateMachine:{names.training_state_machine(CONFIG)}"
    )
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(request))["executionArn"]
    records = RunRecords(cloud.client("dynamodb"), names.registry_table(CONFIG))
    Executions(sfn, records, machine).wait(arn, timeout=300, poll=0.5)
    status: dict[str, Any] = json.loads(cloud.mlops("--local", "pipeline", "status", name, "--json").stdout)
    return status


def test_unknown_data_version_is_refused_by_the_cli_and_failed_by_the_pipeline(
    local_cloud: LocalCloud, notifications: Any
) -> None:
    refused = local_cloud.mlops("--local", "pipeline", "run", "-d", DATASET, "--data-version", "v999", check=False)
    assert refused.returncode == 2 and "--data-version" in refused.stderr and "v999" in refused.stderr

    result = start_directly(local_cloud, "unknown-version", {"dataset": DATASET, "data_version": "v999"})
    assert result["status"] == "FAILED" and result["outcome"] == "failed"
    assert result["error"] == "Mlops.DataVersionNotFound"
    assert "v999" in result["cause"]
    assert result["model_package_arn"] is None
    assert result["data_version"] == "v999"  # what was asked for, though it was never resolved
    described = local_cloud.client("stepfunctions").describe_execution(executionArn=result["execution_arn"])
    assert (described["error"], described["cause"]) == (result["error"], result["cause"])
    [notice] = notifications(result["execution_arn"])
    assert notice["subject"] == "Training failed"
    assert notice["message"]["run"]["error"] == "Mlops.DataVersionNotFound"


def test_a_run_registers_a_model_that_links_back_to_its_data_version(
    local_cloud: LocalCloud, data_version: str, notifications: Any
) -> None:
    code, result = run(local_cloud, "--data-version", data_version)
    assert code == 0, result
    assert result["status"] == "SUCCEEDED" and result["outcome"] == "registered"
    assert result["data_version"] == data_version
    assert result["gate"]["passed"] is True and "no champion" in result["gate"]["reason"]
    assert result["metrics"]["auc"] >= CONFIG.quality_gate.threshold
    assert result["cost_usd"] > 0

    sagemaker = local_cloud.client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=result["model_package_arn"])
    # registered with the approval status the environment's config asks for
    assert package["ModelApprovalStatus"] == CONFIG.settings.model_approval == result["approval_status"]
    metadata = package["CustomerMetadataProperties"]
    record = result["record"]
    assert metadata["data_version"] == data_version
    assert metadata["data_version_id"] == record["data_version_id"]
    assert metadata["execution_id"] == result["execution_arn"]
    assert metadata["code_version"] == record["code_version"]
    assert json.loads(metadata["metrics"]) == result["metrics"]
    assert json.loads(metadata["hyperparameters"])["num_round"] == str(CONFIG.training.hyperparameters["num_round"])

    # the model the package points at was really trained: a model.tar.gz in the artifacts bucket
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = model_url.removeprefix("s3://").split("/", 1)
    assert local_cloud.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    training_job = sagemaker.describe_training_job(TrainingJobName=record["training_job"])
    assert training_job["TrainingJobStatus"] == "Completed"
    assert training_job["BillableTimeInSeconds"] == record["billable_seconds"] > 0

    events = history(local_cloud, result["execution_arn"])
    assert len(events) <= 60, len(events)
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered == [
        "ResolveDataVersion",
        "AlreadyRegistered",
        "Train",
        "Evaluate",
        "QualityGate",
        "GateVerdict",
        "RegisterModel",
        "RecordRegistered",
        "NotifyRegistered",
        "Registered",
    ]
    [notice] = notifications(result["execution_arn"])
    assert notice["subject"] == "Model registered"
    assert notice["message"]["run"]["model_package_arn"] == result["model_package_arn"]


def test_bad_hyperparameters_never_reach_a_training_job(
    local_cloud: LocalCloud, data_version: str, notifications: Any
) -> None:
    refused = local_cloud.mlops(
        "--local", "pipeline", "run", "-d", DATASET, "--set", "num_round=0", "--set", "bogus_param=1", check=False
    )
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "--set num_round=0" in refused.stderr and "--set bogus_param=1" in refused.stderr

    request = {"dataset": DATASET, "data_version": data_version, "hyperparameters": {"num_round": 0}}
    status = start_directly(local_cloud, "bad-hyperparameters", request)
    assert status["status"] == "FAILED" and status["error"] == "Mlops.InvalidHyperparameters"
    assert "num_round" in status["cause"]
    assert [s["name"] for s in status["states"]] == [
        "ResolveDataVersion",
        "RecordFailure",
        "NotifyFailure",
        "TrainingFailed",
    ]
    assert status["record"]["failed_step"] == "ResolveDataVersion"
    assert status["record"]["billable_seconds"] is None  # no job was started, none billed
    [notice] = notifications(status["execution_arn"])
    assert notice["subject"] == "Training failed" and "num_round" in notice["message"]["run"]["cause"]


def test_a_transient_sagemaker_error_is_retried_then_succeeds(local_cloud: LocalCloud, data_version: str) -> None:
    faults.inject(
        local_cloud.endpoint,
        service="sagemaker",
        operation="CreateTrainingJob",
        code="ResourceLimitExceeded",
        message="The account-level service limit 'ml.g5.xlarge for spot training job usage' is 0 Instances",
        count=1,
    )
    # --force: the same run as the first one, which would otherwise be `unchanged`
    code, result = run(local_cloud, "--data-version", data_version, "--force")
    assert code == 0, result
    assert result["outcome"] == "registered"
    train = [e for e in history(local_cloud, result["execution_arn"]) if e["type"] in {"TaskScheduled", "TaskFailed"}]
    scheduled = [
        json.loads(e["taskScheduledEventDetails"]["parameters"]) for e in train if e["type"] == "TaskScheduled"
    ]
    failed = [e["taskFailedEventDetails"]["error"] for e in train if e["type"] == "TaskFailed"]
    assert failed == ["SageMaker.ResourceLimitExceededException"]
    training_names = [p["TrainingJobName"] for p in scheduled if "TrainingJobName" in p]
    assert [name[-3:] for name in training_names] == ["-t0", "-t1"]  # the retry never reuses a name
    assert result["record"]["training_job"] == training_names[1]
    assert faults.pending(local_cloud.endpoint) == []


def test_the_gate_rejects_a_model_below_the_threshold(
    local_cloud: LocalCloud, data_version: str, notifications: Any
) -> None:
    code, result = run(local_cloud, "--data-version", data_version, *overrides(USELESS))
    assert code == 1
    assert result["status"] == "SUCCEEDED" and result["outcome"] == "rejected"
    assert result["gate"]["passed"] is False and "threshold" in result["gate"]["reason"]
    assert result["metrics"]["auc"] < CONFIG.quality_gate.threshold
    assert result["model_package_arn"] is None
    [notice] = notifications(result["execution_arn"])
    assert notice["subject"] == "Model rejected by the quality gate"


def test_the_gate_rejects_a_regression_against_the_champion(local_cloud: LocalCloud, data_version: str) -> None:
    packages_before = len(
        local_cloud.client("sagemaker").list_model_packages(
            ModelPackageGroupName=names.model_package_group(CONFIG, DATASET)
        )["ModelPackageSummaryList"]
    )
    code, result = run(local_cloud, "--data-version", data_version, *overrides(REGRESSING))
    assert code == 1
    assert result["outcome"] == "rejected"
    record = result["record"]
    champion_auc = record["champion_metrics"]["auc"]
    assert CONFIG.quality_gate.threshold <= result["metrics"]["auc"] < champion_auc - CONFIG.quality_gate.max_regression
    assert "regresses" in result["gate"]["reason"]
    assert record["champion_model_package_arn"].endswith(f"/{packages_before}")
    packages_after = local_cloud.client("sagemaker").list_model_packages(
        ModelPackageGroupName=names.model_package_group(CONFIG, DATASET)
    )["ModelPackageSummaryList"]
    assert len(packages_after) == packages_before


def test_an_identical_rerun_registers_nothing_and_points_at_the_existing_package(
    local_cloud: LocalCloud, data_version: str
) -> None:
    # its own hyperparameters, so that this test does not depend on what ran before it
    mine = overrides(["num_round=150", "seed=3"])
    code, first = run(local_cloud, "--data-version", data_version, *mine, "--force")
    assert code == 0 and first["outcome"] == "registered", first
    # `run --wait --json` has the states `status --json` has
    assert [s["name"] for s in first["states"]][:2] == ["ResolveDataVersion", "AlreadyRegistered"]
    status = json.loads(local_cloud.mlops("--local", "pipeline", "status", first["execution_arn"], "--json").stdout)
    assert first["states"] == status["states"]
    group = names.model_package_group(CONFIG, DATASET)
    sagemaker = local_cloud.client("sagemaker")
    before = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    package = sagemaker.describe_model_package(ModelPackageName=first["model_package_arn"])
    assert package["CustomerMetadataProperties"]["run_key"] == first["record"]["run_key"]

    code, again = run(local_cloud, "--data-version", data_version, *mine)
    assert code == 0, again
    assert again["status"] == "SUCCEEDED" and again["outcome"] == "unchanged"
    assert again["model_package_arn"] == first["model_package_arn"]
    assert again["record"]["same_as_execution"] == first["record"]["execution_name"]
    assert again["record"]["run_key"] == first["record"]["run_key"]
    assert again["record"]["training_job"] is None and again["cost_usd"] is None
    assert [s["name"] for s in again["states"]] == [
        "ResolveDataVersion",
        "AlreadyRegistered",
        "RecordUnchanged",
        "Unchanged",
    ]
    assert sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == before


def test_runs_are_listed_as_a_leaderboard(local_cloud: LocalCloud) -> None:
    runs = json.loads(local_cloud.mlops("--local", "pipeline", "runs", "--json").stdout)
    outcomes = [r["outcome"] for r in runs]
    expected = ["failed", "registered", "failed", "registered", "rejected", "rejected", "registered", "unchanged"]
    assert sorted(outcomes) == sorted(expected)
    scored = [r["metrics"]["auc"] for r in runs if "auc" in r["metrics"]]
    assert scored == sorted(scored, reverse=True)
    assert sorted(outcomes[-3:]) == ["failed", "failed", "unchanged"]
    table = local_cloud.mlops("--local", "pipeline", "runs").stdout
    assert "registered" in table and "Mlops.DataVersionNotFound" in table and "unchanged" in table
    # not cut at 80 columns: every execution name and package is there whole
    for r in runs:
        assert r["execution_name"] in table
    assert f"{names.model_package_group(CONFIG, DATASET)}@1" in table
