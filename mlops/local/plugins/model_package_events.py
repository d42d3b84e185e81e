"""SageMaker model registry events in the local cloud (moto 5.2.5), in the server process.

Gaps bridged (tests/integration/test_moto_contract.py guards every internal used):

1. SageMaker emits "SageMaker Model Package State Change" to the account's default event bus
   when a model package is created and when its approval status changes; moto emits nothing.
   `SageMakerModelBackend.create_model_package` and `update_model_package` are wrapped: after
   moto stored the change, the event goes to moto's EventBridge backend (so rules match it
   and their targets run, see plugins.flows), shaped as AWS documents it: `source`
   `aws.sagemaker`, `resources` [the package ARN], `detail` the package as DescribeModelPackage
   answers it (`ModelPackageGroupName`, `ModelPackageVersion`, `ModelPackageArn`,
   `ModelApprovalStatus`, `ModelPackageStatus`, `InferenceSpecification`, ...), timestamps as
   ISO-8601 strings. An update that leaves the approval status as it was emits nothing.
2. moto's `update_model_package` sets every field it is not given to None: approving a
   package (UpdateModelPackage with ModelApprovalStatus only) would erase its approval status
   on the next update, its approval description and its customer metadata (where our models
   keep their metrics and data version). As on SageMaker, fields an update does not name
   keep their values (`CustomerMetadataPropertiesToRemove` still removes).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from mlops.local.plugins._contract import require, run_once

logger = logging.getLogger("mlops.local")

DETAIL_TYPE = "SageMaker Model Package State Change"
SOURCE = "aws.sagemaker"
_SM = "moto.sagemaker.models"


@run_once
def install() -> None:
    backend = require(_SM, "SageMakerModelBackend")
    require(_SM, "ModelPackage.gen_response_object")
    require("moto.events.models", "events_backends")
    original_create = backend.create_model_package
    original_update = backend.update_model_package

    def create_model_package(self: Any, *args: Any, **kwargs: Any) -> str:
        arn: str = original_create(self, *args, **kwargs)
        emit(self, arn)
        return arn

    def update_model_package(
        self: Any,
        model_package_arn: str,
        model_approval_status: str | None,
        approval_description: str | None,
        customer_metadata_properties: dict[str, str] | None,
        customer_metadata_properties_to_remove: list[str],
        additional_inference_specifications_to_add: list[Any] | None,
    ) -> str:
        package = self.describe_model_package(model_package_arn)
        before = package.model_approval_status
        kept_description = package.approval_description
        kept_metadata = dict(package.customer_metadata_properties or {})
        if customer_metadata_properties is not None:
            kept_metadata |= customer_metadata_properties
        arn: str = original_update(
            self,
            model_package_arn,
            model_approval_status if model_approval_status is not None else before,
            approval_description if approval_description is not None else kept_description,
            kept_metadata,
            customer_metadata_properties_to_remove,
            additional_inference_specifications_to_add,
        )
        if package.model_approval_status != before:
            emit(self, arn)
        return arn

    backend.create_model_package = create_model_package
    backend.update_model_package = update_model_package


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def event_detail(package: Any) -> dict[str, Any]:
    """The event's `detail`: the package as DescribeModelPackage shows it, times as ISO strings."""
    detail: dict[str, Any] = _iso(package.gen_response_object())
    return detail


def emit(backend: Any, arn: str) -> None:
    """Put the state change event of package `arn` on the default bus (never failing the API call)."""
    from moto.events.models import events_backends

    try:
        package = backend.describe_model_package(arn)
        events_backends[backend.account_id][backend.region_name].put_events(
            [
                {
                    "Source": SOURCE,
                    "DetailType": DETAIL_TYPE,
                    "Resources": [arn],
                    "Detail": json.dumps(event_detail(package)),
                }
            ]
        )
    except Exception:  # EventBridge delivery is asynchronous on AWS: it never fails the API call
        logger.exception("emitting %s for %s failed", DETAIL_TYPE, arn)
