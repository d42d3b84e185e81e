"""What the deployed training state machine hands its SageMaker jobs, and what the jobs may write."""

import json
from typing import Any

from mlops.pipeline.job_contract import EVALUATION_ARGUMENTS
from mlops.pipeline.job_logs import LOG_GROUPS
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.test_training_pipeline import states


def test_the_evaluation_job_gets_the_datasets_target_and_id_columns_from_the_run(dev: Synthesized) -> None:
    app = states(dev)["Evaluate"]["Parameters"]["AppSpecification"]
    assert app["ContainerArguments.$"] == EVALUATION_ARGUMENTS
    assert "$.run.hyperparameters.target" in app["ContainerArguments.$"]
    assert "$.run.hyperparameters.id_columns" in app["ContainerArguments.$"]
    # training gets them inside the run's hyperparameters (mlops/pipeline/job_contract.py)
    assert states(dev)["Train"]["Parameters"]["HyperParameters.$"] == "$.run.hyperparameters"


def _job_role_statements(synth: Synthesized) -> list[dict[str, Any]]:
    """Statements of the policies attached to the role the training and evaluation jobs run as."""
    resources = synth.template(synth.stacks.pipeline).to_json()["Resources"]
    job_roles = [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role"
        and "sagemaker.amazonaws.com" in json.dumps(resource["Properties"]["AssumeRolePolicyDocument"])
        and "training and processing jobs" in resource["Properties"].get("Description", "")
    ]
    assert len(job_roles) == 1, job_roles
    return [
        statement
        for resource in resources.values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": job_roles[0]} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_job_role_may_write_training_and_processing_job_logs_and_nothing_wider(dev: Synthesized) -> None:
    writes: dict[str, set[str]] = {}
    for statement in _job_role_statements(dev):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not any(a.startswith("logs:") for a in actions):
            continue
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for target in targets:
            writes.setdefault(json.dumps(target), set()).update(actions)
    groups = {group for group in LOG_GROUPS.values() for rendered in writes if f":log-group:{group}:*" in rendered}
    assert groups == set(LOG_GROUPS.values())
    for rendered, granted in writes.items():
        assert any(f":log-group:{group}:*" in rendered for group in LOG_GROUPS.values()), rendered
        assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= granted, rendered


def test_the_evaluation_step_keeps_what_its_job_is_priced_by(dev: Synthesized) -> None:
    evaluate = states(dev)["Evaluate"]
    selector = evaluate["ResultSelector"]
    assert selector["started_at.$"] == "$.ProcessingStartTime"
    assert selector["ended_at.$"] == "$.ProcessingEndTime"
    cluster = evaluate["Parameters"]["ProcessingResources"]["ClusterConfig"]
    assert selector["instance_type"] == cluster["InstanceType"]
    assert selector["instance_count"] == cluster["InstanceCount"]
    assert evaluate["ResultPath"] == "$.evaluation"
