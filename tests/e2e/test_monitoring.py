"""Scheduled monitoring on the deployed stacks, nothing faked: the example data pushed (its
profile the drift baseline) -> a training run on it registers a model, which dev deploys behind
the dataset's endpoint -> shifted traffic through the endpoint, one inference id a request ->
labels that show the model wrong -> `mlops local tick` fires the schedule -> the check reads the
endpoint's own data capture and reports DriftDetected and ModelQualityDegraded -> the retraining
guard starts training once (the other alert of the same check is suppressed) -> more shifted
traffic after the run: the next check's alert is suppressed within the cooldown and recorded ->
`mlops monitor status` and `mlops drift reports` show all of it.

The endpoint is one per dataset, shared with the serving tests and with the deployments every
registration in dev starts; a check judges only capture the serving model answered (records
from before its `since` are an earlier model's, mlops/monitoring/check.py), so whatever other
tests sent before this model served is not in its window. The training run is forced (an
identical run of another test may have registered this data version's model already): the
guard's retraining of the same data version then ends `unchanged` and deploys nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]  # sklearn ships no type hints

from mlops import config as config_module
from mlops import layout, names
from mlops.example_data import TARGET_COLUMN, breast_cancer_frame, write_csv
from mlops.local.state import LOCAL_ACCOUNT
from mlops.monitoring.capture import feature_columns
from mlops.monitoring.check import window_end
from mlops.monitoring.models import TriggerRecord
from mlops.monitoring.records import MonitorRecords
from mlops.pipeline.executions import Executions
from mlops.pipeline.records import RunRecords
from mlops.registry.data_versions import DataVersionRegistry
from mlops.serving import naming
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import DeploymentRecord
from tests.e2e.conftest import REPO_ROOT, LocalCloud
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")
ENDPOINT = naming.endpoint(CONFIG.prefix, DATASET)
FEATURES = feature_columns(CONFIG.datasets[DATASET])
#: a canary over another test's version bakes twice (compressed), plus starting model servers
DEPLOY_TIMEOUT_S = 240
RUN_TIMEOUT_S = 300
ROWS, REQUESTS = 200, 8


def cli_json(cloud: LocalCloud, *args: str) -> Any:
    return json.loads(cloud.mlops("--local", *args, "--json").stdout)


@dataclass(frozen=True)
class Registry:
    """The records the platform keeps, read directly for polling (fast, no CLI start-up); what
    a person sees is asserted through the CLI."""

    executions: Executions
    runs: RunRecords
    deployments: DeploymentHistory
    monitor: MonitorRecords
    versions: DataVersionRegistry

    @classmethod
    def of(cls, cloud: LocalCloud) -> Registry:
        ddb, table = cloud.client("dynamodb"), names.registry_table(CONFIG)
        runs = RunRecords(ddb, table)
        machine = (
            f"arn:aws:states:{cloud.up['region']}:{LOCAL_ACCOUNT}:stateMachine:{names.training_state_machine(CONFIG)}"
        )
        return cls(
            executions=Executions(cloud.client("stepfunctions"), runs, machine),
            runs=runs,
            deployments=DeploymentHistory(ddb, table),
            monitor=MonitorRecords(ddb, table),
            versions=DataVersionRegistry(ddb, table),
        )

    def quiet(self) -> None:
        """No training run and no deployment of the dataset in progress (other tests' runs
        register, and every registration deploys in dev)."""
        wait_until(lambda: self.executions.running(DATASET), timeout=RUN_TIMEOUT_S,
                   what="no training run in progress", until=lambda running: not running)  # fmt: skip
        wait_until(lambda: self.deployments.lock(DATASET), timeout=DEPLOY_TIMEOUT_S,
                   what=f"no deployment of {DATASET} in progress", until=lambda lock: lock is None)  # fmt: skip

    def deployment_of(self, version: int) -> DeploymentRecord:
        """The finished deployment of a model version, once no deployment is in progress."""

        def finished() -> DeploymentRecord | None:
            record = next((d for d in self.deployments.list(DATASET) if d.model_version == version), None)
            done = record is not None and record.status != "in_progress" and self.deployments.lock(DATASET) is None
            return record if done else None

        found = wait_until(finished, timeout=DEPLOY_TIMEOUT_S, what=f"the deployment of model v{version} to end")
        assert found is not None
        return found

    def triggers_of(self, check_id: str) -> list[TriggerRecord]:
        return [t for t in self.monitor.triggers(DATASET) if t.check_id == check_id]


def shifted_traffic(cloud: LocalCloud, *, seed: int) -> list[dict[str, Any]]:
    """ROWS example rows with half the features moved, sent in REQUESTS requests, each with its
    own inference id; per request: the id, the rows' diagnoses and the endpoint's predictions."""
    data = breast_cancer_frame().sample(ROWS, random_state=seed).reset_index(drop=True)
    for column in FEATURES[:15]:
        data[column] = data[column] * 3 + 5
    runtime = cloud.client("sagemaker-runtime")
    sent = []
    tag = uuid.uuid4().hex[:8]
    for n, start in enumerate(range(0, ROWS, ROWS // REQUESTS)):
        chunk = data.iloc[start : start + ROWS // REQUESTS]
        inference_id = f"{tag}-{seed}-{n}"
        answer = runtime.invoke_endpoint(
            EndpointName=ENDPOINT,
            Body=chunk[FEATURES].to_csv(index=False, header=False),
            ContentType="text/csv",
            InferenceId=inference_id,
        )
        predictions = [float(p) for p in json.loads(answer["Body"].read())["predictions"]]
        assert len(predictions) == len(chunk)
        sent.append({"inference_id": inference_id, "truth": list(chunk[TARGET_COLUMN]), "predictions": predictions})
    return sent


def captured(cloud: LocalCloud, since: datetime) -> dict[str, datetime]:
    """Inference id -> when S3 stored its record, for the endpoint's data capture stored since
    `since` (as the endpoint wrote it)."""
    s3 = cloud.client("s3")
    bucket = names.artifacts_bucket(CONFIG, LOCAL_ACCOUNT)
    found: dict[str, datetime] = {}
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket,
        Prefix=layout.capture_prefix(ENDPOINT),
        StartAfter=layout.capture_hour_prefix(ENDPOINT, since - timedelta(hours=1)),
    )
    for page in pages:
        for item in page.get("Contents", []):
            if item["LastModified"] >= since.replace(microsecond=0):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                for line in body.splitlines():
                    if inference_id := json.loads(line)["eventMetadata"].get("inferenceId"):
                        found[inference_id] = item["LastModified"]
    return found


def wait_for_capture(cloud: LocalCloud, sent: list[dict[str, Any]], since: datetime) -> None:
    """Until every request's capture is stored and inside the window a check started now reads
    (S3 stamps whole seconds; a window ends a second before its check): one check reads it all."""
    wanted = {s["inference_id"] for s in sent}
    stored = wait_until(
        lambda: captured(cloud, since),
        timeout=30,
        what=f"the endpoint's data capture of all {len(wanted)} requests",
        until=lambda ids: wanted <= set(ids),
    )
    newest = max(stored[i] for i in wanted)
    wait_until(
        lambda: window_end(datetime.now(UTC)),
        timeout=5,
        what=f"a check window that ends after {newest:%H:%M:%S}",
        until=lambda end: end >= newest,
        interval=0.1,
    )


def tick(cloud: LocalCloud) -> list[dict[str, Any]]:
    fired: list[dict[str, Any]] = cli_json(cloud, "local", "tick")["fired"]
    return fired


def checked(cloud: LocalCloud, what: str) -> dict[str, Any]:
    """Fire the schedule until its check reads capture; the check's record."""
    fired = wait_until(lambda: tick(cloud), timeout=30, what=what, until=lambda f: f[0]["detail"]["captured_rows"] > 0)
    [one] = fired
    assert one["schedule"] == names.drift_schedule(CONFIG, DATASET) and one["status"] == "delivered", one
    check: dict[str, Any] = one["detail"]
    return check


def test_drift_and_degraded_quality_retrain_once_then_the_cooldown_holds(
    local_cloud: LocalCloud, tmp_path: Path
) -> None:
    registry = Registry.of(local_cloud)
    registry.quiet()
    pushed = cli_json(local_cloud, "data", "push", str(write_csv(tmp_path / "base.csv")), "-d", DATASET, "--wait")
    assert pushed["verdict"] == "accepted"
    version = pushed["version"]

    # a model of that data version, trained, registered and deployed by the platform
    trained = local_cloud.mlops(
        "--local", "pipeline", "run", "-d", DATASET, "--data-version", version, "--force",
        "--wait", "--json", "--timeout", str(RUN_TIMEOUT_S), check=False,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    run = json.loads(trained.stdout)
    assert run["outcome"] == "registered" and run["data_version"] == version, run
    model = int(run["model_package_arn"].rsplit("/", 1)[-1])
    registry.deployment_of(model)
    shown = cli_json(local_cloud, "serve", "history", "-d", DATASET)
    [deployed] = [d for d in shown["deployments"] if d["model_version"] == model]
    assert deployed["status"] == "deployed" and deployed["trigger"] == "registration", deployed
    assert shown["in_progress"] is None and shown["serving"]["model_version"] == model
    assert shown["serving"]["data_version"] == version  # the drift baseline

    # shifted traffic through the endpoint; labels that show the model wrong (each diagnosis flipped)
    started = datetime.now(UTC)
    sent = shifted_traffic(local_cloud, seed=1)
    wait_for_capture(local_cloud, sent, started)
    labels = [
        {"inference_id": s["inference_id"], "row": row, "label": 1 - int(truth)}
        for s in sent
        for row, truth in enumerate(s["truth"])
    ]
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    pushed_labels = cli_json(local_cloud, "monitor", "labels", "push", "-d", DATASET, str(tmp_path / "labels.json"))
    assert pushed_labels["labels"] == ROWS
    expected_auc = roc_auc_score([x["label"] for x in labels], [p for s in sent for p in s["predictions"]])

    check = checked(local_cloud, "a check that reads the endpoint's capture")
    assert check["captured_rows"] == ROWS and check["model_version"] == model  # this model's answers only
    assert check["verdict"] == "drifted" and set(FEATURES[:15]) <= set(check["drifted_features"])  # every moved one
    assert check["baseline"] == f"{DATASET}@{version}"
    assert check["quality_verdict"] == "degraded" and check["quality_metric"] == "auc"
    assert check["quality_value"] == pytest.approx(expected_auc)  # the endpoint's predictions, joined by id and row
    assert check["quality_baseline"] == pytest.approx(run["metrics"]["auc"])  # the model's own evaluation
    assert check["alerts"] == ["DriftDetected", "ModelQualityDegraded"]

    # both alerts reach the guard: one starts training on the newest data version, the other is suppressed
    decided = wait_until(lambda: registry.triggers_of(check["check_id"]), timeout=120,
                         what="the guard to decide both alerts of the check", until=lambda t: len(t) == 2)  # fmt: skip
    [retraining] = [t for t in decided if t.decision == "started"]
    [other] = [t for t in decided if t.decision == "suppressed"]
    assert {retraining.alert, other.alert} == {"DriftDetected", "ModelQualityDegraded"}
    assert any(why in other.reason for why in ("in progress", "another alert", "within the cooldown"))
    assert retraining.execution_arn is not None
    latest = registry.versions.resolve(DATASET, "latest").name
    execution = registry.executions.describe(retraining.execution_arn)
    assert json.loads(execution["input"]) == {"dataset": DATASET, "data_version": latest}
    assert retraining.data_version == latest
    ended = wait_until(
        lambda: registry.executions.describe(str(retraining.execution_arn))["status"],
        timeout=RUN_TIMEOUT_S,
        what="the retraining run to end",
        until=lambda status: status != "RUNNING",
    )
    retrained = registry.runs.get(retraining.execution_arn.rsplit(":", 1)[-1])
    if latest == version:  # what the serving model was trained on: nothing new to train
        assert (ended, retrained.outcome) == ("SUCCEEDED", "unchanged"), retrained
    elif retrained.outcome == "registered" and retrained.model_package_arn:  # another test's newer data
        registry.deployment_of(int(retrained.model_package_arn.rsplit("/", 1)[-1]))  # deploys before our traffic

    # more drift within the cooldown: reported, suppressed, recorded with why
    started = datetime.now(UTC)
    sent = shifted_traffic(local_cloud, seed=2)
    wait_for_capture(local_cloud, sent, started)
    second = checked(local_cloud, "the next check")
    assert second["captured_rows"] == ROWS
    assert second["alerts"] == ["DriftDetected"]  # the new requests have no labels yet
    wait_until(lambda: registry.triggers_of(second["check_id"]), timeout=120,
               what="the guard to decide the next check's alert")  # fmt: skip

    [entry] = cli_json(local_cloud, "monitor", "status", "--dataset", DATASET)["datasets"]
    assert entry["last_check"]["check_id"] == second["check_id"]
    assert entry["last_retraining"]["execution_arn"] == retraining.execution_arn
    [suppressed] = [t for t in entry["suppressed"] if t["check_id"] == second["check_id"]]
    assert suppressed["alert"] == "DriftDetected" and "within the cooldown of 24 h" in suppressed["reason"]
    assert other.trigger_id in {t["trigger_id"] for t in entry["suppressed"]}
    reports = {r["check_id"]: r for r in cli_json(local_cloud, "drift", "reports", DATASET)["reports"]}
    ordered = list(reports)  # newest first (checks that read nothing new sit in between)
    assert ordered.index(second["check_id"]) < ordered.index(check["check_id"])
    assert reports[check["check_id"]]["verdict"] == "drifted" and reports[check["check_id"]]["quality"] == "degraded"
