"""CloudFormation resource types our stacks use that moto 5.2.5 does not know.

moto accepts an unknown type with a warning and creates nothing, so the stack "succeeds"
without the resource. Added here (local runtime only; the templates are never changed):

- `AWS::DynamoDB::GlobalTable` (what CDK's `TableV2` synthesizes): created as a regional
  table from the global table's schema and the replica of the stack's region: point-in-time
  recovery, SSE with the replica's key, tags, deletion protection, TTL.
- `AWS::SageMaker::ModelPackageGroup`: created through moto's SageMaker backend (Ref and
  `ModelPackageGroupArn` give the ARN, as on AWS).
- `AWS::SNS::Subscription`: created through moto's SNS backend.

Still skipped, as moto does: `AWS::S3::BucketPolicy` and `AWS::SNS::TopicPolicy` (moto does
not enforce resource policies unless IAM checks are switched on); `mlops local up` lists
them as "not emulated".
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from mlops.local.plugins._contract import MotoContractError, require


def install() -> None:
    parsing = require("moto.cloudformation.parsing", "get_model_list")
    # The model registry is built once from CloudFormationModel's direct subclasses and
    # cached; the classes below are such subclasses, so drop the cache to let them in.
    for cached in ("get_model_list", "get_model_map", "get_name_type_map"):
        require("moto.cloudformation.parsing", f"{cached}.cache_clear")()
    registered = {model.cloudformation_type() for model in parsing()}
    missing = {m.cloudformation_type() for m in (GlobalTable, ModelPackageGroup, SnsSubscription)} - registered
    if missing:
        raise MotoContractError(f"moto's CloudFormation registry did not pick up {sorted(missing)}")


class _Model:
    """What every model below shares: ready as soon as it is created."""

    logical_resource_id: str
    cf_resource_type: str

    def is_created(self) -> bool:
        return True


# --------------------------------------------------------------------------------------------
# DynamoDB global table -> regional table


class GlobalTable(_Model, CloudFormationModel):
    def __init__(self, table_name: str, arn: str, account_id: str, region_name: str) -> None:
        self.table_name = table_name
        self.arn = arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "TableName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::DynamoDB::GlobalTable"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in {"Arn", "StreamArn", "TableId"}

    @property
    def physical_resource_id(self) -> str:
        return self.table_name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        table = _dynamodb(self.account_id, self.region_name).get_table(self.table_name)
        if attribute_name == "Arn":
            return self.arn
        if attribute_name == "StreamArn":
            return table.describe()["TableDescription"].get("LatestStreamArn")
        if attribute_name == "TableId":
            return table.describe()["TableDescription"].get("TableId", self.table_name)
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> GlobalTable:
        properties = cloudformation_json["Properties"]
        replica: dict[str, Any] = next(
            (r for r in properties.get("Replicas", []) if r.get("Region") == region_name),
            {},
        )
        sse = properties.get("SSESpecification") or {}
        sse_specification = None
        if sse.get("SSEEnabled"):
            sse_specification = {"Enabled": True, "SSEType": sse.get("SSEType", "KMS")}
            key = (replica.get("SSESpecification") or {}).get("KMSMasterKeyId")
            if key:
                sse_specification["KMSMasterKeyId"] = key
        stream = properties.get("StreamSpecification")
        backend = _dynamodb(account_id, region_name)
        table = backend.create_table(
            name=resource_name,
            schema=properties["KeySchema"],
            throughput=None,
            attr=properties.get("AttributeDefinitions", []),
            global_indexes=properties.get("GlobalSecondaryIndexes", []),
            indexes=properties.get("LocalSecondaryIndexes", []),
            streams={"StreamEnabled": True, **stream} if stream else None,
            billing_mode="PAY_PER_REQUEST" if properties.get("BillingMode") == "PAY_PER_REQUEST" else "PROVISIONED",
            sse_specification=sse_specification,
            tags=replica.get("Tags", []),
            deletion_protection_enabled=replica.get("DeletionProtectionEnabled", False),
            warm_throughput=None,
        )
        cls._apply_replica_settings(backend, resource_name, properties, replica)
        return cls(resource_name, table.table_arn, account_id, region_name)

    @staticmethod
    def _apply_replica_settings(backend: Any, name: str, properties: dict[str, Any], replica: dict[str, Any]) -> None:
        pitr = (replica.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled", False)
        backend.update_continuous_backups(name, {"PointInTimeRecoveryEnabled": bool(pitr)})
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            backend.update_time_to_live(name, {"Enabled": True, "AttributeName": ttl["AttributeName"]})

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: GlobalTable,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> GlobalTable:
        if new_resource_name == original_resource.table_name:
            properties = cloudformation_json["Properties"]
            replica: dict[str, Any] = next(
                (r for r in properties.get("Replicas", []) if r.get("Region") == region_name), {}
            )
            cls._apply_replica_settings(_dynamodb(account_id, region_name), new_resource_name, properties, replica)
            return original_resource
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        _dynamodb(account_id, region_name).delete_table(name=resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        _dynamodb(account_id, region_name).delete_table(name=self.table_name)


def _dynamodb(account_id: str, region_name: str) -> Any:
    return require("moto.dynamodb.models", "dynamodb_backends")[account_id][region_name]


# --------------------------------------------------------------------------------------------
# SageMaker model package group


class ModelPackageGroup(_Model, CloudFormationModel):
    def __init__(self, name: str, arn: str) -> None:
        self.name = name
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ModelPackageGroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::ModelPackageGroup"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in {"ModelPackageGroupArn", "ModelPackageGroupStatus", "CreationTime"}

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "ModelPackageGroupArn":
            return self.arn
        if attribute_name == "ModelPackageGroupStatus":
            return "Completed"
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> ModelPackageGroup:
        properties = cloudformation_json.get("Properties", {})
        arn = _sagemaker(account_id, region_name).create_model_package_group(
            model_package_group_name=resource_name,
            model_package_group_description=properties.get("ModelPackageGroupDescription", ""),
            tags=properties.get("Tags", []),
        )
        return cls(resource_name, str(arn))

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: ModelPackageGroup,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> ModelPackageGroup:
        if new_resource_name == original_resource.name:
            return original_resource
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        _sagemaker(account_id, region_name).model_package_groups.pop(resource_name, None)

    def delete(self, account_id: str, region_name: str) -> None:
        _sagemaker(account_id, region_name).model_package_groups.pop(self.name, None)


def _sagemaker(account_id: str, region_name: str) -> Any:
    return require("moto.sagemaker.models", "sagemaker_backends")[account_id][region_name]


# --------------------------------------------------------------------------------------------
# SNS subscription


class SnsSubscription(_Model, CloudFormationModel):
    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> SnsSubscription:
        properties = cloudformation_json["Properties"]
        topic_arn = properties["TopicArn"]
        # A topic may live in another region; moto keeps one backend per region.
        backend = _sns(account_id, topic_arn.split(":")[3] or region_name)
        subscription = backend.subscribe(topic_arn, properties.get("Endpoint", ""), properties["Protocol"])
        for name in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy"):
            if name in properties:
                value = properties[name]
                backend.set_subscription_attributes(
                    subscription.arn, name, value if isinstance(value, str) else _json(value)
                )
        return cls(subscription.arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: SnsSubscription,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> SnsSubscription:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Nothing to find by name: a subscription is deleted through its instance."""

    def delete(self, account_id: str, region_name: str) -> None:
        _sns(account_id, self.arn.split(":")[3] or region_name).unsubscribe(self.arn)


def _sns(account_id: str, region_name: str) -> Any:
    return require("moto.sns.models", "sns_backends")[account_id][region_name]


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
