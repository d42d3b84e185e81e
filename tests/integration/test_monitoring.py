"""A scheduled check against moto with the real adapters: capture files in SageMaker's layout
read from S3 since the watermark, labels joined, the report, metrics, events and records; the
CLI's view of it; the retraining guard on a moto state machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from typer.testing import CliRunner

from mlops import names
from mlops.adapters.events import DomainEventPublisher
from mlops.cli.main import app
from mlops.monitoring import capture as capture_records
from mlops.monitoring import wiring
from mlops.monitoring.adapters import LatestAccepted, MetricsPublisher, ReportStore
from mlops.monitoring.check import CheckRunner
from mlops.monitoring.guard import RetrainingGuard
from mlops.monitoring.models import AlertDetail
from mlops.monitoring.records import MonitorRecords
from mlops.pipeline.executions import Executions
from mlops.pipeline.records import RunRecords
from mlops.serving import naming
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import ServingPointer
from tests import capture
from tests.datasets import frame
from tests.integration.conftest import ACCOUNT, EXAMPLE, DataLake
from tests.integration.test_data_cli import push_and_ingest
from tests.integration.test_drift_cli import write
from tests.waiting import wait_until

DATASET = "breast-cancer"
runner = CliRunner()


def cli(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, ["-f", str(EXAMPLE), *args], catch_exceptions=False)
    return result.exit_code, json.loads(result.output) if result.output.strip().startswith("{") else result.output


@pytest.fixture
def monitored(lake: DataLake, tmp_path: Path) -> dict[str, Any]:
    """v1 accepted; the artifacts bucket; a champion with its evaluation metrics."""
    push_and_ingest(lake, write(tmp_path / "v1.csv", lake.config, 600, seed=1))
    bucket = names.artifacts_bucket(lake.config, ACCOUNT)
    lake.s3.create_bucket(Bucket=bucket)
    sagemaker = boto3.client("sagemaker")
    group = names.model_package_group(lake.config, DATASET)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"metrics": json.dumps({"auc": 0.99})},
        InferenceSpecification={
            "Containers": [{"Image": "img"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )
    return {"bucket": bucket, "endpoint": naming.endpoint(lake.config.prefix, DATASET)}


def runner_for(lake: DataLake, bucket: str) -> CheckRunner:
    clients = {name: boto3.client(name) for name in ("s3", "dynamodb", "sagemaker", "cloudwatch", "events")}
    return CheckRunner(
        sources=wiring.check_sources(
            lake.config, clients.__getitem__, registry_table=lake.table, artifacts_bucket=bucket
        ),
        reports=ReportStore(clients["s3"], bucket),
        metrics=MetricsPublisher(clients["cloudwatch"]),
        events=DomainEventPublisher(
            clients["events"], bus_name=names.event_bus(lake.config), source=names.event_source(lake.config)
        ),
    )


def shifted_capture(lake: DataLake, rows: int, *, seed: int) -> tuple[list[dict[str, Any]], Any]:
    spec = lake.config.datasets[DATASET]
    data = frame(spec, rows, seed=seed)
    features = capture_records.feature_columns(spec)
    for column in features[:15]:
        data[column] = data[column] * 2 + 10
    # scores that rank the labels badly: AUC far below the champion's 0.99
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 1, rows)
    return capture.from_frame(data, features, scores.tolist()), data


def test_a_check_reads_the_window_joins_labels_and_reports(
    lake: DataLake, monitored: dict[str, Any], tmp_path: Path
) -> None:
    bucket, endpoint = monitored["bucket"], monitored["endpoint"]
    records, data = shifted_capture(lake, 200, seed=4)
    capture.put(lake.s3, bucket, endpoint, [*records[:120], "{not json", capture.record([1, 2], 0.5)])
    capture.put(lake.s3, bucket, endpoint, records[120:])
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label\n" + "".join(f"inf-{n},{v}\n" for n, v in enumerate(data["diagnosis"])))
    code, pushed = cli("monitor", "labels", "push", "--dataset", DATASET, str(labels), "--json")
    assert code == 0 and pushed["labels"] == 200

    now = datetime.now(UTC) + timedelta(seconds=2)  # the files are stored a second before the window ends
    record = runner_for(lake, bucket).run(DATASET, now=now)
    assert record.verdict == "drifted" and record.captured_rows == 200 and record.malformed_records == 2
    assert record.quality_verdict == "degraded" and record.quality_baseline == 0.99
    assert record.alerts == ["DriftDetected", "ModelQualityDegraded"]
    assert "diagnosis" not in record.drifted_features  # the target is never in the capture
    report = json.loads(
        lake.s3.get_object(Bucket=bucket, Key=record.report_uri.split(bucket + "/", 1)[1])["Body"].read()
    )
    assert report["format"] == "mlops.monitoring/v1" and report["capture"]["malformed"] == 2
    assert report["quality"]["labelled"] == 200 and report["drift"]["baseline"] == f"{DATASET}@v1"
    html = lake.s3.get_object(Bucket=bucket, Key=record.html_uri.split(bucket + "/", 1)[1])["Body"].read().decode()
    assert "Model quality" in html and "unreadable records" in html
    events = [e for e in lake.events() if e["detail-type"] in {"DriftDetected", "ModelQualityDegraded"}]
    assert {e["detail-type"] for e in events} == {"DriftDetected", "ModelQualityDegraded"}
    assert all(e["detail"]["check_id"] == record.check_id for e in events)
    cloudwatch = boto3.client("cloudwatch")
    shares = cloudwatch.get_metric_statistics(
        Namespace="ServerlessMLOps/Drift",
        MetricName="DriftedShare",
        Dimensions=[{"Name": "Dataset", "Value": DATASET}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=3600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert shares and shares[0]["Maximum"] == pytest.approx(record.drifted_share)

    # the next check starts at the watermark: nothing new, nothing to say
    again = runner_for(lake, bucket).run(DATASET, now=now + timedelta(minutes=5))
    assert again.captured_rows == 0 and again.verdict == "insufficient_data" and again.alerts == []
    assert again.window_start == record.window_end

    code, status = cli("monitor", "status", "--dataset", DATASET, "--json")
    [entry] = status["datasets"]
    assert code == 0 and entry["last_check"]["check_id"] == again.check_id
    assert entry["watermark"]["check_id"] == again.check_id
    code, listed = cli("drift", "reports", DATASET, "--json")
    assert [r["check_id"] for r in listed["reports"]] == [again.check_id, record.check_id]
    assert listed["reports"][1]["alerts"] == ["DriftDetected", "ModelQualityDegraded"]


def test_a_check_judges_the_serving_model_only_by_what_it_answered(
    lake: DataLake, monitored: dict[str, Any], tmp_path: Path
) -> None:
    """Capture from before the serving model began serving is an earlier model's: neither its
    inputs nor its predictions are judged against this model's data and evaluation."""
    bucket, endpoint = monitored["bucket"], monitored["endpoint"]
    sagemaker = boto3.client("sagemaker")
    [package] = sagemaker.list_model_packages(ModelPackageGroupName=names.model_package_group(lake.config, DATASET))[
        "ModelPackageSummaryList"
    ]
    since = datetime.now(UTC) - timedelta(minutes=1)
    DeploymentHistory(lake.ddb, lake.table).set_current(
        ServingPointer(
            dataset=DATASET,
            endpoint_name=endpoint,
            model_version=1,
            model_package_arn=package["ModelPackageArn"],
            endpoint_config_name="config-1",
            deployment_id="d-1",
            data_version="v1",
            since=since,
        )
    )
    spec = lake.config.datasets[DATASET]
    features = capture_records.feature_columns(spec)
    earlier = frame(spec, 150, seed=6)  # the earlier model: shifted inputs, predictions that rank badly
    for column in features[:15]:
        earlier[column] = earlier[column] * 2 + 10
    scores = np.random.default_rng(6).uniform(0, 1, len(earlier))
    before = [
        capture.record(list(values), float(score), inference_id=f"old-{n}", at=since - timedelta(minutes=5))
        for n, (values, score) in enumerate(
            zip(earlier[features].itertuples(index=False, name=None), scores, strict=True)
        )
    ]
    current = frame(spec, 500, seed=7)  # this model: unshifted inputs, predictions that match the labels
    after = [
        capture.record(list(values), float(label), inference_id=f"new-{n}")
        for n, (values, label) in enumerate(
            zip(current[features].itertuples(index=False, name=None), current["diagnosis"], strict=True)
        )
    ]
    capture.put(lake.s3, bucket, endpoint, [*before, *after])  # one file across the deployment
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "inference_id,label\n"
        + "".join(f"old-{n},{v}\n" for n, v in enumerate(earlier["diagnosis"]))
        + "".join(f"new-{n},{v}\n" for n, v in enumerate(current["diagnosis"]))
    )
    assert cli("monitor", "labels", "push", "--dataset", DATASET, str(labels), "--json")[0] == 0

    record = runner_for(lake, bucket).run(DATASET, now=datetime.now(UTC) + timedelta(seconds=2))
    assert record.captured_rows == 500 and record.model_version == 1
    assert record.verdict == "ok" and record.quality_verdict == "ok" and record.alerts == []
    report = json.loads(
        lake.s3.get_object(Bucket=bucket, Key=record.report_uri.split(bucket + "/", 1)[1])["Body"].read()
    )
    assert report["capture"]["earlier_model"] == 150 and report["capture"]["records"] == 500
    assert report["quality"]["labelled"] == 500 and report["quality"]["predictions"] == 500


def test_the_cli_check_reads_the_endpoint_without_moving_the_watermark(
    lake: DataLake, monitored: dict[str, Any]
) -> None:
    records, _ = shifted_capture(lake, 80, seed=5)
    capture.put(lake.s3, monitored["bucket"], monitored["endpoint"], records)

    # S3 stamps whole seconds and a window ends a second before now: a file just stored is read
    # by a check a second later
    def check() -> tuple[int, Any]:
        return cli("drift", "check", "--dataset", DATASET, "--endpoint", "--baseline", "v1", "--json")

    code, report = wait_until(
        check,
        timeout=10,
        what="the CLI check to read the stored capture",
        until=lambda r: r[1]["capture"]["rows"] == 80,
    )
    assert code == 1 and report["drift"]["verdict"] == "drifted" and report["quality"]["labelled"] == 0
    assert MonitorRecords(lake.ddb, lake.table).watermark(DATASET) is None


def test_the_guard_starts_once_then_suppresses(lake: DataLake, monitored: dict[str, Any]) -> None:
    sfn = boto3.client("stepfunctions")
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(
        name=names.training_state_machine(lake.config),
        definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Pass", "End": True}}}),
        roleArn=role,
    )["stateMachineArn"]
    records = MonitorRecords(lake.ddb, lake.table)
    runs = RunRecords(lake.ddb, lake.table)

    def guard(retrain: bool) -> RetrainingGuard:
        return RetrainingGuard(
            retrain=retrain,
            cooldown=timedelta(hours=24),
            executions=Executions(sfn, runs, machine),
            claims=records,
            versions=LatestAccepted(lake.registry),
        )

    now = datetime.now(UTC)
    detail = AlertDetail(
        dataset=DATASET,
        endpoint=monitored["endpoint"],
        check_id="c1",
        checked_at=now,
        report_uri="s3://x",
        baseline="v1",
    )
    # a second earlier: records of one instant are ordered by their random ids
    assert guard(False).handle("DriftDetected", detail, now=now - timedelta(seconds=1)).decision == "suppressed"
    started = guard(True).handle("DriftDetected", detail, now=now)
    assert started.decision == "started" and started.data_version == "v1"
    execution = sfn.describe_execution(executionArn=started.execution_arn)
    assert json.loads(execution["input"]) == {"dataset": DATASET, "data_version": "v1"}
    second = guard(True).handle("ModelQualityDegraded", detail, now=now + timedelta(minutes=1))
    assert second.decision == "suppressed"
    assert [t.decision for t in records.triggers(DATASET)] == ["suppressed", "started", "suppressed"]
    assert records.last_started(DATASET) == now
