"""Builds the batch inference steps' adapters from a handler's environment, at call time."""

from __future__ import annotations

import functools

import boto3
from pydantic import BaseModel

from mlops import runtime
from mlops.adapters.s3 import ObjectStore
from mlops.registry.data_versions import DataVersionRegistry
from mlops.serving.batch_adapters import BatchRecords, BatchResolver


class ResolveSettings(BaseModel):
    registry_table: str
    artifacts_bucket: str
    model_role_arn: str


class RecordSettings(BaseModel):
    artifacts_bucket: str


@functools.cache
def resolver() -> BatchResolver:
    settings = runtime.settings(ResolveSettings)
    s3 = boto3.client("s3")
    return BatchResolver(
        runtime.packaged_config(),
        DataVersionRegistry(boto3.client("dynamodb"), settings.registry_table),
        ObjectStore(s3),
        s3,
        boto3.client("sagemaker"),
        artifacts_bucket=settings.artifacts_bucket,
        model_role_arn=settings.model_role_arn,
    )


@functools.cache
def records() -> tuple[BatchRecords, str]:
    """The record store and the artifacts bucket it writes to."""
    s3 = boto3.client("s3")
    return BatchRecords(s3, ObjectStore(s3)), runtime.settings(RecordSettings).artifacts_bucket
