"""The monitoring stack: schedules and their role, the check and guard functions' permissions,
the alert rule, alarms and dashboard (found by what they are, never by logical id)."""

import json
from typing import Any

from aws_cdk.assertions import Match

from mlops import names
from mlops.monitoring.adapters import METRICS_NAMESPACE
from tests.infrastructure import references
from tests.infrastructure.conftest import Synthesized

CHECK = "functions.monitor_check.handler.handler"
GUARD = "functions.monitor_guard.handler.handler"


def template(synth: Synthesized) -> dict[str, Any]:
    return dict(synth.template(synth.stacks.monitoring).to_json())


def test_one_schedule_per_dataset_invokes_the_check_with_its_own_role(dev: Synthesized) -> None:
    t = template(dev)
    check_id, _ = references.function(t, CHECK)
    schedules = references.resources(t, "AWS::Scheduler::Schedule")
    assert len(schedules) == len(dev.config.datasets)
    role_id = references.service_role(t, "scheduler.amazonaws.com")
    for dataset in dev.config.datasets:
        [schedule] = [
            s for s in schedules.values() if s["Properties"]["Name"] == names.drift_schedule(dev.config, dataset)
        ]
        props = schedule["Properties"]
        assert props["ScheduleExpression"] == dev.config.drift.schedule
        assert references.referenced_id(props["Target"]["Arn"]) == check_id
        assert references.referenced_id(props["Target"]["RoleArn"]) == role_id
        assert json.loads(props["Target"]["Input"]) == {"dataset": dataset}
    role = t["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert role["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    [statement] = references.statements_of_role(t, role_id)
    assert references.actions(statement) == ["lambda:InvokeFunction"]
    assert {references.referenced_id(r) for r in statement["Resource"] if "Fn::GetAtt" in r} == {check_id}


def test_the_check_reads_capture_labels_and_manifests_writes_reports_only(dev: Synthesized) -> None:
    t = template(dev)
    statements = references.statements_of_role(t, references.function_role(t, CHECK))
    text = json.dumps(statements)
    for prefix in ("/data-capture/*", "/labels/*", "/versions/*", "/reports/drift/*"):
        assert prefix in text, prefix
    writes = [s for s in statements if "s3:PutObject" in references.actions(s)]
    assert len(writes) == 1 and "/reports/drift/*" in json.dumps(writes[0]["Resource"])
    assert not any(a.startswith("s3:Delete") for s in statements for a in references.actions(s))
    [metrics] = [s for s in statements if "cloudwatch:PutMetricData" in references.actions(s)]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}}
    [put_events] = [s for s in statements if "events:PutEvents" in references.actions(s)]
    assert "Fn::ImportValue" in json.dumps(put_events["Resource"])  # the domain bus, nothing else


def test_alerts_reach_the_guard_which_may_start_training_only(dev: Synthesized) -> None:
    t = template(dev)
    guard_id, _ = references.function(t, GUARD)
    _, rule = references.only(references.resources(t, "AWS::Events::Rule"), "rule")
    assert rule["Properties"]["EventPattern"] == {
        "source": [names.event_source(dev.config)],
        "detail-type": ["DriftDetected", "ModelQualityDegraded"],
    }
    [target] = rule["Properties"]["Targets"]
    assert references.referenced_id(target["Arn"]) == guard_id
    _, permission = references.only(references.resources(t, "AWS::Lambda::Permission"), "permission")
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    assert "Fn::GetAtt" in permission["Properties"]["SourceArn"]  # scoped to the rule
    statements = references.statements_of_role(t, references.function_role(t, GUARD))
    [start] = [s for s in statements if "states:StartExecution" in references.actions(s)]
    assert f":stateMachine:{names.training_state_machine(dev.config)}" in json.dumps(start["Resource"])
    assert not any("sagemaker:" in a or a.startswith("s3:") for s in statements for a in references.actions(s))


def test_alarms_on_drift_and_quality_notify(dev: Synthesized) -> None:
    synth = dev.template(dev.stacks.monitoring)
    for dataset in dev.config.datasets:
        synth.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmName": names.drift_alarm(dev.config, dataset, "drift"),
                "Namespace": METRICS_NAMESPACE,
                "MetricName": "DriftedShare",
                "Dimensions": [{"Name": "Dataset", "Value": dataset}],
                "Threshold": dev.config.drift.drifted_share,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "ignore",
                "Period": 86400,
                "AlarmActions": [Match.any_value()],
            },
        )
        synth.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"AlarmName": names.drift_alarm(dev.config, dataset, "quality"), "MetricName": "QualityDegraded"},
        )


def test_the_dashboard_shows_drift_quality_runs_and_deployments(dev: Synthesized) -> None:
    t = template(dev)
    _, dashboard = references.only(references.resources(t, "AWS::CloudWatch::Dashboard"), "dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in (
        "share of drifted features",
        "score per feature",
        "Model quality",
        "Training pipeline",
        "Deployments",
    ):
        assert title in body, title
    assert names.deploy_state_machine(dev.config) in body and names.training_state_machine(dev.config) in body
