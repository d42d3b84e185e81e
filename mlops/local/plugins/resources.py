"""moto 5.2.5 CloudFormation resource models that mishandle properties our stacks use.

Gaps bridged here (local runtime only; the templates are never changed):

- `AWS::S3::Bucket` applies only `BucketEncryption` and `Tags`. Also applied here:
  `VersioningConfiguration` (data versions pin S3 VersionIds), `PublicAccessBlockConfiguration`,
  `OwnershipControls`, `NotificationConfiguration.EventBridgeConfiguration` (moto then sends
  object events to EventBridge) and `LoggingConfiguration` (recorded as set: the permission
  for log delivery comes from a bucket policy, which moto does not model), on creation and
  on update. (`flows` applies some of these on creation too; applying twice is harmless.)
- `AWS::Lambda::Function` drops `Layers`, `Architectures`, `TracingConfig`, `KmsKeyArn` and
  `Tags` on creation (its update path keeps them). They are applied here, so a deployed
  function describes itself as on AWS. Layers are resolved like `CreateFunction` resolves
  them, by name and version in the function's own account; `mlops.local.layers` seeds the
  AWS-managed layers that the templates reference.
- `AWS::Events::Archive` with an `EventPattern` fails: moto's model passes the template's
  JSON object where its backend expects the API's JSON string (its `AWS::Events::Rule`
  model converts; the archive's does not).
- `Ref` of an `AWS::Events::EventBus` or `AWS::Events::Archive` yields moto's model object
  instead of the name (the models have no `physical_resource_id`), which then breaks every
  consumer, e.g. a Lambda environment variable (GetFunction answers HTTP 500). Both get
  their name as physical id, as on AWS.
- `AWS::KMS::Key` with `Tags` fails: moto's CloudFormation model hands the template's
  `Key`/`Value` tags to a tagger that expects the API's `TagKey`/`TagValue`.

Resource types moto lacks are added in `resource_types`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from mlops.local.plugins._contract import require


def install() -> None:
    _fix_kms_key_tags()
    _complete_s3_buckets()
    _complete_lambda_functions()
    _fix_archive_event_pattern()
    _name_as_physical_id("moto.events.models", "EventBus")
    _name_as_physical_id("moto.events.models", "Archive")


def _fix_kms_key_tags() -> None:
    key_class = require("moto.kms.models", "Key")
    original = require("moto.kms.models", "Key.create_from_cloudformation_json").__func__

    @functools.wraps(original)
    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties", {}))
        tags = properties.get("Tags") or []
        properties["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} for tag in tags]
        return original(cls, resource_name, {**cloudformation_json, "Properties": properties}, *args, **kwargs)

    key_class.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _complete_s3_buckets() -> None:
    bucket_class = require("moto.s3.models", "FakeBucket")
    for method in ("create_from_cloudformation_json", "update_from_cloudformation_json"):
        original = require("moto.s3.models", f"FakeBucket.{method}").__func__
        # create(name, cloudformation_json, account, ...), update(original, new name, cloudformation_json, account, ...)
        position = 1 if method.startswith("create") else 2
        setattr(bucket_class, method, classmethod(_with_bucket_properties(original, position)))


def _with_bucket_properties(original: Callable[..., Any], position: int) -> Callable[..., Any]:
    @functools.wraps(original)
    def patched(cls: Any, *args: Any, **kwargs: Any) -> Any:
        bucket = original(cls, *args, **kwargs)
        cloudformation_json, account_id = args[position], args[position + 1]
        _apply_bucket_properties(bucket, cloudformation_json.get("Properties", {}), account_id)
        return bucket

    return patched


def _apply_bucket_properties(bucket: Any, properties: dict[str, Any], account_id: str) -> None:
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    backend = s3_backends[account_id][get_partition(bucket.region_name)]
    name = bucket.name
    versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        backend.put_bucket_versioning(name, versioning)
    if properties.get("PublicAccessBlockConfiguration"):
        backend.put_public_access_block(name, properties["PublicAccessBlockConfiguration"])
    ownership_rules = (properties.get("OwnershipControls") or {}).get("Rules") or []
    if ownership_rules:
        backend.put_bucket_ownership_controls(name, ownership_rules[0]["ObjectOwnership"])
    event_bridge = (properties.get("NotificationConfiguration") or {}).get("EventBridgeConfiguration")
    if event_bridge and event_bridge.get("EventBridgeEnabled", True):
        backend.put_bucket_notification_configuration(name, {"EventBridgeConfiguration": {}})
    logging_configuration = properties.get("LoggingConfiguration")
    if logging_configuration and logging_configuration.get("DestinationBucketName"):
        bucket.logging = {
            "TargetBucket": logging_configuration["DestinationBucketName"],
            "TargetPrefix": logging_configuration.get("LogFilePrefix", ""),
        }


def _complete_lambda_functions() -> None:
    function_class = require("moto.awslambda.models", "LambdaFunction")
    original = require("moto.awslambda.models", "LambdaFunction.create_from_cloudformation_json").__func__

    def create_from_cloudformation_json(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        function = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        if properties.get("Layers"):
            try:
                function.layers = function._get_layers_data(properties["Layers"])
            except Exception:
                # As CreateFunction would: no function with unknown layers is left behind.
                function.delete(account_id, region_name)
                raise
        if properties.get("Architectures"):
            function.architectures = list(properties["Architectures"])
        if properties.get("TracingConfig"):
            function.tracing_config = dict(properties["TracingConfig"])
        if properties.get("KmsKeyArn"):
            function.kms_key_arn = properties["KmsKeyArn"]
        if properties.get("Tags"):
            function.tags = {tag["Key"]: tag["Value"] for tag in properties["Tags"]}
        return function

    function_class.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _name_as_physical_id(module_name: str, class_name: str) -> None:
    model = require(module_name, class_name)
    if "physical_resource_id" not in vars(model):
        model.physical_resource_id = property(lambda self: self.name)


def _fix_archive_event_pattern() -> None:
    archive_class = require("moto.events.models", "Archive")
    for method in ("create_from_cloudformation_json", "update_from_cloudformation_json"):
        original = require("moto.events.models", f"Archive.{method}").__func__
        # create(name, cloudformation_json, ...), update(original, new name, cloudformation_json, ...)
        position = 1 if method.startswith("create") else 2
        setattr(archive_class, method, classmethod(_with_json_event_pattern(original, position)))


def _with_json_event_pattern(original: Callable[..., Any], position: int) -> Callable[..., Any]:
    @functools.wraps(original)
    def patched(cls: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = list(args)
        properties = dict(arguments[position].get("Properties", {}))
        pattern = properties.get("EventPattern")
        if pattern is not None and not isinstance(pattern, str):
            properties["EventPattern"] = json.dumps(pattern)
        arguments[position] = {**arguments[position], "Properties": properties}
        return original(cls, *arguments, **kwargs)

    return patched
