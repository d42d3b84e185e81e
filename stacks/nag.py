"""Every cdk-nag AwsSolutions acknowledgement in one place, each naming the resource and why.

Prefer fixing to acknowledging: each entry here is something AWS itself requires or a
deliberate trade-off explained in its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from stacks.app_builder import PlatformStacks


def acknowledge_findings(stacks: PlatformStacks) -> None:
    data = stacks.data
    Validations.of(data.access_logs).acknowledge(
        Acknowledgment(
            id="AwsSolutions-S1",
            reason="This is the server-access-log target bucket; logging it to itself would loop.",
        )
    )


def finding_resource(scope: IConstruct, value: str) -> str:
    """Render an ARN (which may hold tokens) the way cdk-nag names it in a finding id:
    `{"Ref": X}` -> `<X>`, `{"Fn::GetAtt": [X, Y]}` -> `<X.Y>`, `Fn::Join` concatenated."""
    return _render(Stack.of(scope).resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return f"<{logical_id}.{attribute}>"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as a cdk-nag finding resource")


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge one AwsSolutions-IAM5 resource-wildcard finding on `scope` (and below)."""
    Validations.of(scope).acknowledge(
        Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{finding_resource(scope, resource)}]", reason=reason)
    )
