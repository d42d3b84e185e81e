"""The deploy workflow on the local cloud, through the real `mlops` CLI: an approval deploys a
version (the endpoint is created), a canary update to a good version moves the pointer, a
canary to a version whose predict raises is rolled back by the endpoint's 5XX alarm while the
old version keeps answering, a manual rollback, and every refusal.

The endpoint is one per dataset and environment, so the lifecycle is one test, in order. It
trains once (tests/hosting.py) and registers packages of that model directly, pending approval
(a good one twice, one with broken inference code): the training pipeline has its own tests.
In dev every approval deploys (the approval event's rule), so approving is how versions 1-3
are deployed; rollback and a strategy override go through the CLI. Bakes are the dev
config's, compressed like every local wait (MLOPS_LOCAL_WAIT_SCALE).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mlops import config as config_module
from mlops import layout, names
from mlops.cli.aws import LOCAL_ACCOUNT
from mlops.example_data import TARGET_COLUMN, breast_cancer_frame
from mlops.serving import naming
from tests.e2e.conftest import REPO_ROOT, LocalCloud
from tests.waiting import wait_until

hosting = pytest.importorskip("tests.hosting", reason="needs the local endpoints (local-endpoints branch)")

CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")
DATASET = "breast-cancer"
ENDPOINT = naming.endpoint(CONFIG.prefix, DATASET)
ALARM_5XX = naming.alarm(CONFIG.prefix, DATASET, "Invocation5XXErrors")
#: a canary bakes twice; locally compressed, plus starting model servers
DEPLOY_TIMEOUT_S = 240


def mlops_json(cloud: LocalCloud, *arguments: str, expect: int = 0) -> dict[str, Any]:
    result = cloud.mlops("--local", *arguments, "--json", check=False)
    assert result.returncode == expect, f"mlops {' '.join(arguments)} exited {result.returncode}:\n{result.stderr}"
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def history(cloud: LocalCloud) -> dict[str, Any]:
    return mlops_json(cloud, "serve", "history", DATASET)


def settled(cloud: LocalCloud) -> dict[str, Any]:
    """Wait for no deployment of the dataset to be in progress (other tests' registrations
    deploy too in dev) and return the history."""
    return wait_until(
        lambda: history(cloud),
        until=lambda h: h["in_progress"] is None,
        timeout=DEPLOY_TIMEOUT_S,
        what=f"no deployment of {DATASET} in progress",
    )


def features_csv() -> str:
    rows = breast_cancer_frame().head(5).drop(columns=[TARGET_COLUMN, "sample_id"])
    return str(rows.to_csv(index=False, header=False))


def invoke(cloud: LocalCloud) -> list[float]:
    answer = cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=ENDPOINT, Body=features_csv(), ContentType="text/csv"
    )
    return [float(p) for p in json.loads(answer["Body"].read())["predictions"]]


@pytest.fixture(scope="module")
def packages(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Versions of one trained model registered pending approval: `good` twice, `broken` once."""
    model = hosting.train_model(tmp_path_factory.mktemp("serving-model"))
    s3, sagemaker = local_cloud.client("s3"), local_cloud.client("sagemaker")
    bucket = names.artifacts_bucket(CONFIG, LOCAL_ACCOUNT)
    group = names.model_package_group(CONFIG, DATASET)
    model_key = f"{layout.MODELS}e2e-serving/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=model_key, Body=hosting.model_archive(model))
    versions: dict[str, int] = {}
    for label, broken in (("good-1", False), ("good-2", False), ("broken", True)):
        code_key = f"{layout.MODELS}e2e-serving/{label}/sourcedir.tar.gz"
        s3.put_object(Bucket=bucket, Key=code_key, Body=hosting.source_archive(broken=broken))
        arn = sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": hosting.IMAGE,
                        "ModelDataUrl": f"s3://{bucket}/{model_key}",
                        "Environment": {
                            "SAGEMAKER_PROGRAM": "inference.py",
                            "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/{code_key}",
                        },
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            CustomerMetadataProperties={
                "metrics": json.dumps({"auc": 0.99}),
                "data_version": f"v-{label}",
                "data_version_id": label,
            },
        )["ModelPackageArn"]
        versions[label] = int(arn.rsplit("/", 1)[-1])
    return versions


@pytest.fixture
def traffic(local_cloud: LocalCloud) -> Iterator[list[str]]:
    """Requests to the endpoint while a deployment bakes (the alarms judge the new fleet by
    them): every outcome, `ok` or the error code."""
    outcomes: list[str] = []
    stop = threading.Event()

    def send() -> None:
        runtime = local_cloud.client("sagemaker-runtime")
        while not stop.is_set():
            try:
                runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=features_csv(), ContentType="text/csv")
                outcomes.append("ok")
            except Exception as error:
                outcomes.append(type(error).__name__)
            stop.wait(0.05)

    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    yield outcomes
    stop.set()
    worker.join(timeout=10)


def test_approve_deploy_canary_rollback_and_refusals(
    local_cloud: LocalCloud, packages: dict[str, int], traffic: list[str]
) -> None:
    good1, good2, broken = packages["good-1"], packages["good-2"], packages["broken"]
    settled(local_cloud)
    # refused before anything starts: unapproved, unknown
    refused = local_cloud.mlops("--local", "serve", "deploy", f"{DATASET}@{good1}", check=False)
    assert refused.returncode == 4 and "mlops model approve" in refused.stderr
    assert local_cloud.mlops("--local", "serve", "deploy", f"{DATASET}@9999", check=False).returncode == 4

    # 1. an approval triggers the deployment (the approval event's rule; dev records it as a registration)
    mlops_json(local_cloud, "model", "approve", f"{DATASET}@{good1}")
    first = wait_until(
        lambda: history(local_cloud),
        until=lambda h: bool(h["serving"]) and h["serving"]["model_version"] == good1,
        timeout=DEPLOY_TIMEOUT_S,
        what=f"the approval of v{good1} to deploy it",
    )
    [record] = [d for d in first["deployments"] if d["deployment_id"] == first["serving"]["deployment_id"]]
    assert record["status"] == "deployed" and record["trigger"] == "registration"
    assert record["triggered_by"].endswith(f"/{good1}")
    assert first["serving"]["data_version"] == "v-good-1"  # what the drift checks baseline on
    expected = invoke(local_cloud)
    assert len(expected) == 5

    # 2. in dev every approval deploys: a canary to a good version; a deployment meanwhile is refused
    mlops_json(local_cloud, "model", "approve", f"{DATASET}@{good2}")
    lock = wait_until(
        lambda: history(local_cloud)["in_progress"],
        timeout=30,
        what=f"the approval of v{good2} to start its deployment",
    )
    busy = local_cloud.mlops("--local", "serve", "deploy", f"{DATASET}@{good1}", check=False)
    assert busy.returncode == 5 and lock["deployment_id"] in busy.stderr
    after = settled(local_cloud)
    canary = next(d for d in after["deployments"] if d["deployment_id"] == lock["deployment_id"])
    assert canary["status"] == "deployed" and canary["strategy"] == "canary"
    assert canary["previous_model_version"] == good1 and after["serving"]["model_version"] == good2
    assert invoke(local_cloud) == pytest.approx(expected, abs=1e-7)

    # 3. a canary of a broken version: the 5XX alarm fires while it bakes, the endpoint rolls back
    mlops_json(local_cloud, "model", "approve", f"{DATASET}@{broken}")
    wait_until(lambda: history(local_cloud)["in_progress"], timeout=30, what=f"the deployment of v{broken}")
    after = settled(local_cloud)
    [bad] = [d for d in after["deployments"] if d["model_version"] == broken]
    assert bad["status"] == "rolled_back" and ALARM_5XX in bad["reason"], bad
    assert "ModelError" in traffic  # the canary's share of the traffic reached the broken version
    assert after["serving"]["model_version"] == good2
    assert invoke(local_cloud) == pytest.approx(expected, abs=1e-7)  # the old version still answers

    # 4. refusals of rollback targets, then a manual rollback to the version before the current one
    never = local_cloud.mlops("--local", "serve", "rollback", "-d", DATASET, "--to", str(broken), check=False)
    assert never.returncode == 4 and "never deployed successfully" in never.stderr
    unknown = local_cloud.mlops("--local", "serve", "rollback", "-d", DATASET, "--to", "9999", check=False)
    assert unknown.returncode == 4 and "no model version 9999" in unknown.stderr
    back = mlops_json(local_cloud, "serve", "rollback", "-d", DATASET, "--wait")
    assert back["status"] == "deployed" and back["record"]["trigger"] == "rollback"
    assert back["record"]["model_version"] == good1 and back["record"]["previous_model_version"] == good2
    assert invoke(local_cloud) == pytest.approx(expected, abs=1e-7)

    # 5. a manual deployment with another strategy, followed to its outcome
    again = mlops_json(local_cloud, "serve", "deploy", f"{DATASET}@{good2}", "--strategy", "all_at_once", "--wait")
    assert again["status"] == "deployed" and again["record"]["strategy"] == "all_at_once"
    assert again["record"]["trigger"] == "manual" and history(local_cloud)["serving"]["model_version"] == good2


def test_the_workflow_is_deployed_with_its_alarms(local_cloud: LocalCloud) -> None:
    alarms = local_cloud.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{CONFIG.prefix}-{DATASET}-")
    assert ALARM_5XX in {a["AlarmName"] for a in alarms["MetricAlarms"]}
    machine = names.deploy_state_machine(CONFIG)
    listed = local_cloud.client("stepfunctions").list_state_machines()["stateMachines"]
    assert machine in {m["name"] for m in listed}
