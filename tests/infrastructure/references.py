"""Find resources in a synthesized template by what they are and by the references between them,
never by their logical ids (CDK derives those from construct paths plus a hash: renaming a
construct would break a test that matched them, and a test that matched a fragment such as
"TrainingRole" would also pick up "TrainingRoleCleanup" or whatever comes next).

A function is found by its handler, a role by the service that assumes it or by the resource
that uses it, a policy by the roles it is attached to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Template = Mapping[str, Any]


def resources(template: Template, type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def referenced_id(reference: Any, attribute: str = "Arn") -> str:
    """The logical id a `{"Fn::GetAtt": [id, attribute]}` or `{"Ref": id}` points at."""
    if isinstance(reference, dict) and "Fn::GetAtt" in reference:
        logical_id, got = reference["Fn::GetAtt"]
        assert got == attribute, reference
        return str(logical_id)
    if isinstance(reference, dict) and "Ref" in reference:
        return str(reference["Ref"])
    raise AssertionError(f"not a reference to a resource in this template: {reference!r}")


def only(found: dict[str, dict[str, Any]], what: str) -> tuple[str, dict[str, Any]]:
    assert len(found) == 1, f"expected exactly one {what}, found {sorted(found)}"
    [(logical_id, resource)] = found.items()
    return logical_id, resource


def function(template: Template, handler: str) -> tuple[str, dict[str, Any]]:
    """The one Lambda function whose `Handler` is `handler` (`functions.x.handler.handler`)."""
    functions = resources(template, "AWS::Lambda::Function")
    found = {k: v for k, v in functions.items() if v["Properties"]["Handler"] == handler}
    return only(found, f"function with handler {handler}")


def function_role(template: Template, handler: str) -> str:
    _, resource = function(template, handler)
    return referenced_id(resource["Properties"]["Role"])


def state_machine(template: Template) -> tuple[str, dict[str, Any]]:
    return only(resources(template, "AWS::StepFunctions::StateMachine"), "state machine")


def state_machine_role(template: Template) -> str:
    _, resource = state_machine(template)
    return referenced_id(resource["Properties"]["RoleArn"])


def service_role(template: Template, service: str) -> str:
    """The one role that `service` (e.g. `sagemaker.amazonaws.com`) may assume."""

    def assumed_by(role: dict[str, Any]) -> set[str]:
        principals: set[str] = set()
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            services = statement.get("Principal", {}).get("Service", [])
            principals.update(services if isinstance(services, list) else [services])
        return principals

    found = {k: v for k, v in resources(template, "AWS::IAM::Role").items() if service in assumed_by(v)}
    logical_id, _ = only(found, f"role assumed by {service}")
    return logical_id


def statements_of_role(template: Template, role_id: str) -> list[dict[str, Any]]:
    """Every policy statement that applies to the role: its inline policies and each
    AWS::IAM::Policy attached to it. Fails when there is none (the role was not found)."""
    assert role_id in resources(template, "AWS::IAM::Role"), f"{role_id} is not a role of this template"
    found: list[dict[str, Any]] = []
    for policy in template["Resources"][role_id]["Properties"].get("Policies", []):
        found.extend(policy["PolicyDocument"]["Statement"])
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    assert found, f"no policy statement applies to role {role_id}"
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]
