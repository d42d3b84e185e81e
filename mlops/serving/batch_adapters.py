"""What the batch inference steps ask AWS: the model package of a version, the SageMaker Model
made from it, the data version's objects and their headers, and where the record goes."""

from __future__ import annotations

import codecs
import csv
import zlib
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from mlops import names
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.data.errors import UnknownDatasetError
from mlops.ingest.manifest import Manifest
from mlops.layout import (
    batch_manifest_key,
    batch_predictions_prefix,
    batch_record_key,
    dataset_objects_prefix,
    s3_uri,
    split_s3_uri,
)
from mlops.registry.data_versions import DataVersionRegistry
from mlops.serving import naming
from mlops.serving.batch import (
    FORMATS,
    BatchInputError,
    BatchPlan,
    BatchRecord,
    BatchRequest,
    InputObject,
    ModelVersionNotFoundError,
    TransformPart,
    group_objects,
    input_layout,
    job_environment,
    sagemaker_manifest,
    transform_job_name,
)

#: how much of an object is read to find its header line
HEADER_BYTES = 64 * 1024


class ModelPackage(BaseModel):
    model_config = ConfigDict(frozen=True)

    arn: str
    version: int
    approval_status: str
    container: dict[str, Any]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class ModelPackages:
    """A dataset's model package versions, by number or the newest approved one."""

    def __init__(self, sagemaker: Any) -> None:
        self._sagemaker = sagemaker

    def _summaries(self, group: str, **filters: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"ModelPackageGroupName": group, "MaxResults": 100, **filters}
        while True:
            page = self._sagemaker.list_model_packages(**kwargs)
            found.extend(page.get("ModelPackageSummaryList") or [])
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]

    def find(self, group: str, version: int | None) -> ModelPackage:
        """Found by listing (the registry's own ARNs, never one built here)."""
        summaries = self._summaries(group, **({"ModelApprovalStatus": "Approved"} if version is None else {}))
        if version is None and not summaries:
            raise ModelVersionNotFoundError(f"model package group {group} has no approved version")
        if version is None:
            chosen = max(summaries, key=lambda s: int(s.get("ModelPackageVersion") or 0))
        else:
            matching = [s for s in summaries if int(s.get("ModelPackageVersion") or 0) == version]
            if not matching:
                raise ModelVersionNotFoundError(f"no model package version {version} in {group}")
            chosen = matching[0]
        described = self._sagemaker.describe_model_package(ModelPackageName=chosen["ModelPackageArn"])
        status = str(described.get("ModelApprovalStatus") or "")
        number = int(chosen["ModelPackageVersion"])
        if status == "Rejected":
            raise ModelVersionNotFoundError(f"model package {group}/{number} was rejected")
        [container, *_] = described["InferenceSpecification"]["Containers"]
        return ModelPackage(
            arn=str(described["ModelPackageArn"]), version=number, approval_status=status, container=container
        )


class SageMakerModels:
    def __init__(self, sagemaker: Any) -> None:
        self._sagemaker = sagemaker

    def exists(self, name: str) -> bool:
        try:
            self._sagemaker.describe_model(ModelName=name)
        except ClientError as exc:
            if _code(exc) in {"ValidationException", "ResourceNotFound"}:
                return False
            raise
        return True

    def ensure(self, name: str, role_arn: str, package: ModelPackage, tags: dict[str, str]) -> bool:
        """Create the model of one package version unless it exists; True when created here.
        The container is the package's (image, artifact, inference code), so the endpoint and
        batch transform of a version run the same thing whoever creates it first."""
        if self.exists(name):
            return False
        container = {
            k: package.container[k] for k in ("Image", "ModelDataUrl", "Environment") if k in package.container
        }
        try:
            self._sagemaker.create_model(
                ModelName=name,
                ExecutionRoleArn=role_arn,
                PrimaryContainer=container,
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            )
        except ClientError:
            if self.exists(name):  # created meanwhile by a deployment or another batch
                return False
            raise
        return True


def header_of(s3: Any, bucket: str, key: str) -> list[str]:
    """The first line of a CSV object (`.csv.gz` decompressed), read from its first bytes."""
    body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEADER_BYTES - 1}")["Body"].read()
    if key.lower().endswith(".gz"):
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body)
        except zlib.error as exc:
            raise BatchInputError(f"s3://{bucket}/{key} is not gzip: {exc}") from exc
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(body)
    line, newline, _ = text.partition("\n")
    if not newline and len(body) >= HEADER_BYTES:
        raise BatchInputError(f"s3://{bucket}/{key}: no header line within its first {HEADER_BYTES} bytes")
    return [cell.strip() for cell in next(csv.reader([line.rstrip("\r")]), [])]


class BatchResolver:
    def __init__(
        self,
        config: ProjectConfig,
        registry: DataVersionRegistry,
        store: ObjectStore,
        s3: Any,
        sagemaker: Any,
        *,
        artifacts_bucket: str,
        model_role_arn: str,
    ) -> None:
        self._config = config
        self._registry = registry
        self._store = store
        self._s3 = s3
        self._packages = ModelPackages(sagemaker)
        self._models = SageMakerModels(sagemaker)
        self._artifacts = artifacts_bucket
        self._model_role = model_role_arn

    def resolve(self, request: BatchRequest, batch_id: str) -> BatchPlan:
        config, dataset = self._config, request.dataset
        if dataset not in config.datasets:
            raise UnknownDatasetError(dataset, list(config.datasets))
        record = self._registry.resolve(dataset, request.data_version)
        bucket, key = split_s3_uri(record.manifest_uri)
        manifest = Manifest.model_validate(self._store.get_json(bucket, key))
        objects = []
        for item in manifest.objects:
            if not item.content_key:
                raise BatchInputError(
                    f"{record.ref} was recorded before content addressing: push the same file again to store "
                    "its content-addressed copy"
                )
            objects.append(InputObject(key=item.content_key, sha256=item.sha256, rows=item.rows, bytes=item.bytes))
        groups = group_objects(objects)
        headers = {
            o.key: header_of(self._s3, bucket, o.key) for name in ("csv", "csv-gz") for o in groups.get(name, [])
        }
        environment = job_environment(input_layout(headers))

        package = self._packages.find(names.model_package_group(config, dataset), request.model_version)
        model_name = naming.model(config.prefix, dataset, package.version)
        created = self._models.ensure(model_name, self._model_role, package, config.tags())

        input_prefix = s3_uri(bucket, dataset_objects_prefix(dataset))
        parts = []
        for name, members in groups.items():
            manifest_key = batch_manifest_key(dataset, batch_id, name)
            self._store.put_json(self._artifacts, manifest_key, sagemaker_manifest(input_prefix, members))
            parts.append(
                TransformPart(
                    name=name,
                    job_name=transform_job_name(config.prefix, batch_id, name),
                    manifest_uri=s3_uri(self._artifacts, manifest_key),
                    objects=members,
                    **FORMATS[name].model_dump(),
                )
            )
        return BatchPlan(
            batch_id=batch_id,
            dataset=dataset,
            data_version=record.name,
            data_version_id=record.version_id,
            data_manifest_uri=record.manifest_uri,
            model_version=package.version,
            model_package_arn=package.arn,
            model_name=model_name,
            model_created=created,
            input_prefix=input_prefix,
            output_uri=s3_uri(self._artifacts, batch_predictions_prefix(dataset, batch_id)),
            record_uri=s3_uri(self._artifacts, batch_record_key(dataset, batch_id)),
            environment=environment,
            parts=parts,
        )


class BatchRecords:
    """Records beside the predictions; what was written is listed, not assumed."""

    def __init__(self, s3: Any, store: ObjectStore) -> None:
        self._s3 = s3
        self._store = store

    def written(self, output_uri: str | None) -> set[str]:
        if not output_uri:
            return set()
        bucket, prefix = split_s3_uri(output_uri)
        found: set[str] = set()
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update(s3_uri(bucket, item["Key"]) for item in page.get("Contents", []))
        return found

    def put(self, record: BatchRecord, artifacts_bucket: str) -> str:
        key = batch_record_key(record.dataset, record.batch_id)
        self._store.put_json(artifacts_bucket, key, record.model_dump(mode="json"))
        return s3_uri(artifacts_bucket, key)

    def get(self, artifacts_bucket: str, dataset: str, batch_id: str) -> BatchRecord:
        return BatchRecord.model_validate(self._store.get_json(artifacts_bucket, batch_record_key(dataset, batch_id)))


def now() -> datetime:
    return datetime.now(UTC)
