"""The registry table: one single-table design for data versions, run records and (with
serving) deployments. Its keys and indexes are spelled once, in mlops/registry/keys.py."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from mlops.registry import keys


@dataclass(frozen=True, kw_only=True)
class RegistryProps:
    table_name: str
    key: kms.IKey
    removal_policy: RemovalPolicy


class Registry(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: RegistryProps) -> None:
        super().__init__(scope, id_)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=props.table_name,
            partition_key=dynamodb.Attribute(name=keys.PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=keys.SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(props.key),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=props.removal_policy == RemovalPolicy.RETAIN,
            removal_policy=props.removal_policy,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=keys.RUNS_INDEX,
                    partition_key=dynamodb.Attribute(
                        name=keys.RUNS_INDEX_PARTITION_KEY, type=dynamodb.AttributeType.STRING
                    ),
                    sort_key=dynamodb.Attribute(name=keys.RUNS_INDEX_SORT_KEY, type=dynamodb.AttributeType.STRING),
                )
            ],
        )
