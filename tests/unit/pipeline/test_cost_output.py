"""The CLI's cost lines: training plus evaluation, spot savings, and what is not known locally."""

from mlops.cli.pipeline_cmd import cost_lines
from mlops.pipeline.records import build_record
from tests.unit.pipeline.test_records import CONFIG, EVALUATION_STARTED_MS, NOW, RUN, request

STATE = {
    "run": RUN,
    "training": {"job_name": "j-t0", "model_uri": "s3://b/m", "billable_seconds": 360, "training_seconds": 720},
    "evaluation": {
        "job_name": "j-e0",
        "started_at": EVALUATION_STARTED_MS,
        "ended_at": EVALUATION_STARTED_MS + 90_000,
        "instance_type": "ml.m5.large",
        "instance_count": 1,
    },
    "gate": {"passed": False, "reason": "low", "metrics": {"auc": 0.5}},
}


def test_on_aws_the_total_its_parts_and_the_spot_savings_are_shown() -> None:
    record = build_record(request("rejected", STATE), CONFIG.training, now=NOW)
    assert record.cost and record.evaluation_cost and record.spot_savings_usd is not None
    text = [line.plain for line in cost_lines(record, local=False)]
    assert text[0] == (
        f"cost ~${record.cost_usd:.4f} at list price "
        f"(training {record.cost.actual_usd:.4f}, evaluation {record.evaluation_cost.actual_usd:.4f})"
    )
    assert text[1] == f"spot savings ${record.spot_savings_usd:.4f} (on demand ${record.cost.on_demand_usd:.4f})"


def test_locally_spot_savings_are_said_to_be_unknown() -> None:
    record = build_record(request("rejected", STATE), CONFIG.training, now=NOW)
    text = [line.plain for line in cost_lines(record, local=True)]
    assert text[1] == "spot savings: not known locally (the local cloud does not simulate managed spot)"
    assert not any(line.startswith("spot savings $") for line in text)


def test_unpriced_jobs_are_named() -> None:
    state = {**STATE, "evaluation": {"job_name": "j-e0"}}
    record = build_record(request("rejected", state), CONFIG.training, now=NOW)
    text = [line.plain for line in cost_lines(record, local=False)]
    assert text[-1] == "not priced: evaluation job j-e0: its instance type or run time is not known"
    assert cost_lines(None, local=True) == []
