"""The *deployed* training state machine, run by `mlops --local pipeline run` on the local cloud:
moto's ASL interpreter, the real Lambda handlers from the deployed assets, and SageMaker training
and processing jobs running the real `training/` code on the example data.

Every path: registered (lineage back to the data version, the configured approval status),
unknown data version and bad hyperparameters (refused by the CLI, failed by the pipeline when
started without it), a transient SageMaker error retried, gate rejection on the threshold and on
a regression against the champion, an identical rerun that registers nothing. Each run is recorded
(`mlops pipeline runs`) and notified (an SQS queue subscribed to the notifications topic).

The local cloud is shared by the whole session, so no test assumes it is the first to train
or register: each test starts the runs it asserts on, through module-scoped fixtures where
two tests look at the same run, and reads the champion it expects from the registry.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mlops import config as config_module
from mlops import names
from mlops.example_data import write_csv
from mlops.local import faults
from mlops.pipeline.executions import Executions
from mlops.pipeline.records import RunRecords
from tests.e2e.conftest import REPO_ROOT, LocalCloud
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")
#: a much weaker model than the configured one that still clears the absolute threshold
REGRESSING = ["num_round=2", "max_depth=1", "eta=0.3"]
#: a constant predictor (learning rate 0): AUC 0.5, far below the threshold
USELESS = ["eta=0", "num_round=2"]
#: another constant predictor, for a run that must train (not be taken for a rerun of USELESS)
USELESS_ONCE_MORE = ["eta=0", "num_round=1"]
NOTIFICATION_TIMEOUT_S = 30

Notifications = Callable[[str], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def data_version(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_csv(tmp_path_factory.mktemp("example") / "breast-cancer.csv")
    result = local_cloud.mlops("--local", "data", "push", str(path), "-d", DATASET, "--wait", "--json")
    pushed = json.loads(result.stdout)
    assert pushed["verdict"] == "accepted", pushed
    return str(pushed["version"])


@pytest.fixture(scope="module")
def notifications(local_cloud: LocalCloud) -> Iterator[Notifications]:
    """Messages published to the notifications topic, through a queue of this module's own:
    every message received is kept, so reading one execution's never drops another's."""
    sqs, sns = local_cloud.client("sqs"), local_cloud.client("sns")
    url = sqs.create_queue(QueueName=f"training-notifications-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = f"arn:aws:sns:{CONFIG.settings.region}:123456789012:{names.notifications_topic(CONFIG)}"
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    received: dict[str, list[dict[str, Any]]] = {}

    def receive(execution_arn: str) -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        for message in messages:
            envelope = json.loads(message["Body"])
            notice = {"subject": envelope.get("Subject"), "message": json.loads(envelope["Message"])}
            received.setdefault(notice["message"]["execution"], []).append(notice)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return received.get(execution_arn, [])

    def for_execution(execution_arn: str) -> list[dict[str, Any]]:
        return wait_until(
            lambda: receive(execution_arn),
            timeout=NOTIFICATION_TIMEOUT_S,
            what=f"a notification about {execution_arn}",
        )

    yield for_execution
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


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
    waited for (the pipeline's own bounded wait) and read back through `mlops pipeline status`.
    `name` gets a unique suffix: the session's cloud is shared."""
    name = f"{name}-{uuid.uuid4().hex[:8]}"
    sfn = cloud.client("stepfunctions")
    machine = (
        f"arn:aws:states:{CONFIG.settings.region}:123456789012:stateMachine:{names.training_state_machine(CONFIG)}"
    )
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(request))["executionArn"]
    records = RunRecords(cloud.client("dynamodb"), names.registry_table(CONFIG))
    Executions(sfn, records, machine).wait(arn, timeout=300, poll=0.5)
    status: dict[str, Any] = json.loads(cloud.mlops("--local", "pipeline", "status", name, "--json").stdout)
    return status


def packages(cloud: LocalCloud) -> list[dict[str, Any]]:
    """The dataset's model packages, oldest first."""
    listed: list[dict[str, Any]] = cloud.client("sagemaker").list_model_packages(
        ModelPackageGroupName=names.model_package_group(CONFIG, DATASET)
    )["ModelPackageSummaryList"]
    return sorted(listed, key=lambda p: p["ModelPackageVersion"])


def champion(cloud: LocalCloud) -> str | None:
    """The champion a run started now compares against: the version the endpoint serves (dev
    deploys every registered model), else the newest approved package."""
    serving = json.loads(cloud.mlops("--local", "serve", "history", DATASET, "--json").stdout)["serving"]
    if serving:
        return str(serving["model_package_arn"])
    approved = [p for p in packages(cloud) if p["ModelApprovalStatus"] == "Approved"]
    return str(approved[-1]["ModelPackageArn"]) if approved else None


@dataclass(frozen=True)
class Run:
    code: int
    result: dict[str, Any]
    #: the newest approved package when the run started (None: there was none)
    champion_before: str | None = None


@pytest.fixture(scope="module")
def registered(local_cloud: LocalCloud, data_version: str, notifications: Notifications) -> Run:
    """A run of the configured hyperparameters, which registers a model (the champion of
    later runs in this module). Run fixtures take `notifications` so that the queue is
    subscribed before the run publishes."""
    champion_before = champion(local_cloud)
    # --force: another module may already have run these hyperparameters on this data version
    # (the same example bytes are the same version), and this test needs a real registration
    code, result = run(local_cloud, "--data-version", data_version, "--force")
    return Run(code, result, champion_before)


@pytest.fixture(scope="module")
def unknown_version(local_cloud: LocalCloud, notifications: Notifications) -> Run:
    """Started directly: the CLI refuses an unknown version before starting anything."""
    result = start_directly(local_cloud, "unknown-version", {"dataset": DATASET, "data_version": "v999"})
    return Run(1 if result["status"] == "FAILED" else 0, result)


@pytest.fixture(scope="module")
def below_threshold(local_cloud: LocalCloud, data_version: str, notifications: Notifications) -> Run:
    code, result = run(local_cloud, "--data-version", data_version, *overrides(USELESS))
    return Run(code, result)


def test_unknown_data_version_is_refused_by_the_cli_and_failed_by_the_pipeline(
    local_cloud: LocalCloud, unknown_version: Run, notifications: Notifications
) -> None:
    refused = local_cloud.mlops("--local", "pipeline", "run", "-d", DATASET, "--data-version", "v999", check=False)
    assert refused.returncode == 2 and "--data-version" in refused.stderr and "v999" in refused.stderr

    result = unknown_version.result
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
    local_cloud: LocalCloud, data_version: str, registered: Run, notifications: Notifications
) -> None:
    code, result = registered.code, registered.result
    assert code == 0, result
    assert result["status"] == "SUCCEEDED" and result["outcome"] == "registered"
    assert result["data_version"] == data_version
    assert result["gate"]["passed"] is True
    record = result["record"]
    # compared with the champion the registry held when the run started, if any
    assert record["champion_model_package_arn"] == registered.champion_before
    if registered.champion_before is None:
        assert "no champion" in result["gate"]["reason"]
    else:
        assert "champion" in result["gate"]["reason"] and "no champion" not in result["gate"]["reason"]
    assert result["metrics"]["auc"] >= CONFIG.quality_gate.threshold
    assert result["cost_usd"] > 0

    sagemaker = local_cloud.client("sagemaker")
    package = sagemaker.describe_model_package(ModelPackageName=result["model_package_arn"])
    # registered with the approval status the environment's config asks for
    assert package["ModelApprovalStatus"] == CONFIG.settings.model_approval == result["approval_status"]
    metadata = package["CustomerMetadataProperties"]
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
    local_cloud: LocalCloud, data_version: str, notifications: Notifications
) -> None:
    refused = local_cloud.mlops(
        "--local", "pipeline", "run", "-d", DATASET, "--set", "num_round=0", "--set", "bogus_param=1", check=False
    )
    assert refused.returncode == 2, refused.stderr[-3000:]
    assert "--set num_round=0" in refused.stderr and "--set bogus_param=1" in refused.stderr

    packages_before = packages(local_cloud)
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
    assert packages(local_cloud) == packages_before


def test_a_transient_sagemaker_error_is_retried_then_succeeds(local_cloud: LocalCloud, data_version: str) -> None:
    faults.clear(local_cloud.endpoint)
    faults.inject(
        local_cloud.endpoint,
        service="sagemaker",
        operation="CreateTrainingJob",
        code="ResourceLimitExceeded",
        message="The account-level service limit 'ml.g5.xlarge for spot training job usage' is 0 Instances",
        count=1,
    )
    # hyperparameters of this test's own, so the run trains whatever ran before it (a quick,
    # useless model: what matters here is that the job was retried and then ran)
    code, result = run(local_cloud, "--data-version", data_version, *overrides(USELESS_ONCE_MORE), "--force")
    assert code == 1, result
    assert result["status"] == "SUCCEEDED" and result["outcome"] == "rejected"
    train = [e for e in history(local_cloud, result["execution_arn"]) if e["type"] in {"TaskScheduled", "TaskFailed"}]
    scheduled = [
        json.loads(e["taskScheduledEventDetails"]["parameters"]) for e in train if e["type"] == "TaskScheduled"
    ]
    failed = [e["taskFailedEventDetails"]["error"] for e in train if e["type"] == "TaskFailed"]
    assert failed == ["SageMaker.ResourceLimitExceededException"]
    training_names = [p["TrainingJobName"] for p in scheduled if "TrainingJobName" in p]
    assert [name[-3:] for name in training_names] == ["-t0", "-t1"]  # the retry never reuses a name
    assert result["record"]["training_job"] == training_names[1]
    described = local_cloud.client("sagemaker").describe_training_job(TrainingJobName=training_names[1])
    assert described["TrainingJobStatus"] == "Completed"
    assert faults.pending(local_cloud.endpoint) == []


def test_the_gate_rejects_a_model_below_the_threshold(below_threshold: Run, notifications: Notifications) -> None:
    code, result = below_threshold.code, below_threshold.result
    assert code == 1
    assert result["status"] == "SUCCEEDED" and result["outcome"] == "rejected"
    assert result["gate"]["passed"] is False and "threshold" in result["gate"]["reason"]
    assert result["metrics"]["auc"] < CONFIG.quality_gate.threshold
    assert result["model_package_arn"] is None
    [notice] = notifications(result["execution_arn"])
    assert notice["subject"] == "Model rejected by the quality gate"


def test_a_runs_job_logs_and_cost_are_shown(local_cloud: LocalCloud, data_version: str) -> None:
    """`pipeline logs`: the Train and Evaluate jobs' CloudWatch streams; the record prices both jobs."""
    code, result = run(local_cloud, "--data-version", data_version, "--force", *overrides(USELESS))
    assert code == 1 and result["outcome"] == "rejected", result
    name = result["execution_arn"].rsplit(":", 1)[-1]
    logs = json.loads(local_cloud.mlops("--local", "pipeline", "logs", name, "--json").stdout)
    by_state = {job["state"]: job for job in logs["jobs"]}
    assert set(by_state) == {"Train", "Evaluate"}
    assert by_state["Train"]["log_group"] == "/aws/sagemaker/TrainingJobs"
    assert by_state["Evaluate"]["log_group"] == "/aws/sagemaker/ProcessingJobs"
    train_text = " ".join(e["message"] for s in by_state["Train"]["streams"] for e in s["events"])
    assert "final validation-auc:" in train_text
    assert by_state["Evaluate"]["streams"] and by_state["Evaluate"]["streams"][0]["events"]
    record = result["record"]
    assert record["evaluation_job"] == by_state["Evaluate"]["job_name"] and record["evaluation_cost"] is not None
    assert record["cost_usd"] > record["cost"]["actual_usd"]  # the evaluation job is included
    text = local_cloud.mlops("--local", "pipeline", "status", name).stdout
    assert "not known locally" in text and "evaluation" in text


def test_the_gate_rejects_a_regression_against_the_champion(
    local_cloud: LocalCloud, data_version: str, registered: Run
) -> None:
    assert registered.result["outcome"] == "registered", registered.result  # there is a champion
    champion_now = champion(local_cloud)
    packages_before = packages(local_cloud)
    code, result = run(local_cloud, "--data-version", data_version, *overrides(REGRESSING))
    assert code == 1
    assert result["outcome"] == "rejected"
    record = result["record"]
    assert record["champion_model_package_arn"] == champion_now
    champion_auc = record["champion_metrics"]["auc"]
    assert CONFIG.quality_gate.threshold <= result["metrics"]["auc"] < champion_auc - CONFIG.quality_gate.max_regression
    assert "regresses" in result["gate"]["reason"]
    assert packages(local_cloud) == packages_before


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
    before = packages(local_cloud)
    package = local_cloud.client("sagemaker").describe_model_package(ModelPackageName=first["model_package_arn"])
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
    assert packages(local_cloud) == before


def test_runs_are_listed_as_a_leaderboard(
    local_cloud: LocalCloud, registered: Run, below_threshold: Run, unknown_version: Run
) -> None:
    runs = json.loads(local_cloud.mlops("--local", "pipeline", "runs", "--json").stdout)
    outcomes = {r["execution_arn"]: r["outcome"] for r in runs}
    for mine, outcome in ((registered, "registered"), (below_threshold, "rejected"), (unknown_version, "failed")):
        assert outcomes.get(mine.result["execution_arn"]) == outcome, mine.result["execution_arn"]
    # best first by the gate's metric; runs without it (failed before evaluation) come last
    scored = [r["metrics"]["auc"] for r in runs if "auc" in r["metrics"]]
    assert scored == sorted(scored, reverse=True)
    has_metric = ["auc" in r["metrics"] for r in runs]
    assert has_metric == sorted(has_metric, reverse=True)
    table = local_cloud.mlops("--local", "pipeline", "runs").stdout
    assert "registered" in table and "Mlops.DataVersionNotFound" in table
    # not cut at 80 columns: every execution name and the registered package are there whole
    for r in runs:
        assert r["execution_name"] in table
    version = registered.result["model_package_arn"].rsplit("/", 1)[1]
    assert f"{names.model_package_group(CONFIG, DATASET)}@{version}" in table
