"""The registry: one DynamoDB table holding data versions, pipeline runs and deployments.

Single-table layout (keys are strings):
  pk = "DATASET#<name>"      sk = "VERSION#<content-hash>"   a data version (immutable)
  pk = "DATASET#<name>"      sk = "SEQ#<000001>"             the sequence name -> content hash
  pk = "RUN#<execution>"     sk = "RUN"                      a pipeline run
  pk = "MODEL#<name>"        sk = "DEPLOY#<timestamp>"       a deployment
GSI1 (gsi1pk, gsi1sk) lists items by kind and time, e.g. every run of a dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct


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
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(props.key),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=props.removal_policy == RemovalPolicy.RETAIN,
            removal_policy=props.removal_policy,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name="gsi1",
                    partition_key=dynamodb.Attribute(name="gsi1pk", type=dynamodb.AttributeType.STRING),
                    sort_key=dynamodb.Attribute(name="gsi1sk", type=dynamodb.AttributeType.STRING),
                )
            ],
        )
