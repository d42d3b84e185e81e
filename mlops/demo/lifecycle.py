"""The demo's steps: the whole lifecycle on the local cloud, through the real commands.

deploy the stacks -> push the example data (v1) -> train, gate, register -> the registration
deploys v1 behind the endpoint -> traffic (the first scheduled check: no drift) -> a shifted
batch (v2) and shifted traffic -> the scheduled check fires DriftDetected -> the guard retrains
on v2, which deploys canary-style -> a broken version rolled back by its 5XX alarm -> a manual
rollback to v1 -> the overview page.

Nothing is skipped or faked: each step waits (bounded) for what must happen and fails, naming
what did not, when it does not happen."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from mlops import layout, local, names
from mlops.config import ProjectConfig
from mlops.demo import cli
from mlops.demo.runner import DemoStepError, Step
from mlops.example_data import ID_COLUMN, TARGET_COLUMN, breast_cancer_frame
from mlops.serving import naming

T = TypeVar("T")
POLL_SECONDS = 0.5
#: features the shifted batch moves (a tumour-size shift: every size measure grows by 60 %)
SHIFTED = ("radius", "perimeter", "area")
SHIFT_FACTOR = 1.6
TRAFFIC_ROWS = 300
BROKEN_PREDICT = """

def predict_fn(input_data, model):  # deliberately broken by `mlops demo`: every prediction fails
    raise RuntimeError("this model version is broken on purpose (mlops demo)")
"""


def until(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll `check` until it returns something truthy; `DemoStepError` naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoStepError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


@dataclass
class Lifecycle:
    config: ProjectConfig
    config_path: Path
    workdir: Path
    #: the `mlops` command the demo drives
    root: Any
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return next(iter(sorted(self.config.datasets)))

    @property
    def endpoint(self) -> str:
        return naming.endpoint(self.config.prefix, self.dataset)

    def mlops(self, *arguments: str, allow: frozenset[int] = frozenset({0})) -> Any:
        return cli.run_json(
            self.root, *arguments, config=str(self.config_path), environment=self.config.environment, allow=allow
        )

    def steps(self) -> list[Step]:
        return [
            Step("deploy the stacks into the local cloud", self.deploy_stacks),
            Step("push the example data (v1)", self.push_v1),
            Step("train, evaluate, gate and register a model", self.train_v1),
            Step("the registration deploys v1 behind the endpoint", self.serve_v1),
            Step("send traffic; the scheduled drift check finds no drift", self.traffic_without_drift),
            Step("push a shifted data batch (v2) and send shifted traffic", self.shift),
            Step("the scheduled drift check fires DriftDetected and retrains", self.drift_detected),
            Step("the retrained model deploys canary-style", self.retrained_canary),
            Step("a broken model version is rolled back by its alarm", self.broken_rolled_back),
            Step("a manual rollback restores v1", self.manual_rollback),
            Step("write the platform overview page", self.overview),
        ]

    # -- steps ---------------------------------------------------------------------------

    def deploy_stacks(self) -> str:
        state = local.up(config_path=self.config_path, environment=self.config.environment)
        self.facts["endpoint_url"] = state.endpoint
        return f"{len(state.stacks)} stacks at {state.endpoint} in {state.timings.total_s:.0f}s"

    def _push(self, frame: pd.DataFrame, name: str) -> dict[str, Any]:
        path = self.workdir / name
        frame.to_csv(path, index=False)
        result: dict[str, Any] = self.mlops(
            "data", "push", str(path), "-d", self.dataset, "--wait", allow=frozenset({0, 1})
        )
        if result.get("verdict") != "accepted":
            raise DemoStepError(f"{name} was {result.get('verdict')}: {json.dumps(result.get('errors'))[:800]}")
        return result

    def push_v1(self) -> str:
        frame = breast_cancer_frame()
        result = self._push(frame, "v1.csv")
        self.facts["v1"] = result["version"]
        return f"{self.dataset}@{result['version']}: {len(frame)} rows accepted"

    def _finished_run(self, arguments: tuple[str, ...]) -> dict[str, Any]:
        result: dict[str, Any] = self.mlops(*arguments, allow=frozenset({0, 1}))
        if result.get("outcome") != "registered":
            reason = result.get("error") or result.get("gate", {}).get("reason") or result.get("status")
            raise DemoStepError(f"the training run ended {result.get('outcome')}: {reason}")
        return result

    def train_v1(self) -> str:
        result = self._finished_run(("pipeline", "run", "-d", self.dataset, "--wait"))
        version = int(str(result["model_package_arn"]).rsplit("/", 1)[-1])
        self.facts["model_v1"] = version
        metric = self.config.quality_gate.metric
        return (
            f"model v{version}: {metric} {result['metrics'].get(metric, float('nan')):.4f}; {result['gate']['reason']}"
        )

    def _deployment_of(self, version: int, *, timeout: float, started_after: int = 0) -> dict[str, Any]:
        """Wait for the newest deployment of `version` (past the first `started_after` ones) to end."""

        def ended() -> dict[str, Any] | None:
            history = self.mlops("serve", "history", "-d", self.dataset, "--limit", "50")
            records = [d for d in history["deployments"] if d["model_version"] == version]
            if len(records) <= started_after or records[0]["status"] == "in_progress":
                return None
            record: dict[str, Any] = records[0]
            return record

        return until(ended, timeout=timeout, what=f"a deployment of model v{version} ending")

    def _count(self, version: int) -> int:
        history = self.mlops("serve", "history", "-d", self.dataset, "--limit", "50")
        return sum(1 for d in history["deployments"] if d["model_version"] == version)

    def _serving(self) -> int | None:
        status = self.mlops("serve", "status", "-d", self.dataset, allow=frozenset({0, 3}))
        version = status.get("model_version") if isinstance(status, dict) else None
        return int(version) if version else None

    def serve_v1(self) -> str:
        version = self.facts["model_v1"]
        started = time.monotonic()
        record = self._deployment_of(version, timeout=300)
        if record["status"] != "deployed":
            raise DemoStepError(f"the deployment of v{version} ended {record['status']}: {record.get('reason')}")
        predictions = self._invoke(breast_cancer_frame().head(5), "probe.csv")
        return (
            f"v{version} serves on {record['endpoint_name']} ({record['trigger']}, "
            f"{time.monotonic() - started:.0f}s); 5 probe predictions {', '.join(f'{p:.2f}' for p in predictions)}"
        )

    def _invoke(self, frame: pd.DataFrame, name: str) -> list[float]:
        self.facts["requests"] = self.facts.get("requests", 0) + 1
        path = self.workdir / name
        frame.to_csv(path, index=False)
        result = self.mlops("serve", "invoke", "-d", self.dataset, "--file", str(path))
        predictions = [float(p) for p in _predictions(result)]
        if len(predictions) != len(frame):
            raise DemoStepError(f"{len(frame)} rows sent, {len(predictions)} predictions back")
        return predictions

    def _traffic(self, frame: pd.DataFrame, label: str) -> int:
        sent = 0
        for i, start in enumerate(range(0, len(frame), 100)):
            chunk = frame.iloc[start : start + 100]
            self._invoke(chunk, f"{label}-{i}.csv")
            sent += len(chunk)
        return sent

    def _capture_records(self) -> list[dict[str, Any]]:
        """The endpoint's data capture as SageMaker writes it: one record a request."""
        s3 = local.client("s3")
        bucket = names.artifacts_bucket(self.config, local.running_state().account)
        prefix = f"{layout.DATA_CAPTURE}{self.endpoint}/"
        records = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                records += [json.loads(line) for line in body.splitlines() if line.strip()]
        return records

    def _captured(self) -> int:
        return len(self._capture_records())

    def _push_labels(self) -> int:
        """Ground truth for the captured requests not labelled yet: the demo's requests carry
        the diagnosis column, which the model ignores; a real team's labels arrive later."""
        done: set[str] = self.facts.setdefault("labelled", set())
        lines = ["inference_id,label,row"]
        for record in self._capture_records():
            event = record["eventMetadata"].get("inferenceId") or record["eventMetadata"]["eventId"]
            if event in done:
                continue
            done.add(event)
            sent = record["captureData"]["endpointInput"]
            if sent["encoding"] == "JSON":  # `serve invoke` sends named records
                document = json.loads(sent["data"])
                records = document.get("instances", []) if isinstance(document, dict) else document
                labels = [r[TARGET_COLUMN] for r in records]
            else:
                labels = list(pd.read_csv(io.StringIO(sent["data"]))[TARGET_COLUMN])
            lines += [f"{event},{int(label)},{i}" for i, label in enumerate(labels)]
        path = self.workdir / f"labels-{len(done)}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.mlops("monitor", "labels", "push", str(path), "-d", self.dataset)
        return len(lines) - 1

    def _check(self) -> dict[str, Any]:
        sent = self.facts["requests"]
        until(lambda: self._captured() >= sent, timeout=60, what=f"the capture of all {sent} requests")
        self._push_labels()
        before = self._last_check_id()
        fired = self.mlops("local", "tick")["fired"]
        if not fired or any(f["status"] != "delivered" for f in fired):
            raise DemoStepError(f"the schedule did not fire its check: {json.dumps(fired)[:800]}")

        def new_check() -> dict[str, Any] | None:
            status = self.mlops("monitor", "status", "-d", self.dataset)["datasets"][0]
            check = status.get("last_check")
            return status if check and check["check_id"] != before else None

        return until(new_check, timeout=120, what="the scheduled drift check")

    def _last_check_id(self) -> str | None:
        check = self.mlops("monitor", "status", "-d", self.dataset)["datasets"][0].get("last_check")
        return str(check["check_id"]) if check else None

    def traffic_without_drift(self) -> str:
        rows = breast_cancer_frame().sample(TRAFFIC_ROWS, random_state=1)
        sent = self._traffic(rows, "traffic")
        status = self._check()
        check = status["last_check"]
        if check["verdict"] == "drifted":
            raise DemoStepError(f"unshifted traffic was judged drifted: {check['drifted_features']}")
        verdict = f"check {check['verdict']} ({check['drifted_share']:.0%} drifted){_quality(check)}"
        return f"{sent} rows captured and labelled; {verdict}"

    def shift(self) -> str:
        frame = shifted(breast_cancer_frame())
        result = self._push(frame, "v2.csv")
        self.facts["v2"] = result["version"]
        sent = self._traffic(frame.sample(TRAFFIC_ROWS, random_state=2), "shifted")
        moved = ", ".join(SHIFTED)
        return f"{self.dataset}@{result['version']} accepted ({moved} x{SHIFT_FACTOR}); {sent} shifted requests"

    def drift_detected(self) -> str:
        status = self._check()
        check = status["last_check"]
        if check["verdict"] != "drifted" or "DriftDetected" not in check.get("alerts", []):
            raise DemoStepError(f"shifted traffic was not judged drifted: {check['verdict']} {check.get('alerts')}")

        def started() -> dict[str, Any] | None:
            retraining = self.mlops("monitor", "status", "-d", self.dataset)["datasets"][0].get("last_retraining")
            return retraining if retraining and retraining.get("check_id") == check["check_id"] else None

        retraining = until(started, timeout=60, what="the retraining guard starting a run")
        self.facts["retraining"] = retraining["execution_arn"]
        return (
            f"{len(check['drifted_features'])} features drifted ({check['drifted_share']:.0%}){_quality(check)}; "
            f"retraining started on {retraining['data_version']}"
        )

    def retrained_canary(self) -> str:
        execution = self.facts["retraining"].rsplit(":", 1)[-1]

        def finished() -> dict[str, Any] | None:
            result: dict[str, Any] = self.mlops("pipeline", "status", execution, allow=frozenset({0, 1}))
            return result if result.get("status") != "RUNNING" else None

        result = until(finished, timeout=600, what="the retraining run")
        if result.get("outcome") != "registered":
            raise DemoStepError(
                f"the retraining ended {result.get('outcome')}: {result.get('error') or result.get('gate')}"
            )
        version = int(str(result["model_package_arn"]).rsplit("/", 1)[-1])
        self.facts["model_v2"] = version
        record = self._deployment_of(version, timeout=300)
        if record["status"] != "deployed":
            raise DemoStepError(f"the canary of v{version} ended {record['status']}: {record.get('reason')}")
        return f"model v{version} trained on {result['data_version']}, deployed {record['strategy']}"

    def broken_rolled_back(self) -> str:
        good = self.facts["model_v2"]
        broken = register_broken(self.config, self.dataset, good)
        stop = threading.Event()
        errors: list[str] = []
        rows = breast_cancer_frame().head(20)

        runtime = local.client("sagemaker-runtime")
        body = rows.to_csv(index=False).encode()

        def traffic() -> None:  # the canary's share must see requests for its alarm to judge
            # boto3 here, not the in-process CLI: that redirects the process's stdout, and the
            # main thread is reading the deployment history through it meanwhile
            while not stop.is_set():
                try:
                    runtime.invoke_endpoint(EndpointName=self.endpoint, ContentType="text/csv", Body=body)
                except runtime.exceptions.ModelError as exc:
                    errors.append(str(exc))

        sender = threading.Thread(target=traffic, name="demo-traffic", daemon=True)
        sender.start()
        try:
            record = self._deployment_of(broken, timeout=300)
        finally:
            stop.set()
            sender.join(timeout=30)
        if record["status"] != "rolled_back":
            raise DemoStepError(f"the broken v{broken} was not rolled back: {record['status']} {record.get('reason')}")
        serving = self._serving()
        if serving != good:
            raise DemoStepError(f"after the rollback the endpoint serves v{serving}, not v{good}")
        self._invoke(rows.head(3), "after-rollback.csv")
        return f"v{broken} rolled back ({record.get('reason')}); v{good} still answers; {len(errors)} failed requests"

    def manual_rollback(self) -> str:
        target = self.facts["model_v1"]
        result = self.mlops(
            "serve", "rollback", "-d", self.dataset, "--to", str(target), "--wait", allow=frozenset({0, 1})
        )
        outcome = result.get("outcome") or result.get("status")
        if outcome != "deployed":
            raise DemoStepError(f"the rollback to v{target} ended {outcome}: {result.get('reason')}")
        serving = self._serving()
        if serving != target:
            raise DemoStepError(f"after the rollback the endpoint serves v{serving}, not v{target}")
        return f"v{target} serves again"

    def overview(self) -> str:
        out = self.workdir / "report"
        result = self.mlops("report", "--out", str(out))
        self.facts["report"] = result["page"]
        return str(result["page"])


def _quality(check: dict[str, Any]) -> str:
    if check.get("quality_value") is None:
        return ""
    return f", {check['quality_metric']} {check['quality_value']:.3f} on labelled traffic"


def shifted(frame: pd.DataFrame) -> pd.DataFrame:
    """The example data after the population moved: every size measure x SHIFT_FACTOR, new ids."""
    moved = frame.copy()
    for column in moved.columns:
        if any(part in column for part in SHIFTED):
            moved[column] = moved[column] * SHIFT_FACTOR
    moved[ID_COLUMN] = [f"S{10000 + i:05d}" for i in range(len(moved))]
    moved[TARGET_COLUMN] = moved[TARGET_COLUMN].astype(np.int64)
    return moved


def _predictions(result: Any) -> list[Any]:
    rows = result.get("predictions", []) if isinstance(result, dict) else result
    return [r["prediction"] if isinstance(r, dict) else r for r in rows]


def register_broken(config: ProjectConfig, dataset: str, like_version: int) -> int:
    """A new, approved package of the dataset: the model of `like_version` with inference code
    whose predict_fn raises. In an environment that approves automatically its registration
    deploys it like any other."""
    sagemaker, s3 = local.client("sagemaker"), local.client("s3")
    group = names.model_package_group(config, dataset)
    arn = next(
        s["ModelPackageArn"]
        for s in sagemaker.list_model_packages(ModelPackageGroupName=group, MaxResults=100)["ModelPackageSummaryList"]
        if int(s["ModelPackageVersion"]) == like_version
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    container = dict(described["InferenceSpecification"]["Containers"][0])
    environment = dict(container.get("Environment") or {})
    bucket, key = layout.split_s3_uri(environment["SAGEMAKER_SUBMIT_DIRECTORY"])
    code = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    broken_key = f"{key.rsplit('/', 1)[0]}/broken-by-demo-{int(time.time())}.tar.gz"
    s3.put_object(Bucket=bucket, Key=broken_key, Body=_break(code))
    environment["SAGEMAKER_SUBMIT_DIRECTORY"] = f"s3://{bucket}/{broken_key}"
    container["Environment"] = environment
    container.pop("ImageDigest", None)
    specification = dict(described["InferenceSpecification"]) | {"Containers": [container]}
    metadata = dict(described.get("CustomerMetadataProperties") or {}) | {"note": "broken on purpose by mlops demo"}
    created = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="mlops demo: a deliberately broken version (its predict_fn raises)",
        InferenceSpecification=specification,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties=metadata,
    )
    return int(str(created["ModelPackageArn"]).rsplit("/", 1)[-1])


def _break(archive: bytes) -> bytes:
    """The code archive with a predict_fn that raises appended to inference.py."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as source,
        tarfile.open(fileobj=out, mode="w:gz") as target,
    ):
        for member in source.getmembers():
            handle = source.extractfile(member)
            data = handle.read() if handle else b""
            if member.name.rsplit("/", 1)[-1] == "inference.py":
                data += BROKEN_PREDICT.encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return out.getvalue()
