"""Customer-managed KMS key for one bounded context."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class EncryptionKeyProps:
    alias: str
    description: str
    removal_policy: RemovalPolicy
    #: AWS service principals (e.g. "logs.us-east-1.amazonaws.com") that must use the key directly
    service_principals: tuple[str, ...] = ()


class EncryptionKey(Construct):
    """A rotating CMK; services that encrypt on their own behalf (CloudWatch Logs, SNS publishers)
    are granted through the key policy, everything else through IAM grants in the stacks."""

    def __init__(self, scope: Construct, id_: str, *, props: EncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        self.key = kms.Key(
            self,
            "Key",
            alias=props.alias,
            description=props.description,
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            pending_window=Duration.days(30),
            removal_policy=props.removal_policy,
        )
        for principal in props.service_principals:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Allow{principal.split('.')[0].capitalize()}",
                    principals=[iam.ServicePrincipal(principal)],
                    actions=[
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    resources=["*"],  # in a key policy "*" means this key
                )
            )
