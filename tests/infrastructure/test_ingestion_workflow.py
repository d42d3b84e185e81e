"""The ingestion state machine: its definition, its trigger and its permissions."""

import json
from typing import Any

from aws_cdk.assertions import Match

from tests.infrastructure import references
from tests.infrastructure.conftest import Synthesized


def definition(synth: Synthesized) -> dict[str, Any]:
    template = synth.template(synth.stacks.data)
    [machine] = template.find_resources("AWS::StepFunctions::StateMachine").values()
    body = machine["Properties"]["DefinitionString"]
    if isinstance(body, dict):  # Fn::Join of literal parts and tokens: keep the literal JSON
        body = "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1])
    return dict(json.loads(body))


def all_states(states: dict[str, Any]) -> dict[str, Any]:
    found = dict(states)
    for state in states.values():
        if "ItemProcessor" in state:
            found |= all_states(state["ItemProcessor"]["States"])
    return found


def test_every_task_retries_transient_errors_and_is_caught(dev: Synthesized) -> None:
    states = all_states(definition(dev)["States"])
    tasks = {name: s for name, s in states.items() if s["Type"] == "Task"}
    assert {"PlanUpload", "ValidateObject", "Conclude", "NotifyRejected", "NotifyFailure"} <= set(tasks)
    for name, task in tasks.items():
        if (
            task["Resource"].endswith(":lambda:invoke")
            or ":function:" in json.dumps(task["Resource"])
            or name
            in {
                "PlanUpload",
                "ValidateObject",
                "Conclude",
            }
        ):
            assert any("Lambda.ServiceException" in r["ErrorEquals"] for r in task.get("Retry", [])), name
        if name not in {"NotifyFailure", "ValidateObject"}:  # map items are caught by the Map state
            assert task["Catch"][0]["ErrorEquals"] == ["States.ALL"], name
            assert task["Catch"][0]["Next"] == "NotifyFailure", name


def test_task_parameters_are_objects_never_a_bare_path_string(dev: Synthesized) -> None:
    """A string `Parameters` (what CDK renders for payload=from_json_path_at with
    payload_response_only, aws/aws-cdk#34260) is passed to the function literally."""
    for name, state in all_states(definition(dev)["States"]).items():
        if "Parameters" in state:
            assert isinstance(state["Parameters"], dict), name


def test_objects_are_validated_by_a_distributed_map(dev: Synthesized) -> None:
    states = definition(dev)["States"]
    validate = states["ValidateObjects"]
    assert validate["Type"] == "Map"
    assert validate["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert validate["ItemsPath"] == "$.plan.items"
    assert validate["MaxConcurrency"] >= 1
    assert states["Verdict"]["Type"] == "Choice"
    assert states["IngestionFailed"]["Type"] == "Fail"


def test_the_failure_path_never_raises_a_reserved_error_name(dev: Synthesized) -> None:
    states = definition(dev)["States"]
    assert states["NotifyFailure"]["Next"] == "ReservedErrorName"
    choice = states["ReservedErrorName"]
    assert choice["Choices"] == [
        {"Variable": "$.failure.Error", "StringMatches": "States.*", "Next": "NameReservedError"}
    ]
    assert choice["Default"] == "IngestionFailed"
    renamed = states["NameReservedError"]
    assert renamed["Parameters"]["Error"] == "Mlops.IngestionFailed" and renamed["ResultPath"] == "$.failure"
    assert renamed["Next"] == "IngestionFailed"
    assert states["IngestionFailed"] == {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}


def test_state_machine_has_timeout_tracing_and_full_logging(dev: Synthesized) -> None:
    assert definition(dev)["TimeoutSeconds"] == 7200
    dev.template(dev.stacks.data).has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": True}),
        },
    )


def test_uploads_under_incoming_start_the_ingestion(dev: Synthesized) -> None:
    dev.template(dev.stacks.data).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": Match.any_value()}, "object": {"key": [{"prefix": "incoming/"}]}},
            },
            "Targets": [
                Match.object_like({"RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 86400}})
            ],
        },
    )


def test_only_the_conclude_function_writes_the_registry_and_the_bus(dev: Synthesized) -> None:
    template = dev.template(dev.stacks.data).to_json()
    writers: set[str] = set()
    for policy in references.resources(template, "AWS::IAM::Policy").values():
        granted = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in references.actions(s)}
        if {"dynamodb:PutItem", "events:PutEvents"} & granted:
            writers.update(references.referenced_id(role) for role in policy["Properties"]["Roles"])
    assert writers == {references.function_role(template, "functions.ingest_conclude.handler.handler")}


def test_the_state_machine_can_use_the_topic_key_it_publishes_with(dev: Synthesized) -> None:
    template = dev.template(dev.stacks.data).to_json()
    statements = references.statements_of_role(template, references.state_machine_role(template))
    granted = {action for statement in statements for action in references.actions(statement)}
    assert {"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"} <= granted
    # ... on the key the topic is encrypted with, not on some other key
    _, topic = references.only(references.resources(template, "AWS::SNS::Topic"), "topic")
    key = topic["Properties"]["KmsMasterKeyId"]
    assert any(
        "kms:GenerateDataKey" in references.actions(statement) and key in _as_list(statement["Resource"])
        for statement in statements
    ), key


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
