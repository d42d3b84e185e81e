"""Training pipeline step 1: which data, which hyperparameters, which job names.

SageMaker channels read the *current* object under an S3 key and cannot pin an object version,
so training reads each object's content-addressed copy (`objects/<dataset>/<sha256>...`,
written once at acceptance and never overwritten): whatever happens under `incoming/` later, a
data version trains on exactly the bytes that were validated. Manifests written before content
addressing (format 1) use the copy once a re-upload of the same bytes has created it.

The champion is looked up here, once per run, so the gate compares against the model that was
champion when the run started: the version the environment's endpoint serves (its serving
pointer), or the newest approved package of the dataset's group while nothing serves yet. A
lookup that fails (registry or model registry) fails the run (`Mlops.ChampionLookupFailed`):
it is never read as "no champion", which would let a regression through unchallenged.

The run key (`run_key_of`) says what a run would train; when a model package with the same key is
already registered (and still exists), the run is `unchanged`: the state machine records it
pointing at that package and trains and registers nothing, unless the request says `force`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from mlops import hyperparameters as script_hyperparameters
from mlops import names
from mlops import training_hyperparameters as declared
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.data.errors import UnknownDatasetError
from mlops.errors import MlopsError
from mlops.hyperparameters import HyperparameterValue
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
from mlops.pipeline.job_contract import dataset_hyperparameters
from mlops.pipeline.records import RegisteredRun
from mlops.registry.data_versions import DataVersionRecord, DataVersionRegistry
from mlops.registry.model_packages import Champion, ChampionLookupError, ModelPackages
from mlops.serving.models import ServingPointer

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
    hyperparameters: dict[str, HyperparameterValue] = Field(default_factory=dict)
    #: train (and register) even when an identical run already registered a model
    force: bool = False


class RunKeys(Protocol):
    """Where registered run keys are looked up (RunRecords in the registry table)."""

    def registered(self, dataset: str, run_key: str) -> RegisteredRun | None: ...


class ServingPointers(Protocol):
    """Where the version an endpoint serves is looked up (DeploymentHistory in the registry table)."""

    def current(self, dataset: str) -> ServingPointer | None: ...


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
    run_key: str
    #: True when `existing` already holds what this run would train (the state machine's Choice)
    unchanged: bool = False
    existing: RegisteredRun | None = None


def job_name(prefix: str, execution_name: str) -> str:
    """A valid SageMaker job name, unique per execution: the prefix (which IAM scopes on), the
    readable part of the execution name, and a hash of the whole execution name."""
    digest = hashlib.sha256(execution_name.encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", execution_name).strip("-")
    room = JOB_NAME_LIMIT - len(prefix) - len(digest) - 2
    readable = readable[: max(room, 0)].strip("-")
    return "-".join(part for part in (prefix, readable, digest) if part)


def merge_hyperparameters(
    configured: Mapping[str, HyperparameterValue],
    overrides: Mapping[str, HyperparameterValue],
    code: Mapping[str, str],
) -> dict[str, str]:
    """The job's hyperparameters as SageMaker takes them (strings): the overrides over the
    config, checked against the training script's declaration (InvalidHyperparametersError
    naming every problem: an execution can be started without the CLI's checks), then the code
    location, which the pipeline sets and nobody overrides."""
    checked = script_hyperparameters.typed({**configured, **overrides})
    return {key: str(value) for key, value in {**checked, **code}.items()}


def run_key_of(data_version_id: str, code_version: str, image: str, hyperparameters: Mapping[str, str]) -> str:
    """What a run trains, hashed: the data version's content id, the code version, the training
    image (another XGBoost trains another model) and the script's effective hyperparameters,
    defaults filled in, so `num_round=200` set by hand and the default 200 are the same run.
    `sagemaker_*` keys are left out: the code location is the code version again."""
    effective = dataclasses.asdict(declared.parse(hyperparameters))
    document = {
        "data_version_id": data_version_id,
        "code_version": code_version,
        "image": image,
        "hyperparameters": {key: str(value) for key, value in sorted(effective.items())},
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class RunResolver:
    def __init__(
        self,
        config: ProjectConfig,
        registry: DataVersionRegistry,
        store: ObjectStore,
        artifacts_bucket: str,
        packages: ModelPackages,
        run_keys: RunKeys,
        serving: ServingPointers,
    ) -> None:
        self._serving = serving
        self._config = config
        self._packages = packages
        self._run_keys = run_keys
        self._registry = registry
        self._store = store
        self._artifacts = artifacts_bucket

    def resolve(
        self, request: TrainingRequest, execution_name: str, code: Mapping[str, str], *, code_version: str
    ) -> TrainingRun:
        if request.dataset not in self._config.datasets:
            raise UnknownDatasetError(request.dataset, list(self._config.datasets))
        # before anything is written: a bad value fails here, not in a billable job
        hyperparameters = merge_hyperparameters(
            self._config.training.hyperparameters,
            request.hyperparameters,
            # the dataset's schema, then the code location: the pipeline sets both, nobody overrides them
            {**dataset_hyperparameters(self._config.datasets[request.dataset]), **code},
        )
        record = self._registry.resolve(request.dataset, request.data_version)
        bucket, manifest_key = split_s3_uri(record.manifest_uri)
        manifest = Manifest.model_validate(self._store.get_json(bucket, manifest_key))
        keys = sorted(self._readable_key(bucket, record, item) for item in manifest.objects)
        name = job_name(self._config.prefix, execution_name)
        sagemaker_manifest: list[Any] = [{"prefix": f"s3://{bucket}/"}, *keys]
        run_key = training_manifest_key(name)
        self._store.put_json(self._artifacts, run_key, sagemaker_manifest)
        evaluation_uri_prefix = s3_uri(self._artifacts, evaluation_prefix(name))
        champion = self._champion(request.dataset)
        training = self._config.training
        key = run_key_of(
            record.version_id, code_version, f"{training.framework}:{training.framework_version}", hyperparameters
        )
        existing = None if request.force else self._existing(request.dataset, key)
        return TrainingRun(
            dataset=request.dataset,
            data_version=record,
            manifest_uri=s3_uri(self._artifacts, run_key),
            data_prefix=f"s3://{bucket}/",
            data_objects=keys,
            hyperparameters=hyperparameters,
            job_name=name,
            output_uri=s3_uri(self._artifacts, model_output_prefix(request.dataset)),
            checkpoint_uri=s3_uri(self._artifacts, checkpoint_prefix(name)),
            evaluation_prefix=evaluation_uri_prefix,
            evaluation_uri=f"{evaluation_uri_prefix}/evaluation.json",
            champion_metrics=champion.metrics if champion else None,
            champion=champion,
            run_key=key,
            unchanged=existing is not None,
            existing=existing,
        )

    def _champion(self, dataset: str) -> Champion | None:
        try:
            serving = self._serving.current(dataset)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ChampionLookupError(f"cannot read what the {dataset} endpoint serves: {code}") from exc
        if serving is not None:
            return self._packages.champion_of(serving.model_package_arn)
        return self._packages.champion(names.model_package_group(self._config, dataset))

    def _existing(self, dataset: str, key: str) -> RegisteredRun | None:
        """The package registered for `key`, unless it was deleted since (then train again)."""
        registered = self._run_keys.registered(dataset, key)
        if registered is None:
            return None
        status = self._packages.approval_status(registered.model_package_arn)
        if status is None:
            return None
        return registered.model_copy(update={"approval_status": status})

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
