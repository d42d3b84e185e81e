"""Least-privilege grants with exact actions.

The L2 `grant_read`/`grant_read_write` helpers add wildcard actions (`s3:GetObject*`,
`s3:DeleteObject*`, `kms:GenerateDataKey*` ...). These grant exactly what our flows call,
scoped to key prefixes, and never a delete: data-lake objects are never removed by us.
Object-level actions need object ARNs, i.e. `<bucket>/<prefix>*`; each such grant
acknowledges its own cdk-nag IAM5 finding with the prefix it is scoped to.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from stacks.nag import acknowledge_wildcard_resource


def grant_object_read(bucket: s3.IBucket, role: iam.Role, prefix: str) -> None:
    """Read objects (and specific versions of them) under `prefix`, and list that prefix."""
    objects = bucket.arn_for_objects(f"{prefix}*")
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
            ],
            resources=[objects],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket", "s3:ListBucketVersions"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )
    )
    acknowledge_wildcard_resource(
        role, objects, f"object reads are scoped to the '{prefix or '(whole bucket)'}' prefix"
    )


def grant_object_write(bucket: s3.IBucket, role: iam.Role, prefix: str) -> None:
    """Create objects under `prefix`; S3 versioning keeps every earlier version."""
    objects = bucket.arn_for_objects(f"{prefix}*")
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"], resources=[objects]
        )
    )
    acknowledge_wildcard_resource(
        role, objects, f"object writes (no deletes) are scoped to the '{prefix or '(whole bucket)'}' prefix"
    )


def grant_key_use(key: kms.IKey, role: iam.IRole, *, encrypt: bool) -> None:
    actions = ["kms:Decrypt", "kms:DescribeKey"]
    if encrypt:
        actions += ["kms:Encrypt", "kms:GenerateDataKey"]
    role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[key.key_arn]))
