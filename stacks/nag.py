"""Helpers for cdk-nag AwsSolutions acknowledgements. Each construct acknowledges its own
findings where it creates the resource, naming the resource and why.

Prefer fixing to acknowledging: each acknowledgement is something AWS itself requires or a
deliberate trade-off explained in its reason."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Aws, Fn, Stack, Validations
from aws_cdk import aws_stepfunctions as sfn
from constructs import IConstruct


def finding_resource(scope: IConstruct, value: str) -> str:
    """Render an ARN (which may hold tokens) the way cdk-nag names it in a finding id:
    `{"Ref": X}` -> `<X>`, `{"Fn::GetAtt": [X, Y]}` -> `<X.Y>`, `{"Fn::ImportValue": N}` -> `N`,
    `Fn::Join` concatenated."""
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
        if "Fn::ImportValue" in value:  # a typed resource of another stack: named by its export
            return _render(value["Fn::ImportValue"])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(_render(part) for part in parts)
        # other intrinsics (Fn::Select, Fn::Split, ...) appear verbatim as compact JSON
        return json.dumps(value, separators=(",", ":"))
    raise ValueError(f"cannot render {value!r} as a cdk-nag finding resource")


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge one AwsSolutions-IAM5 resource-wildcard finding on `scope` (and below)."""
    Validations.of(scope).acknowledge(
        Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{finding_resource(scope, resource)}]", reason=reason)
    )


def acknowledge_map_runs(machine: sfn.StateMachine) -> None:
    """A Distributed Map starts child executions of its own state machine: CDK grants that on
    execution ARNs built from the machine's name, which are wildcards by construction."""
    stack = Stack.of(machine)
    name = Fn.select(6, Fn.split(":", machine.state_machine_arn))
    base = f"arn:{Aws.PARTITION}:states:{stack.region}:{Aws.ACCOUNT_ID}:execution:{name}"
    for suffix in ("/*:*", ":*"):
        acknowledge_wildcard_resource(
            machine, base + suffix, "Distributed Map child executions of this state machine only"
        )
