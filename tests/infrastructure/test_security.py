"""Security properties every stack must hold, asserted on resource types and properties."""

from pathlib import Path
from typing import Any

import yaml
from aws_cdk.assertions import Match

from tests.infrastructure.conftest import Synthesized

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops.yaml"

WRITE_VERBS = (
    "Put",
    "Delete",
    "Create",
    "Update",
    "Write",
    "Attach",
    "Detach",
    "Tag",
    "Untag",
    "Pass",
    "Start",
    "Send",
    "Publish",
    "Invoke",
    "Encrypt",
    "GenerateDataKey",
    "ReEncrypt",
    "Abort",
    "Restore",
)


def resources_of(synth: Synthesized, type_: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, template in synth.templates().items():
        for logical_id, resource in template.find_resources(type_).items():
            found.append((f"{name}/{logical_id}", dict(resource)))
    return found


def test_every_bucket_is_private_versioned_encrypted_and_tls_only(dev: Synthesized) -> None:
    buckets = resources_of(dev, "AWS::S3::Bucket")
    assert len(buckets) == 3  # access logs, data lake, artifacts
    for where, bucket in buckets:
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, where
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, where
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], where
    policies = resources_of(dev, "AWS::S3::BucketPolicy")
    assert len(policies) == len(buckets)
    for where, policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ), f"{where} does not deny plain HTTP"


def test_data_lake_uses_the_cmk_logs_access_and_expires_only_noncurrent_versions(dev: Synthesized) -> None:
    template = dev.template(dev.stacks.data)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": Match.any_value(),
                            },
                            "BucketKeyEnabled": True,
                        }
                    )
                ]
            },
            "LoggingConfiguration": {
                "DestinationBucketName": Match.any_value(),
                "LogFilePrefix": "data-lake/",
            },
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
            "LifecycleConfiguration": {
                "Rules": [
                    Match.object_like(
                        {
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": dev.config.data_lake.noncurrent_version_expiration_days
                            },
                            "Status": "Enabled",
                        }
                    )
                ]
            },
        },
    )
    for _, bucket in resources_of(dev, "AWS::S3::Bucket"):
        for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", []):
            if "ExpirationInDays" in rule:  # only the access-log bucket may expire current objects
                assert (
                    bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
                        "ServerSideEncryptionByDefault"
                    ]["SSEAlgorithm"]
                    == "AES256"
                )


def test_registry_table_is_on_demand_with_pitr_and_cmk(dev: Synthesized, prod: Synthesized) -> None:
    for synth, protected in ((dev, False), (prod, True)):
        synth.template(synth.stacks.data).has_resource_properties(
            "AWS::DynamoDB::GlobalTable",
            {
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
                "Replicas": [
                    Match.object_like(
                        {
                            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                            "SSESpecification": {"KMSMasterKeyId": Match.any_value()},
                            "DeletionProtectionEnabled": protected,
                        }
                    )
                ],
            },
        )


def test_topic_and_log_groups_are_encrypted(dev: Synthesized) -> None:
    dev.template(dev.stacks.data).has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    for where, group in resources_of(dev, "AWS::Logs::LogGroup"):
        assert "KmsKeyId" in group["Properties"], where
        assert "RetentionInDays" in group["Properties"], where


def _statements(synth: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"):
        for where, resource in resources_of(synth, type_):
            props = resource["Properties"]
            documents = [props.get("PolicyDocument")] + [p["PolicyDocument"] for p in props.get("Policies", [])]
            for document in filter(None, documents):
                out.extend((where, s) for s in document["Statement"])
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_statement_allows_every_action(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        for where, statement in _statements(synth):
            for action in _as_list(statement.get("Action", [])):
                assert action != "*" and not action.endswith(":*"), f"{where}: {action}"


def test_write_actions_never_target_every_resource(dev: Synthesized) -> None:
    # AWS requires "*" for these: they have no resource-level permissions.
    # (Step Functions' vended log delivery actions are documented as Resource "*" only.)
    resourceless = {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "cloudwatch:PutMetricData",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:PutResourcePolicy",
    }
    for where, statement in _statements(dev):
        if statement["Effect"] != "Allow" or "*" not in _as_list(statement.get("Resource", [])):
            continue
        for action in _as_list(statement["Action"]):
            verb = action.split(":", 1)[1]
            if verb.startswith(WRITE_VERBS):
                assert action in resourceless, f"{where}: {action} on Resource '*'"


def test_no_role_uses_a_managed_policy(dev: Synthesized) -> None:
    for where, role in resources_of(dev, "AWS::IAM::Role"):
        assert "ManagedPolicyArns" not in role["Properties"], where


def test_nothing_grants_object_deletion_in_the_data_lake(dev: Synthesized) -> None:
    for where, statement in _statements(dev):
        for action in _as_list(statement.get("Action", [])):
            assert not action.startswith("s3:Delete"), f"{where}: {action}"


def test_every_taggable_resource_carries_the_cost_allocation_tags(dev: Synthesized) -> None:
    # read from the config file itself, so a tag the config model drops or renames is caught
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    expected = {"project": raw["project"], "environment": "dev", "cost-center": raw["cost_center"]}
    checked = 0
    for name, template in dev.templates().items():
        for logical_id, resource in template.to_json()["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if tags is None:
                continue
            checked += 1
            as_dict = {t["Key"]: t["Value"] for t in tags} if isinstance(tags, list) else tags
            for key, value in expected.items():
                assert as_dict.get(key) == value, f"{name}/{logical_id} lacks tag {key}={value}"
    assert checked >= 8


def test_stateful_resources_are_retained_in_prod_and_destroyable_in_dev(dev: Synthesized, prod: Synthesized) -> None:
    for synth, policy in ((prod, "Retain"), (dev, "Delete")):
        for type_ in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::DynamoDB::GlobalTable"):
            for where, resource in resources_of(synth, type_):
                assert resource.get("DeletionPolicy") == policy, where
