"""Builds the training pipeline's adapters from a handler's environment, at call time."""

from __future__ import annotations

import functools

import boto3
from pydantic import BaseModel

from mlops import names, runtime
from mlops.adapters.s3 import ObjectStore
from mlops.pipeline.records import RunRecords
from mlops.pipeline.resolve import RunResolver
from mlops.registry.data_versions import DataVersionRegistry
from mlops.registry.model_packages import ModelPackages
from mlops.serving.history import DeploymentHistory


class ResolveSettings(BaseModel):
    registry_table: str
    artifacts_bucket: str


@functools.cache
def resolver() -> RunResolver:
    settings = runtime.settings(ResolveSettings)
    return RunResolver(
        runtime.packaged_config(),
        DataVersionRegistry(boto3.client("dynamodb"), settings.registry_table),
        ObjectStore(boto3.client("s3")),
        settings.artifacts_bucket,
        model_packages(),
        RunRecords(boto3.client("dynamodb"), settings.registry_table),
        DeploymentHistory(boto3.client("dynamodb"), settings.registry_table),
    )


@functools.cache
def object_store() -> ObjectStore:
    return ObjectStore(boto3.client("s3"))


@functools.cache
def model_packages() -> ModelPackages:
    return ModelPackages(boto3.client("sagemaker"))


def model_package_group(dataset: str) -> str:
    return names.model_package_group(runtime.packaged_config(), dataset)


class RecordSettings(BaseModel):
    registry_table: str


@functools.cache
def run_records() -> RunRecords:
    return RunRecords(boto3.client("dynamodb"), runtime.settings(RecordSettings).registry_table)
