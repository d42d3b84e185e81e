"""The notifications topic: KMS-encrypted, TLS-only, with the configured email subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class NotificationsProps:
    topic_name: str
    key: kms.IKey
    emails: Sequence[str]


class Notifications(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: NotificationsProps) -> None:
        super().__init__(scope, id_)
        self.topic = sns.Topic(self, "Topic", topic_name=props.topic_name, master_key=props.key, enforce_ssl=True)
        # EventBridge and CloudWatch alarms publish as services: they need the key too.
        for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
            props.key.grant(iam.ServicePrincipal(service), "kms:Decrypt", "kms:GenerateDataKey*")
        for email in props.emails:
            self.topic.add_subscription(subs.EmailSubscription(email))
