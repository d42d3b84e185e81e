"""Training pipeline step 1: which data, which hyperparameters, which job names.

SageMaker channels read the *current* object under an S3 key and cannot pin an object version,
so training reads each object's content-addressed copy (`objects/<dataset>/<sha256>...`,
written once at acceptance and never overwritten): whatever happens under `incoming/` later, a
data version trains on exactly the bytes that were validated. Manifests written before content
addressing (format 1) use the copy once a re-upload of the same bytes has created it.

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
from mlops.ingest.manifest import Manifest, ManifestObject
from mlops.layout import (
    CHECKPOINTS,
    EVALUATIONS,
    MODELS,
    RUNS,
    checkpoint_prefix,
    content_key,
    evaluation_prefix,
    model_output_prefix,
    s3_uri,
    split_s3_uri,
    training_manifest_key,
)
from mlops.registry.data_versions import DataVersionRecord, DataVersionRegistry
from mlops.registry.model_packages import Champion, ModelPackages

#: SageMaker job names: at most 63 characters of [a-zA-Z0-9-]; the state machine appends
#: "-t<retry>" / "-e<retry>", so the base keeps room for that.
JOB_NAME_LIMIT = 63 - len("-t99")
__all__ = ["CHECKPOINTS", "EVALUATIONS", "MODELS", "RUNS", "RunResolver", "TrainingRun", "split_s3_uri"]


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
        keys = sorted(self._readable_key(bucket, record, item) for item in manifest.objects)
        name = job_name(self._config.prefix, execution_name)
        sagemaker_manifest: list[Any] = [{"prefix": f"s3://{bucket}/"}, *keys]
        run_key = training_manifest_key(name)
        self._store.put_json(self._artifacts, run_key, sagemaker_manifest)
        evaluation_uri_prefix = s3_uri(self._artifacts, evaluation_prefix(name))
        champion = self._packages.champion(names.model_package_group(self._config, request.dataset))
        return TrainingRun(
            dataset=request.dataset,
            data_version=record,
            manifest_uri=s3_uri(self._artifacts, run_key),
            data_prefix=f"s3://{bucket}/",
            data_objects=keys,
            hyperparameters=merge_hyperparameters(self._config.training.hyperparameters, request.hyperparameters, code),
            job_name=name,
            output_uri=s3_uri(self._artifacts, model_output_prefix(request.dataset)),
            checkpoint_uri=s3_uri(self._artifacts, checkpoint_prefix(name)),
            evaluation_prefix=evaluation_uri_prefix,
            evaluation_uri=f"{evaluation_uri_prefix}/evaluation.json",
            champion_metrics=champion.metrics if champion else None,
            champion=champion,
        )

    def _readable_key(self, bucket: str, record: DataVersionRecord, item: ManifestObject) -> str:
        """The key training reads for one object of the data version (see the module docstring)."""
        if item.content_key:
            if not self._store.exists(bucket, item.content_key):
                raise DataVersionChangedError(
                    f"s3://{bucket}/{item.content_key} ({record.ref}) is missing: content-addressed objects "
                    "are written once and never deleted by the platform; restore it from its S3 version history"
                )
            return item.content_key
        healed = content_key(record.dataset, item.sha256, item.key)
        if self._store.exists(bucket, healed):
            return healed
        raise DataVersionChangedError(
            f"{record.ref} was recorded before content addressing and s3://{bucket}/{healed} does not exist; "
            f"push the same file again (it stays {record.ref}) to store its content-addressed copy"
        )
