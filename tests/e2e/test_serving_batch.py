"""Batch inference on the deployed stacks: `mlops --local serve batch` runs the batch state machine
(moto's interpreter, the real resolve/record Lambdas, a local SageMaker transform job running
training/inference.py from the model package) over a data version's content-addressed objects.

Lean on purpose: it reuses the session's newest approved model when another module trained one,
and trains one only when there is none.
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlops import config as config_module
from mlops import names
from mlops.example_data import breast_cancer_frame, write_csv
from mlops.layout import batch_record_key, split_s3_uri
from tests.e2e.conftest import REPO_ROOT, LocalCloud
from tests.unit.training.conftest import load_entry_point
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

DATASET = "breast-cancer"
CONFIG = config_module.load(REPO_ROOT / "mlops.yaml", "dev")


@pytest.fixture(scope="module")
def data_version(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> str:
    # the example bytes: the same version every other module pushes
    path = write_csv(tmp_path_factory.mktemp("batch") / "breast-cancer.csv")
    pushed = json.loads(
        local_cloud.mlops("--local", "data", "push", str(path), "-d", DATASET, "--wait", "--json").stdout
    )
    assert pushed["verdict"] == "accepted", pushed
    return str(pushed["version"])


def approved(cloud: LocalCloud) -> list[dict[str, Any]]:
    """Approved packages the training pipeline registered (other tests register hand-made ones,
    a deliberately broken one among them)."""
    sagemaker = cloud.client("sagemaker")
    listed: list[dict[str, Any]] = sagemaker.list_model_packages(
        ModelPackageGroupName=names.model_package_group(CONFIG, DATASET), ModelApprovalStatus="Approved"
    )["ModelPackageSummaryList"]
    trained = [
        p
        for p in listed
        if "training_job"
        in (
            sagemaker.describe_model_package(ModelPackageName=p["ModelPackageArn"]).get("CustomerMetadataProperties")
            or {}
        )
    ]
    return sorted(trained, key=lambda p: p["ModelPackageVersion"])


@pytest.fixture(scope="module")
def package(local_cloud: LocalCloud, data_version: str) -> dict[str, Any]:
    """The newest approved model package, trained here only if the session has none yet."""
    if not approved(local_cloud):
        result = local_cloud.mlops(
            "--local", "pipeline", "run", "-d", DATASET, "--data-version", data_version,
            "--wait", "--json", "--timeout", "300",
        )  # fmt: skip
        assert json.loads(result.stdout)["outcome"] in {"registered", "unchanged"}
    newest = approved(local_cloud)[-1]
    described: dict[str, Any] = local_cloud.client("sagemaker").describe_model_package(
        ModelPackageName=newest["ModelPackageArn"]
    )
    return described


def direct_predictions(cloud: LocalCloud, package: dict[str, Any], tmp_path: Path) -> np.ndarray:
    """What the packaged model predicts for the example rows, computed here."""
    bucket, key = split_s3_uri(package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"])
    archive = cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(tmp_path / "model", filter="data")
    inference = load_entry_point("inference")
    model = inference.model_fn(str(tmp_path / "model"))
    return np.asarray(inference.predict_fn(breast_cancer_frame(), model))


def test_a_batch_predicts_every_row_of_the_data_version_with_the_model_it_records(
    local_cloud: LocalCloud, data_version: str, package: dict[str, Any], tmp_path: Path
) -> None:
    version = int(package["ModelPackageVersion"])
    result = local_cloud.mlops(
        "--local", "serve", "batch", "-d", f"{DATASET}@{data_version}", "--model", str(version),
        "--wait", "--json", "--timeout", "300", check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    record = json.loads(result.stdout)

    assert (record["status"], record["dataset"]) == ("succeeded", DATASET)
    assert (record["data_version"], record["model_version"]) == (data_version, version)
    assert record["model_package_arn"] == package["ModelPackageArn"]
    assert record["rows"] == len(breast_cancer_frame())
    assert [job["status"] for job in record["jobs"]] == ["Completed"]
    [output] = record["outputs"]
    assert output["written"] and output["input_uri"].split("/objects/")[1].startswith(f"{DATASET}/")

    s3 = local_cloud.client("s3")
    bucket, key = split_s3_uri(output["output_uri"])
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    assert np.allclose([float(line) for line in lines], direct_predictions(local_cloud, package, tmp_path))
    bucket, key = split_s3_uri(record["record_uri"])
    stored = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert stored["model_package_arn"] == record["model_package_arn"] and stored["status"] == "succeeded"
    # the endpoint's model of that version now exists, made from the package's container
    model = local_cloud.client("sagemaker").describe_model(ModelName=record["model_name"])
    assert (
        model["PrimaryContainer"]["ModelDataUrl"] == package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    )


def test_an_unknown_model_version_is_refused_by_the_cli_and_recorded_by_the_workflow(
    local_cloud: LocalCloud, data_version: str, package: dict[str, Any]
) -> None:
    refused = local_cloud.mlops(
        "--local", "serve", "batch", "-d", f"{DATASET}@{data_version}", "--model", "999", check=False
    )
    assert refused.returncode == 2 and "--model" in refused.stderr and "999" in refused.stderr

    sfn = local_cloud.client("stepfunctions")
    machine = f"arn:aws:states:{CONFIG.settings.region}:123456789012:stateMachine:{names.batch_state_machine(CONFIG)}"
    name = f"no-model-{uuid.uuid4().hex[:8]}"
    request = {"dataset": DATASET, "data_version": data_version, "model_version": 999}
    arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(request))["executionArn"]
    described = wait_until(
        lambda: sfn.describe_execution(executionArn=arn),
        until=lambda d: d["status"] != "RUNNING",
        timeout=120,
        what=f"batch execution {name} to end",
    )
    assert described["status"] == "FAILED"
    assert described["error"] == "Mlops.ModelVersionNotFound"
    artifacts = names.artifacts_bucket(CONFIG, "123456789012")
    stored = json.loads(
        local_cloud.client("s3").get_object(Bucket=artifacts, Key=batch_record_key(DATASET, name))["Body"].read()
    )
    assert (stored["status"], stored["error"], stored["model_version"]) == ("failed", "Mlops.ModelVersionNotFound", 999)
    assert stored["outputs"] == []
