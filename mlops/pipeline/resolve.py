"""Training pipeline step 1: which data, which hyperparameters, which job names.

SageMaker channels read the *current* version of an S3 key and cannot pin an object version,
so the step checks that every object of the data version is still the current version of its
key and fails (rather than train on other bytes) when one was overwritten since.

The champion (the newest approved model package of the dataset's group) is looked up here, once
per run, so the gate compares against the model that was champion when the run started.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mlops import names
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.data.errors import UnknownDatasetError
from mlops.errors import MlopsError
from mlops.ingest.manifest import Manifest
from mlops.pipeline.job_contract import dataset_hyperparameters
from mlops.registry.data_versions import DataVersionRecord, DataVersionRegistry
from mlops.registry.model_packages import Champion, ModelPackages

#: SageMaker job names: at most 63 characters of [a-zA-Z0-9-]; the state machine appends
#: "-t<retry>" / "-e<retry>", so the base keeps room for that.
JOB_NAME_LIMIT = 63 - len("-t99")
RUNS = "runs/"
MODELS = "models/"
CHECKPOINTS = "checkpoints/"
EVALUATIONS = "evaluations/"


class DataVersionChangedError(MlopsError):
    """An object of the data version is no longer the current version of its key."""

    error_name = "Mlops.DataVersionChanged"


class TrainingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    data_version: str = "latest"
    hyperparameters: dict[str, str | int | float | bool] = Field(default_factory=dict)


class TrainingRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    dataset: str
    data_version: DataVersionRecord
    #: SageMaker manifest listing the data version's objects: the train and test channel
    manifest_uri: str
    data_prefix: str
    data_objects: list[str]
    hyperparameters: dict[str, str]
    job_name: str
    output_uri: str
    checkpoint_uri: str
    evaluation_prefix: str
    evaluation_uri: str
    champion_metrics: dict[str, float] | None = None
    champion: Champion | None = None


def job_name(prefix: str, execution_name: str) -> str:
    """A valid SageMaker job name, unique per execution: the prefix (which IAM scopes on), the
    readable part of the execution name, and a hash of the whole execution name."""
    digest = hashlib.sha256(execution_name.encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", execution_name).strip("-")
    room = JOB_NAME_LIMIT - len(prefix) - len(digest) - 2
    readable = readable[: max(room, 0)].strip("-")
    return "-".join(part for part in (prefix, readable, digest) if part)


def merge_hyperparameters(
    configured: Mapping[str, str | int | float | bool],
    overrides: Mapping[str, str | int | float | bool],
    code: Mapping[str, str],
) -> dict[str, str]:
    """SageMaker takes strings only; the code location always wins over an override."""

    def text(value: str | int | float | bool) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    merged = {**configured, **overrides}
    return {key: text(value) for key, value in {**merged, **code}.items()}


class RunResolver:
    def __init__(
        self,
        config: ProjectConfig,
        registry: DataVersionRegistry,
        store: ObjectStore,
        artifacts_bucket: str,
        packages: ModelPackages,
    ) -> None:
        self._config = config
        self._packages = packages
        self._registry = registry
        self._store = store
        self._artifacts = artifacts_bucket

    def resolve(self, request: TrainingRequest, execution_name: str, code: Mapping[str, str]) -> TrainingRun:
        if request.dataset not in self._config.datasets:
            raise UnknownDatasetError(request.dataset, list(self._config.datasets))
        record = self._registry.resolve(request.dataset, request.data_version)
        bucket, manifest_key = split_s3_uri(record.manifest_uri)
        manifest = Manifest.model_validate(self._store.get_json(bucket, manifest_key))
        for item in manifest.objects:
            current = self._store.current_version(bucket, item.key)
            if item.version_id and current != item.version_id:
                raise DataVersionChangedError(
                    f"s3://{bucket}/{item.key} was overwritten after {record.ref} was recorded "
                    f"(recorded version {item.version_id}, current {current}); re-upload to make a new data version"
                )
        name = job_name(self._config.prefix, execution_name)
        keys = sorted(item.key for item in manifest.objects)
        sagemaker_manifest: list[Any] = [{"prefix": f"s3://{bucket}/"}, *keys]
        run_key = f"{RUNS}{name}/train.manifest"
        self._store.put_json(self._artifacts, run_key, sagemaker_manifest)
        evaluation_prefix = f"s3://{self._artifacts}/{EVALUATIONS}{name}"
        champion = self._packages.champion(names.model_package_group(self._config, request.dataset))
        return TrainingRun(
            dataset=request.dataset,
            data_version=record,
            manifest_uri=f"s3://{self._artifacts}/{run_key}",
            data_prefix=f"s3://{bucket}/",
            data_objects=keys,
            hyperparameters=merge_hyperparameters(
                self._config.training.hyperparameters,
                request.hyperparameters,
                # the dataset's schema, then the code location: neither can be overridden
                {**dataset_hyperparameters(self._config.datasets[request.dataset]), **code},
            ),
            job_name=name,
            output_uri=f"s3://{self._artifacts}/{MODELS}{request.dataset}/",
            checkpoint_uri=f"s3://{self._artifacts}/{CHECKPOINTS}{name}/",
            evaluation_prefix=evaluation_prefix,
            evaluation_uri=f"{evaluation_prefix}/evaluation.json",
            champion_metrics=champion.metrics if champion else None,
            champion=champion,
        )


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ValueError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key
