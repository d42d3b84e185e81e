"""Run records: failure classification, the record built from an execution's state, and cost."""

import json
from datetime import UTC, datetime

import pytest

from mlops import config as config_module
from mlops.pipeline.cost import TRAINING_PRICES_USD_PER_HOUR
from mlops.pipeline.records import RecordRequest, build_record, classify, failed_step
from tests.unit.test_config import EXAMPLE

CONFIG = config_module.load(EXAMPLE, "dev")
STARTED = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
RUN = {
    "dataset": "breast-cancer",
    "data_version": {"sequence": 3, "version_id": "abc123"},
    "hyperparameters": {"num_round": "200", "sagemaker_program": "train.py"},
    "champion_metrics": {"auc": 0.99},
    "champion": {"model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/g/1", "version": 1, "metrics": {}},
}


def request(outcome: str, state: dict[str, object]) -> RecordRequest:
    return RecordRequest.model_validate(
        {
            "outcome": outcome,
            "state": state,
            "execution_id": "arn:aws:states:us-east-1:1:execution:m:exec-1",
            "execution_name": "exec-1",
            "started_at": STARTED.isoformat(),
            "code_version": "c0de",
        }
    )


def test_a_registered_run_has_its_lineage_metrics_gate_and_cost() -> None:
    state: dict[str, object] = {
        "dataset": "breast-cancer",
        "run": RUN,
        "training": {"job_name": "j-t0", "model_uri": "s3://b/m", "billable_seconds": 360, "training_seconds": 720},
        "evaluation": {"job_name": "j-e0"},
        "gate": {"passed": True, "reason": "ok", "metrics": {"auc": 0.995}},
        "registration": {"model_package_arn": "arn:pkg/2", "approval_status": "Approved"},
    }
    record = build_record(request("registered", state), CONFIG.training, now=NOW)
    assert (record.data_version, record.data_version_id) == ("v3", "abc123")
    assert record.hyperparameters["num_round"] == "200" and record.code_version == "c0de"
    assert record.metrics == {"auc": 0.995} and record.gate.passed is True
    assert record.champion_metrics == {"auc": 0.99}
    assert record.model_package_arn == "arn:pkg/2" and record.approval_status == "Approved"
    assert record.error is None and record.failed_step is None
    assert record.finished_at == NOW and record.started_at == STARTED
    # ml.g5.xlarge spot: billed 360 s of 720 s at the list price of the configured instance type
    assert CONFIG.training.instance_type == "ml.g5.xlarge" and CONFIG.training.instance_count == 1
    hourly = TRAINING_PRICES_USD_PER_HOUR["ml.g5.xlarge"]
    assert record.cost is not None and record.spot is True
    assert record.cost.price_per_hour == hourly
    assert record.cost_usd == pytest.approx(hourly * 360 / 3600)
    assert record.cost.spot_savings_usd == pytest.approx(hourly * (720 - 360) / 3600)


def test_a_rejected_run_keeps_the_gate_reason_and_registers_nothing() -> None:
    state = {
        "run": RUN,
        "training": {"job_name": "j-t0", "model_uri": "s3://b/m", "billable_seconds": 10, "training_seconds": 10},
        "evaluation": {},
        "gate": {"passed": False, "reason": "auc 0.5 is not at least the threshold 0.95", "metrics": {"auc": 0.5}},
    }
    record = build_record(request("rejected", state), CONFIG.training)
    assert record.outcome == "rejected" and record.gate.passed is False
    assert "threshold" in (record.gate.reason or "") and record.model_package_arn is None


def test_a_failed_training_job_is_named_with_its_failure_reason_and_still_costed() -> None:
    describe = {
        "TrainingJobName": "j-t0",
        "TrainingJobStatus": "Failed",
        "FailureReason": "AlgorithmError: TrainingError: max_depth must be an integer",
        "BillableTimeInSeconds": 12,
        "TrainingTimeInSeconds": 12,
    }
    state = {"run": RUN, "failure": {"Error": "States.TaskFailed", "Cause": json.dumps(describe)}}
    record = build_record(request("failed", state), CONFIG.training)
    assert record.error == "Mlops.TrainingJobFailed"
    assert record.cause == "training job j-t0 ended Failed: AlgorithmError: TrainingError: max_depth must be an integer"
    assert record.failed_step == "Train"
    assert record.training_job == "j-t0" and record.billable_seconds == 12 and record.cost_usd is not None


@pytest.mark.parametrize(
    ("failure", "step", "expected"),
    [
        (
            {
                "Error": "States.TaskFailed",
                "Cause": json.dumps({"ProcessingJobName": "e", "ProcessingJobStatus": "Stopped"}),
            },
            "Evaluate",
            ("Mlops.EvaluationJobFailed", "evaluation job e ended Stopped: no reason given"),
        ),
        (
            # raised under its own name by the handler boundary: kept, the message as the cause
            {"Error": "Mlops.UnknownDataset", "Cause": json.dumps({"errorMessage": "unknown dataset 'x'"})},
            "ResolveDataVersion",
            ("Mlops.UnknownDataset", "unknown dataset 'x'"),
        ),
        (
            # a handler bug or an SDK error nobody named: named after the step, original kept in the cause
            {"Error": "KeyError", "Cause": json.dumps({"errorMessage": "'auc'"})},
            "QualityGate",
            ("Mlops.QualityGateFailed", "KeyError: 'auc'"),
        ),
        ({"Error": "States.Timeout", "Cause": ""}, "Train", ("Mlops.TrainTimedOut", "States.Timeout: ")),
        (
            {"Error": "States.Runtime", "Cause": "bad path"},
            "Evaluate",
            ("Mlops.EvaluateFailed", "States.Runtime: bad path"),
        ),
        (
            {"Error": "SageMaker.ResourceLimitExceededException", "Cause": "quota"},
            "Train",
            ("SageMaker.ResourceLimitExceededException", "quota"),
        ),
        ({}, "Train", ("Mlops.UnknownFailure", "")),
    ],
)
def test_failures_are_classified_into_one_clear_name(
    failure: dict[str, str], step: str, expected: tuple[str, str]
) -> None:
    assert classify(failure, step) == expected


def test_no_classified_error_is_a_reserved_states_name() -> None:
    for error in ("States.TaskFailed", "States.ALL", "States.Runtime", "States.HeartbeatTimeout"):
        name, _ = classify({"Error": error, "Cause": "x"}, "Train")
        assert not name.startswith("States.")


@pytest.mark.parametrize(
    ("state", "step"),
    [
        ({}, "ResolveDataVersion"),
        ({"run": {}}, "Train"),
        ({"run": {}, "training": {}}, "Evaluate"),
        ({"run": {}, "training": {}, "evaluation": {}}, "QualityGate"),
        ({"run": {}, "training": {}, "evaluation": {}, "gate": {"passed": True}}, "RegisterModel"),
        (
            {"run": {}, "training": {}, "evaluation": {}, "gate": {"passed": True}, "registration": {}},
            "NotifyRegistered",
        ),
        ({"run": {}, "training": {}, "evaluation": {}, "gate": {"passed": False}}, "NotifyRejected"),
    ],
)
def test_the_failed_step_is_read_from_what_the_state_holds(state: dict[str, object], step: str) -> None:
    assert failed_step(state) == step


def test_every_typed_error_has_a_name_of_the_mlops_family() -> None:
    """The handler boundary raises a typed error under its `error_name`; the record step keeps
    `Mlops.*` names as they are, so every typed error must have one."""
    # every module with typed errors that a handler may raise
    import mlops.data.errors
    import mlops.ingest.conclusion
    import mlops.pipeline.resolve
    import mlops.registry.model_packages  # noqa: F401
    from mlops.errors import MlopsError

    def subclasses(cls: type[MlopsError]) -> list[type[MlopsError]]:
        return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]

    found = subclasses(MlopsError)
    assert len(found) > 10
    assert all(cls.error_name.startswith("Mlops.") and cls.error_name != "Mlops.Error" for cls in found), [
        cls.__name__ for cls in found if not cls.error_name.startswith("Mlops.") or cls.error_name == "Mlops.Error"
    ]


EVALUATION_STARTED_MS = int(datetime(2026, 11, 22, 10, 3, tzinfo=UTC).timestamp() * 1000)


def test_the_cost_includes_the_evaluation_job_and_shows_spot_savings() -> None:
    from mlops.pipeline.cost import PROCESSING_PRICES_USD_PER_HOUR

    state = {
        "run": RUN,
        "training": {"job_name": "j-t0", "model_uri": "s3://b/m", "billable_seconds": 360, "training_seconds": 720},
        "evaluation": {
            "job_name": "j-e0",
            "started_at": EVALUATION_STARTED_MS,
            "ended_at": EVALUATION_STARTED_MS + 89_400,  # 89.4 s: billed per started second
            "instance_type": "ml.m5.large",
            "instance_count": 1,
        },
        "gate": {"passed": True, "reason": "ok", "metrics": {"auc": 0.995}},
        "registration": {"model_package_arn": "arn:pkg/2", "approval_status": "Approved"},
    }
    record = build_record(request("registered", state), CONFIG.training, now=NOW)
    assert record.evaluation_job == "j-e0" and record.evaluation_seconds == 90
    assert record.evaluation_cost is not None and record.cost is not None
    evaluation_usd = PROCESSING_PRICES_USD_PER_HOUR["ml.m5.large"] * 90 / 3600
    assert record.evaluation_cost.actual_usd == pytest.approx(evaluation_usd, abs=1e-6)
    training_usd = record.cost.price_per_hour * 360 / 3600
    assert record.cost_usd == pytest.approx(training_usd + evaluation_usd, abs=1e-6)
    assert record.spot_savings_usd == pytest.approx(record.cost.price_per_hour * (720 - 360) / 3600)
    assert record.cost_unpriced == []


def test_a_failed_evaluation_job_is_costed_from_its_describe_output() -> None:
    describe = {
        "ProcessingJobName": "j-e0",
        "ProcessingJobStatus": "Failed",
        "FailureReason": "AlgorithmError: EvaluationError: x",
        "ProcessingStartTime": EVALUATION_STARTED_MS,
        "ProcessingEndTime": EVALUATION_STARTED_MS + 30_000,
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2}},
    }
    state = {
        "run": RUN,
        "training": {"job_name": "j-t0", "model_uri": "s3://b/m", "billable_seconds": 100, "training_seconds": 100},
        "failure": {"Error": "States.TaskFailed", "Cause": json.dumps(describe)},
    }
    record = build_record(request("failed", state), CONFIG.training, now=NOW)
    assert record.error == "Mlops.EvaluationJobFailed" and record.failed_step == "Evaluate"
    assert (record.evaluation_job, record.evaluation_instance_type, record.evaluation_seconds) == (
        "j-e0",
        "ml.m5.xlarge",
        30,
    )
    assert record.evaluation_cost is not None and record.cost is not None
    hourly = record.evaluation_cost.price_per_hour
    assert record.evaluation_cost.actual_usd == pytest.approx(hourly * 2 * 30 / 3600, abs=1e-6)  # rounded to 1e-6
    assert record.cost_usd == pytest.approx(record.cost.actual_usd + record.evaluation_cost.actual_usd)


def test_a_job_that_cannot_be_priced_is_named_and_left_out_of_the_total() -> None:
    describe = {"ProcessingJobName": "j-e0", "ProcessingJobStatus": "Failed", "ProcessingStartTime": 1}
    state = {
        "run": RUN,
        "training": {"job_name": "j-t0", "model_uri": "s3://b/m", "billable_seconds": 100, "training_seconds": 100},
        "failure": {"Error": "States.TaskFailed", "Cause": json.dumps(describe)},
    }
    record = build_record(request("failed", state), CONFIG.training, now=NOW)
    assert record.cost is not None and record.cost_usd == pytest.approx(record.cost.actual_usd)
    assert record.evaluation_cost is None
    assert record.cost_unpriced == ["evaluation job j-e0: its instance type or run time is not known"]

    expensive = CONFIG.training.model_copy(update={"instance_type": "ml.x99.huge"})
    unpriced = build_record(request("failed", state), expensive, now=NOW)
    assert unpriced.cost_usd is None and unpriced.spot_savings_usd is None
    assert unpriced.cost_unpriced[0] == "training job j-t0: no price for ml.x99.huge"


def test_a_run_that_failed_before_evaluating_has_no_evaluation_cost() -> None:
    state = {"run": RUN, "failure": {"Error": "States.Timeout", "Cause": ""}, "training": {}}
    record = build_record(request("failed", state), CONFIG.training, now=NOW)
    assert record.evaluation_job is None and record.evaluation_cost is None and record.cost_unpriced == []
