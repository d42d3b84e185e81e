"""The training pipeline's Lambda steps against moto: resolve a data version, gate, register."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest

from mlops import names
from mlops.adapters.s3 import ObjectStore
from mlops.data.errors import UnknownDatasetError
from mlops.hyperparameters import InvalidHyperparametersError
from mlops.pipeline.gate import GateRequest, run_gate
from mlops.pipeline.records import RunRecords
from mlops.pipeline.registration import ModelPackages, RegisterRequest, TrainingResult, register
from mlops.pipeline.resolve import DataVersionChangedError, RunResolver, TrainingRequest
from mlops.registry.data_versions import DataVersionNotFoundError
from mlops.registry.model_packages import ChampionMetricsError
from mlops.serving.history import DeploymentHistory
from mlops.serving.models import ServingPointer
from tests.datasets import csv_bytes, frame
from tests.integration.conftest import ACCOUNT, DataLake

DATASET = "breast-cancer"
CODE = {"sagemaker_program": "train.py", "sagemaker_submit_directory": "s3://assets/sourcedir.tar.gz"}


@pytest.fixture
def artifacts(lake: DataLake) -> Iterator[str]:
    bucket = names.artifacts_bucket(lake.config, ACCOUNT)
    lake.s3.create_bucket(Bucket=bucket)
    yield bucket


def accepted_version(lake: DataLake, key: str = f"incoming/{DATASET}/day-1.csv", seed: int = 0) -> None:
    body = csv_bytes(frame(lake.config.datasets[DATASET], 200, seed))
    _, outcome = lake.ingest(lake.upload(key, body))
    assert outcome is not None and outcome.verdict == "accepted"


def resolver(lake: DataLake, artifacts: str) -> RunResolver:
    return RunResolver(
        lake.config,
        lake.registry,
        lake.store,
        artifacts,
        ModelPackages(boto3.client("sagemaker")),
        RunRecords(lake.ddb, lake.table),
        DeploymentHistory(lake.ddb, lake.table),
    )


def test_resolve_the_latest_version_writes_a_sagemaker_manifest(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    run = resolver(lake, artifacts).resolve(
        TrainingRequest(dataset=DATASET, hyperparameters={"max_depth": 6, "early_stopping_rounds": 5}),
        "run-2026-11-22",
        CODE,
        code_version="c1",
    )
    assert run.data_version.name == "v1"
    assert run.job_name.startswith(f"{lake.config.prefix}-run-2026-11-22-")
    assert run.hyperparameters["max_depth"] == "6"  # override wins over the config, as a string
    assert run.hyperparameters["num_round"] == "200"
    assert run.hyperparameters["sagemaker_program"] == "train.py"
    assert run.champion_metrics is None
    manifest = json.loads(lake.s3.get_object(Bucket=artifacts, Key=run.manifest_uri.split("/", 3)[3])["Body"].read())
    [content] = run.data_objects
    assert manifest == [{"prefix": f"s3://{lake.bucket}/"}, content]
    # training reads the content-addressed copy, never the uploaded key
    assert content.startswith(f"objects/{DATASET}/") and content.endswith(".csv")
    body = lake.s3.get_object(Bucket=lake.bucket, Key=content)["Body"].read()
    assert content == f"objects/{DATASET}/{hashlib.sha256(body).hexdigest()}.csv"
    assert run.checkpoint_uri.startswith(f"s3://{artifacts}/checkpoints/{run.job_name}")
    assert run.evaluation_uri == f"s3://{artifacts}/evaluations/{run.job_name}/evaluation.json"


def test_resolve_a_named_version_and_reject_unknown_ones(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    accepted_version(lake, f"incoming/{DATASET}/day-2.csv", seed=1)
    steps = resolver(lake, artifacts)
    assert (
        steps.resolve(
            TrainingRequest(dataset=DATASET, data_version="v1"), "x", CODE, code_version="c1"
        ).data_version.sequence
        == 1
    )
    assert steps.resolve(TrainingRequest(dataset=DATASET), "x", CODE, code_version="c1").data_version.sequence == 2
    with pytest.raises(DataVersionNotFoundError):
        steps.resolve(TrainingRequest(dataset=DATASET, data_version="v9"), "x", CODE, code_version="c1")
    with pytest.raises(UnknownDatasetError):
        steps.resolve(TrainingRequest(dataset="nope"), "x", CODE, code_version="c1")


def test_overwriting_the_uploaded_key_does_not_change_what_a_version_trains_on(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    before = resolver(lake, artifacts).resolve(
        TrainingRequest(dataset=DATASET, data_version="v1"), "a", CODE, code_version="c1"
    )
    [content] = before.data_objects
    original = lake.s3.get_object(Bucket=lake.bucket, Key=content)["Body"].read()
    other = csv_bytes(frame(lake.config.datasets[DATASET], 200, 7))
    _, outcome = lake.ingest(lake.upload(f"incoming/{DATASET}/day-1.csv", other))  # same key, other bytes
    assert outcome is not None and outcome.version == "v2"
    after = resolver(lake, artifacts).resolve(
        TrainingRequest(dataset=DATASET, data_version="v1"), "b", CODE, code_version="c1"
    )
    assert after.data_objects == before.data_objects
    assert lake.s3.get_object(Bucket=lake.bucket, Key=content)["Body"].read() == original


def test_an_identical_re_upload_stays_one_trainable_version(lake: DataLake, artifacts: str) -> None:
    body = csv_bytes(frame(lake.config.datasets[DATASET], 200, 0))
    _, first = lake.ingest(lake.upload(f"incoming/{DATASET}/bc.csv", body))
    _, again = lake.ingest(lake.upload(f"incoming/{DATASET}/bc.csv", body))
    assert first is not None and again is not None and (first.version, again.version) == ("v1", "v1")
    run = resolver(lake, artifacts).resolve(
        TrainingRequest(dataset=DATASET, data_version="v1"), "x", CODE, code_version="c1"
    )
    [content] = run.data_objects
    versions = lake.s3.list_object_versions(Bucket=lake.bucket, Prefix=content)["Versions"]
    assert len(versions) == 1  # stored once: the second acceptance did not write it again


def test_resolve_refuses_a_version_whose_content_addressed_object_is_gone(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    run = resolver(lake, artifacts).resolve(TrainingRequest(dataset=DATASET), "x", CODE, code_version="c1")
    lake.s3.delete_object(Bucket=lake.bucket, Key=run.data_objects[0])  # only a human with delete rights can
    with pytest.raises(DataVersionChangedError, match="is missing"):
        resolver(lake, artifacts).resolve(
            TrainingRequest(dataset=DATASET, data_version="v1"), "y", CODE, code_version="c1"
        )


def evaluation(auc: float) -> dict[str, object]:
    return {
        "binary_classification_metrics": {
            "auc": {"value": auc, "standard_deviation": "NaN"},
            "confusion_matrix": {"0": {"0": 1, "1": 0}, "1": {"0": 0, "1": 1}},
        }
    }


@pytest.mark.parametrize(("auc", "passed"), [(0.99, True), (0.5, False)])
def test_gate_reads_evaluation_json(lake: DataLake, artifacts: str, auc: float, passed: bool) -> None:
    lake.s3.put_object(Bucket=artifacts, Key="evaluations/job/evaluation.json", Body=json.dumps(evaluation(auc)))
    result = run_gate(
        lake.config.quality_gate,
        ObjectStore(lake.s3),
        GateRequest(evaluation_uri=f"s3://{artifacts}/evaluations/job/evaluation.json"),
    )
    assert result.passed is passed
    assert result.metrics == {"auc": auc}
    assert "auc" in result.reason


def test_gate_rejects_a_regression_against_the_champion(lake: DataLake, artifacts: str) -> None:
    lake.s3.put_object(Bucket=artifacts, Key="evaluations/j/evaluation.json", Body=json.dumps(evaluation(0.96)))
    result = run_gate(
        lake.config.quality_gate,
        ObjectStore(lake.s3),
        GateRequest(evaluation_uri=f"s3://{artifacts}/evaluations/j/evaluation.json", champion_metrics={"auc": 0.99}),
    )
    assert not result.passed and "regresses" in result.reason


def test_register_creates_a_model_package_with_lineage(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    run = resolver(lake, artifacts).resolve(TrainingRequest(dataset=DATASET), "exec-1", CODE, code_version="c1")
    sagemaker = boto3.client("sagemaker")
    group = names.model_package_group(lake.config, DATASET)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    lake.s3.put_object(Bucket=artifacts, Key="evaluations/x/evaluation.json", Body=json.dumps(evaluation(0.99)))
    gate = run_gate(
        lake.config.quality_gate,
        ObjectStore(lake.s3),
        GateRequest(evaluation_uri=f"s3://{artifacts}/evaluations/x/evaluation.json"),
    )
    request = RegisterRequest(
        run=run,
        training=TrainingResult(
            job_name=f"{run.job_name}-t0", model_uri=f"s3://{artifacts}/models/{DATASET}/m/model.tar.gz"
        ),
        gate=gate,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:tumor-classifier-dev-training:exec-1",
        code_version="abc123",
        image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        source_dir_uri="s3://assets/sourcedir.tar.gz",
    )
    registration = register(ModelPackages(sagemaker), request, group, lake.config.settings.model_approval)
    described = sagemaker.describe_model_package(ModelPackageName=registration.model_package_arn)
    assert described["ModelApprovalStatus"] == "Approved"  # dev auto-approves
    metadata = described["CustomerMetadataProperties"]
    assert metadata["data_version"] == "v1"
    assert metadata["data_version_id"] == run.data_version.version_id
    # the manifest: which objects, which bytes (lineage down to the content-addressed objects)
    bucket, key = metadata["data_manifest_uri"].removeprefix("s3://").split("/", 1)
    manifest = json.loads(lake.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert manifest["version_id"] == run.data_version.version_id
    assert [o["content_key"] for o in manifest["objects"]] == run.data_objects
    assert metadata["code_version"] == "abc123"
    assert metadata["execution_id"] == request.execution_id
    assert json.loads(metadata["hyperparameters"])["num_round"] == "200"
    assert described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == run.evaluation_uri
    assert sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]


def _package(sagemaker: object, group: str, auc: float, approval: str) -> str:
    arn: str = sagemaker.create_model_package(  # type: ignore[attr-defined]
        ModelPackageGroupName=group,
        ModelApprovalStatus=approval,
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties={"metrics": json.dumps({"auc": auc, "accuracy": 0.9})},
    )["ModelPackageArn"]
    return arn


def test_the_champion_is_the_newest_approved_package(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    sagemaker = boto3.client("sagemaker")
    group = names.model_package_group(lake.config, DATASET)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    request = TrainingRequest(dataset=DATASET)
    assert resolver(lake, artifacts).resolve(request, "no-champion-yet", CODE, code_version="c1").champion is None
    _package(sagemaker, group, 0.97, "Approved")
    newest_approved = _package(sagemaker, group, 0.98, "Approved")
    _package(sagemaker, group, 0.999, "PendingManualApproval")  # not approved: never the champion
    run = resolver(lake, artifacts).resolve(request, "with-champion", CODE, code_version="c1")
    assert run.champion is not None and run.champion.model_package_arn == newest_approved
    assert run.champion_metrics == {"auc": 0.98, "accuracy": 0.9}


def test_the_champion_is_the_version_serving_not_the_newest_approved(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    sagemaker = boto3.client("sagemaker")
    group = names.model_package_group(lake.config, DATASET)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    serving = _package(sagemaker, group, 0.97, "Approved")
    _package(sagemaker, group, 0.98, "Approved")  # approved later, but never deployed (or rolled back)
    DeploymentHistory(lake.ddb, lake.table).set_current(
        ServingPointer(
            dataset=DATASET,
            endpoint_name="e",
            model_version=1,
            model_package_arn=serving,
            endpoint_config_name="c",
            deployment_id="d-1",
            since=datetime.now(UTC),
        )
    )
    run = resolver(lake, artifacts).resolve(
        TrainingRequest(dataset=DATASET), "serving-champion", CODE, code_version="c1"
    )
    assert run.champion is not None and run.champion.model_package_arn == serving
    assert run.champion.version == 1 and run.champion_metrics == {"auc": 0.97, "accuracy": 0.9}


def test_a_champion_without_recorded_metrics_is_a_clear_error(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    sagemaker = boto3.client("sagemaker")
    group = names.model_package_group(lake.config, DATASET)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    with pytest.raises(ChampionMetricsError, match="no 'metrics'"):
        resolver(lake, artifacts).resolve(TrainingRequest(dataset=DATASET), "bad-champion", CODE, code_version="c1")


def test_resolve_passes_the_datasets_target_and_id_columns_to_the_training_job(lake: DataLake, artifacts: str) -> None:
    accepted_version(lake)
    declared = lake.config.datasets[DATASET]
    run = resolver(lake, artifacts).resolve(TrainingRequest(dataset=DATASET), "schema", CODE, code_version="c1")
    assert run.hyperparameters["target"] == declared.target
    unique = [c.name for c in declared.columns if c.unique]
    assert unique and json.loads(run.hyperparameters["id_columns"]) == unique
    # the pipeline sets them from the config: an override is refused
    with pytest.raises(InvalidHyperparametersError, match="target"):
        resolver(lake, artifacts).resolve(
            TrainingRequest(dataset=DATASET, hyperparameters={"target": "other"}), "schema-2", CODE, code_version="c1"
        )
