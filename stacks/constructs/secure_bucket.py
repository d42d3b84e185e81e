"""S3 buckets that are secure by default: versioned, encrypted, TLS-only, private, logged."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class AccessLogBucketProps:
    bucket_name: str
    removal_policy: RemovalPolicy
    retention_days: int


class AccessLogBucket(Construct):
    """Target of S3 server access logs. S3 log delivery only supports SSE-S3 on the target
    bucket, so this one bucket uses S3-managed keys; it holds no user data."""

    def __init__(self, scope: Construct, id_: str, *, props: AccessLogBucketProps) -> None:
        super().__init__(scope, id_)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=props.bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=props.removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(props.retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the server-access-log target bucket; logging it to itself would loop.",
            )
        )


@dataclass(frozen=True, kw_only=True)
class SecureBucketProps:
    bucket_name: str
    key: kms.IKey
    access_logs: s3.IBucket
    access_log_prefix: str
    removal_policy: RemovalPolicy
    noncurrent_version_expiration_days: int
    #: deliver object-level events to EventBridge (native CloudFormation setting, no custom resource)
    event_bridge: bool = False


class SecureBucket(Construct):
    """A versioned, KMS-encrypted, TLS-only, non-public bucket with server access logs and a
    lifecycle for noncurrent versions. Object versions are the data lake's history, so the
    current version is never expired by lifecycle."""

    def __init__(self, scope: Construct, id_: str, *, props: SecureBucketProps) -> None:
        super().__init__(scope, id_)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=props.bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=props.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=props.access_logs,
            server_access_logs_prefix=props.access_log_prefix,
            removal_policy=props.removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(props.noncurrent_version_expiration_days),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )
        if props.event_bridge:
            # Bucket(event_bridge_enabled=True) would add a custom-resource Lambda; the native
            # NotificationConfiguration property does the same with nothing to run.
            cfn_bucket = self.bucket.node.default_child
            assert isinstance(cfn_bucket, s3.CfnBucket)
            cfn_bucket.add_property_override(
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
            )
