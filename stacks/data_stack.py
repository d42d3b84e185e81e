"""DataStack: the versioned data lake, the registry, the domain event bus and notifications."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from mlops import names
from mlops.config import ProjectConfig
from stacks.common import StackSettings
from stacks.constructs.encryption import EncryptionKey, EncryptionKeyProps
from stacks.constructs.events import DomainEvents, DomainEventsProps
from stacks.constructs.ingestion import Ingestion, IngestionProps
from stacks.constructs.notifications import Notifications, NotificationsProps
from stacks.constructs.registry import Registry, RegistryProps
from stacks.constructs.secure_bucket import (
    AccessLogBucket,
    AccessLogBucketProps,
    SecureBucket,
    SecureBucketProps,
)


def bucket_name(config: ProjectConfig, purpose: str, region: str) -> str:
    """Globally unique and predictable: other stacks and the CLI derive it from the config
    instead of importing it, so no cross-stack export pins the bucket."""
    return names.bucket(config, purpose, Aws.ACCOUNT_ID, region)


@dataclass(frozen=True, kw_only=True)
class DataStackProps:
    config: ProjectConfig
    removal_policy: RemovalPolicy
    build_root: Path


class DataStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, props: DataStackProps, stack: StackSettings) -> None:
        super().__init__(scope, id_, **stack.as_kwargs())
        config = props.config
        self.encryption = EncryptionKey(
            self,
            "Encryption",
            props=EncryptionKeyProps(
                alias=f"alias/{config.prefix}/data",
                description=f"{config.prefix}: data lake, registry, notifications and logs",
                removal_policy=props.removal_policy,
                service_principals=(f"logs.{self.region}.amazonaws.com",),
            ),
        )
        key = self.encryption.key
        self.data_lake_bucket_name = bucket_name(config, "data", self.region)
        self.access_logs = AccessLogBucket(
            self,
            "AccessLogs",
            props=AccessLogBucketProps(
                bucket_name=bucket_name(config, "access-logs", self.region),
                removal_policy=props.removal_policy,
                retention_days=config.data_lake.access_log_retention_days,
            ),
        ).bucket
        self.data_lake = SecureBucket(
            self,
            "DataLake",
            props=SecureBucketProps(
                bucket_name=self.data_lake_bucket_name,
                key=key,
                access_logs=self.access_logs,
                access_log_prefix="data-lake/",
                removal_policy=props.removal_policy,
                noncurrent_version_expiration_days=config.data_lake.noncurrent_version_expiration_days,
                event_bridge=True,
            ),
        ).bucket
        self.registry = Registry(
            self,
            "Registry",
            props=RegistryProps(table_name=names.registry_table(config), key=key, removal_policy=props.removal_policy),
        ).table
        self.events = DomainEvents(
            self,
            "DomainEvents",
            props=DomainEventsProps(bus_name=names.event_bus(config), source=names.event_source(config)),
        )
        self.notifications = Notifications(
            self,
            "Notifications",
            props=NotificationsProps(
                topic_name=names.notifications_topic(config), key=key, emails=config.notifications.emails
            ),
        ).topic

        self.ingestion = Ingestion(
            self,
            "Ingestion",
            props=IngestionProps(
                prefix=config.prefix,
                data_lake=self.data_lake,
                key=key,
                registry=self.registry,
                bus=self.events.bus,
                event_source=self.events.source,
                topic=self.notifications,
                lambda_settings=config.lambdas,
                config_json=config.to_json(),
                build_root=props.build_root,
                removal_policy=props.removal_policy,
            ),
        )

        CfnOutput(self, "IngestionStateMachineArn", value=self.ingestion.state_machine.state_machine_arn)
        CfnOutput(self, "DataBucketName", value=self.data_lake.bucket_name)
        CfnOutput(self, "RegistryTableName", value=self.registry.table_name)
        CfnOutput(self, "EventBusName", value=self.events.bus.event_bus_name)
        CfnOutput(self, "NotificationsTopicArn", value=self.notifications.topic_arn)
