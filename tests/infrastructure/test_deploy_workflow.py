"""The deploy workflow in the ServingStack: states, SageMaker parameters, IAM, alarms, triggers."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match

from mlops import names
from mlops.serving import deployment_plan, naming
from tests.infrastructure import references
from tests.infrastructure.conftest import Synthesized

DATASET = "breast-cancer"
SAGEMAKER = "arn:{'Ref':'AWS::Partition'}:states:::aws-sdk:sagemaker:"


def serving_template(synth: Synthesized) -> dict[str, Any]:
    return dict(synth.template(synth.stacks.serving).to_json())


def _literal(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":")).replace('"', "'")


def deploy_machine(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    machines = references.resources(serving_template(synth), "AWS::StepFunctions::StateMachine")
    name = names.deploy_state_machine(synth.config)
    return references.only(
        {k: v for k, v in machines.items() if v["Properties"].get("StateMachineName") == name}, "deploy workflow"
    )


def states(synth: Synthesized) -> dict[str, Any]:
    body = deploy_machine(synth)[1]["Properties"]["DefinitionString"]
    if isinstance(body, dict):
        body = "".join(_literal(p) for p in body["Fn::Join"][1])
    return dict(json.loads(body)["States"])


def machine_statements(synth: Synthesized) -> list[dict[str, Any]]:
    _, machine = deploy_machine(synth)
    role = references.referenced_id(machine["Properties"]["RoleArn"])
    return references.statements_of_role(serving_template(synth), role)


def test_the_workflow_resolves_creates_or_updates_polls_decides_records_and_notifies(dev: Synthesized) -> None:
    s = states(dev)
    assert s["Resolve"]["Next"] == "Duplicate"
    assert s["Duplicate"]["Choices"][0]["Next"] == "AlreadyDeployed" and s["Duplicate"]["Default"] == "ModelExists"
    assert (
        s["ModelExists"]["Choices"][0]["Next"] == "CreateModel"
        and s["ModelExists"]["Default"] == "CreateEndpointConfig"
    )
    assert s["CreateModel"]["Next"] == "CreateEndpointConfig" and s["CreateEndpointConfig"]["Next"] == "EndpointExists"
    assert s["EndpointExists"]["Choices"][0]["Next"] == "RollbackAlarms"
    assert s["EndpointExists"]["Default"] == "CreateEndpoint"
    for task in ("CreateEndpoint", "UpdateEndpoint"):
        assert s[task]["Next"] == "StartPolling"
    assert s["StartPolling"]["Next"] == "WaitForEndpoint" and s["WaitForEndpoint"]["Seconds"] == 30
    assert s["WaitForEndpoint"]["Next"] == "DescribeEndpoint" and s["DescribeEndpoint"]["Next"] == "CountPoll"
    assert s["CountPoll"]["Parameters"] == {"count.$": "States.MathAdd($.poll.count, 1)"}
    settled = s["EndpointSettled"]
    assert settled["Default"] == "WaitForEndpoint" and settled["Choices"][0]["Next"] == "DecideOutcome"
    conditions = settled["Choices"][0]["Or"]
    assert {c.get("StringEquals") for c in conditions} >= {"InService", "Failed", "UpdateRollbackFailed"}
    [limit] = [c["NumericGreaterThanEquals"] for c in conditions if "NumericGreaterThanEquals" in c]
    longest = deployment_plan.MAX_EXECUTION_TIMEOUT + deployment_plan.PROVISIONING_ALLOWANCE
    assert 0 < limit * 30 <= longest
    assert s["DecideOutcome"]["Next"] == "RecordOutcome" and s["RecordOutcome"]["Next"] == "NotifyOutcome"
    assert s["Deployed"]["Default"] == "NotDeployed"
    assert s["NotDeployed"] == {"Type": "Fail", "ErrorPath": "$.result.error", "CausePath": "$.result.cause"}


def test_every_task_is_caught_recorded_and_notified(dev: Synthesized) -> None:
    s = states(dev)
    tasks = {name: state for name, state in s.items() if state["Type"] == "Task"}
    for name, task in tasks.items():
        if name.startswith("Notify") or name == "RecordFailure":
            continue
        assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "RecordFailure"}], (
            name
        )
    assert s["RecordFailure"]["Next"] == "NotifyFailure"
    assert s["RecordFailure"]["Catch"][0]["Next"] == "DeploymentNotRecorded"
    assert s["NotifyFailure"]["Catch"][0]["Next"] == "DeploymentFailed"
    assert s["DeploymentFailed"]["ErrorPath"] == "$.result.error"
    record = s["RecordFailure"]["Parameters"]
    assert record.get("Payload", record)["path"] == "failed"


def test_sagemaker_calls_are_sdk_integrations_with_the_configured_endpoint_config(dev: Synthesized) -> None:
    s = states(dev)
    for task, action in (
        ("CreateModel", "createModel"),
        ("CreateEndpointConfig", "createEndpointConfig"),
        ("CreateEndpoint", "createEndpoint"),
        ("UpdateEndpoint", "updateEndpoint"),
        ("DescribeEndpoint", "describeEndpoint"),
    ):
        assert s[task]["Resource"] == SAGEMAKER + action
    config = s["CreateEndpointConfig"]["Parameters"]
    deployment = dev.config.deployment
    assert config["ProductionVariants"] == [
        {
            "VariantName": "AllTraffic",
            "ModelName.$": "$.plan.model_name",
            "InitialInstanceCount": deployment.instance_count,
            "InstanceType": deployment.instance_type,
            "InitialVariantWeight": 1,
        }
    ]
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 100
    destination = capture["DestinationS3Uri"]
    assert destination.startswith(f"s3://{dev.config.prefix}-artifacts-") and destination.endswith("/data-capture/")
    assert capture["KmsKeyId"] == config["KmsKeyId"] and "Encryption" in capture["KmsKeyId"]
    assert s["CreateModel"]["Parameters"]["PrimaryContainer.$"] == "$.plan.container"
    assert s["UpdateEndpoint"]["Parameters"]["DeploymentConfig.$"] == "$.deployment_config"


def test_the_update_names_the_datasets_alarms_and_a_precomputed_config_per_strategy(dev: Synthesized) -> None:
    s = states(dev)
    alarms = s["RollbackAlarms"]
    [choice] = alarms["Choices"]
    assert choice == {"Variable": "$.plan.dataset", "StringEquals": DATASET, "Next": f"AlarmsOf-{DATASET}"}
    expected = [{"AlarmName": naming.alarm(dev.config.prefix, DATASET, a.metric)} for a in dev.config.deployment.alarms]
    assert s[f"AlarmsOf-{DATASET}"]["Result"] == expected
    strategy = s["DeploymentStrategy"]
    assert {c["StringEquals"]: c["Next"] for c in strategy["Choices"]} == {
        "canary": "CanaryConfig",
        "linear": "LinearConfig",
        "all_at_once": "AllAtOnceConfig",
    }
    canary = s["CanaryConfig"]["Parameters"]
    assert canary["AutoRollbackConfiguration"] == {"Alarms.$": "$.rollback_alarms"}
    routing = canary["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": dev.config.deployment.bake_time_seconds,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": dev.config.deployment.canary_size_percent},
    }
    assert s["AllAtOnceConfig"]["Parameters"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == (
        "ALL_AT_ONCE"
    )


def _sagemaker_resources(statements: list[dict[str, Any]]) -> list[str]:
    found = []
    for statement in statements:
        if any(a.lower().startswith("sagemaker:") for a in references.actions(statement)):
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found += [_joined(r) for r in resources]
    return found


def _joined(value: Any) -> str:
    """An ARN with `Fn::Join` parts concatenated (tokens rendered inline)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_joined(part) for part in parts)
    return _literal(value)


def test_the_workflow_passes_only_the_model_role_and_touches_only_its_datasets_resources(dev: Synthesized) -> None:
    statements = machine_statements(dev)
    passing = [s for s in statements if "iam:PassRole" in references.actions(s)]
    [statement] = passing
    template = serving_template(dev)
    model_role = references.service_role(template, "sagemaker.amazonaws.com")
    assert statement["Resource"] == {"Fn::GetAtt": [model_role, "Arn"]}
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    base = f"{dev.config.prefix}-{DATASET}"
    allowed = {f":model/{base}-v*", f":endpoint-config/{base}-v*", f":endpoint/{base}"}
    resources = _sagemaker_resources(statements)
    assert resources and all(any(r.endswith(tail) for tail in allowed) for r in resources), resources
    actions = {a.lower() for s in statements for a in references.actions(s) if a.lower().startswith("sagemaker:")}
    assert actions == {
        "sagemaker:createmodel",
        "sagemaker:createendpointconfig",
        "sagemaker:createendpoint",
        "sagemaker:updateendpoint",
        "sagemaker:describeendpoint",
        "sagemaker:addtags",
    }
    alarms = [s for s in statements if "cloudwatch:DescribeAlarms" in references.actions(s)]
    [guardrails] = alarms
    assert len(guardrails["Resource"]) == len(dev.config.deployment.alarms)
    assert all("Fn::GetAtt" in r for r in guardrails["Resource"])


def test_the_resolve_function_reads_only_its_groups_models_and_endpoint(dev: Synthesized) -> None:
    template = serving_template(dev)
    role = references.function_role(template, "functions.serving_resolve.handler.handler")
    statements = references.statements_of_role(template, role)
    sagemaker = {a for s in statements for a in references.actions(s) if a.startswith("sagemaker:")}
    assert sagemaker == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:DescribeModel",
        "sagemaker:DescribeEndpoint",
    }
    assert not any(a.startswith("iam:") for s in statements for a in references.actions(s))


def test_one_alarm_per_configured_metric_on_the_datasets_endpoint_variant(dev: Synthesized) -> None:
    template = dev.template(dev.stacks.serving)
    configured = dev.config.deployment.alarms
    template.resource_count_is("AWS::CloudWatch::Alarm", len(configured) * len(dev.config.datasets))
    for alarm in configured:
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmName": naming.alarm(dev.config.prefix, DATASET, alarm.metric),
                "Namespace": "AWS/SageMaker",
                "MetricName": alarm.metric,
                "Dimensions": Match.array_with(
                    [
                        {"Name": "EndpointName", "Value": naming.endpoint(dev.config.prefix, DATASET)},
                        {"Name": "VariantName", "Value": "AllTraffic"},
                    ]
                ),
                "Threshold": alarm.threshold,
                "EvaluationPeriods": alarm.evaluation_periods,
                "Period": alarm.period_seconds,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
            },
        )


def test_an_approved_package_of_the_dataset_starts_the_workflow(dev: Synthesized, prod: Synthesized) -> None:
    for synth, trigger in ((dev, "registration"), (prod, "approval")):
        template = synth.template(synth.stacks.serving)
        machine_id, _ = deploy_machine(synth)
        template.has_resource_properties(
            "AWS::Events::Rule",
            {
                "EventPattern": {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Model Package State Change"],
                    "detail": {
                        "ModelPackageGroupName": [names.model_package_group(synth.config, DATASET)],
                        "ModelApprovalStatus": ["Approved"],
                    },
                },
                "Targets": [
                    Match.object_like(
                        {
                            "Arn": {"Ref": machine_id},
                            "InputTransformer": {
                                "InputPathsMap": {"detail-ModelPackageArn": "$.detail.ModelPackageArn"},
                                "InputTemplate": Match.string_like_regexp(f'"trigger":"{trigger}"'),
                            },
                        }
                    )
                ],
            },
        )
