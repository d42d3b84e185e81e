"""Training pipeline registration: a model that passed the gate becomes a model package version
with its metrics and full lineage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mlops.pipeline.gate import GateResult
from mlops.pipeline.resolve import TrainingRun
from mlops.registry.model_packages import ModelPackages

__all__ = ["ModelPackages", "RegisterRequest", "Registration", "TrainingResult", "model_package_request", "register"]


class TrainingResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    job_name: str
    model_uri: str
    billable_seconds: int | None = None
    training_seconds: int | None = None


class RegisterRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: TrainingRun
    training: TrainingResult
    gate: GateResult
    execution_id: str
    code_version: str
    image_uri: str
    source_dir_uri: str


class Registration(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_package_arn: str
    model_package_group: str
    approval_status: str


def model_package_request(
    request: RegisterRequest, group: str, approval: Literal["Approved", "PendingManualApproval"]
) -> dict[str, Any]:
    """CreateModelPackage arguments. The client token is the execution id: a retried
    registration returns the same package instead of registering the model twice."""
    run = request.run
    metadata: Mapping[str, str] = {
        "data_version": run.data_version.name,
        "data_version_id": run.data_version.version_id,
        "data_manifest_uri": run.data_version.manifest_uri,
        "dataset": run.dataset,
        "code_version": request.code_version,
        "execution_id": request.execution_id,
        "training_job": request.training.job_name,
        "hyperparameters": json.dumps(run.hyperparameters, sort_keys=True),
        "run_key": run.run_key,
        "metrics": json.dumps(request.gate.metrics, sort_keys=True),
    }
    return {
        "ModelPackageGroupName": group,
        "ModelPackageDescription": f"{run.data_version.ref} by {request.training.job_name}",
        "ModelApprovalStatus": approval,
        "ClientToken": hashlib.sha256(request.execution_id.encode()).hexdigest()[:36],
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": request.image_uri,
                    "ModelDataUrl": request.training.model_uri,
                    "Environment": {
                        "SAGEMAKER_PROGRAM": "inference.py",
                        "SAGEMAKER_SUBMIT_DIRECTORY": request.source_dir_uri,
                    },
                }
            ],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["application/json", "text/csv"],
        },
        "ModelMetrics": {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": run.evaluation_uri}}
        },
        # metadata values are capped at 1024 characters
        "CustomerMetadataProperties": {key: value[:1024] for key, value in metadata.items()},
    }


def register(
    packages: ModelPackages,
    request: RegisterRequest,
    group: str,
    approval: Literal["Approved", "PendingManualApproval"],
) -> Registration:
    arn = packages.create(model_package_request(request, group, approval))
    return Registration(model_package_arn=arn, model_package_group=group, approval_status=approval)
