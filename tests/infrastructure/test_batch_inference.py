"""The batch inference workflow (stacks/constructs/batch_inference.py): its states and IAM.
Resources are found by what they are (handler, state machine name, the role a function is told
to pass), never by logical id."""

import json
from typing import Any

from mlops import layout, names
from tests.infrastructure import references
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.test_training_pipeline import _literal

RESOLVE = "functions.batch_resolve.handler.handler"
RECORD = "functions.batch_record.handler.handler"


def template(synth: Synthesized) -> dict[str, Any]:
    return dict(synth.template(synth.stacks.serving).to_json())


def machine(synth: Synthesized) -> dict[str, Any]:
    found = {
        k: v
        for k, v in references.resources(template(synth), "AWS::StepFunctions::StateMachine").items()
        if v["Properties"].get("StateMachineName") == names.batch_state_machine(synth.config)
    }
    _, resource = references.only(found, "batch state machine")
    return resource


def states(synth: Synthesized) -> dict[str, Any]:
    body = machine(synth)["Properties"]["DefinitionString"]
    if isinstance(body, dict):
        body = "".join(_literal(p) for p in body["Fn::Join"][1])
    return dict(json.loads(body)["States"])


def statements(synth: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return references.statements_of_role(template(synth), role_id)


def function_statements(synth: Synthesized, handler: str) -> list[dict[str, Any]]:
    return statements(synth, references.function_role(template(synth), handler))


def machine_statements(synth: Synthesized) -> list[dict[str, Any]]:
    return statements(synth, references.referenced_id(machine(synth)["Properties"]["RoleArn"]))


def model_role(synth: Synthesized) -> str:
    """The role the resolve function creates models with (its MODEL_ROLE_ARN)."""
    _, function = references.function(template(synth), RESOLVE)
    return references.referenced_id(function["Properties"]["Environment"]["Variables"]["MODEL_ROLE_ARN"])


def resources_of(statement: dict[str, Any]) -> list[str]:
    found = statement["Resource"]
    return [json.dumps(r) for r in (found if isinstance(found, list) else [found])]


def test_resolve_then_one_sync_transform_job_per_part_then_record_and_notify(dev: Synthesized) -> None:
    s = states(dev)
    assert s["Resolve"]["Next"] == "TransformParts"
    parts = s["TransformParts"]
    assert parts["Type"] == "Map" and parts["ItemsPath"] == "$.plan.parts"
    assert parts["ItemSelector"]["part.$"] == "$$.Map.Item.Value"
    assert parts["Next"] == "RecordSuccess"
    transform = parts["ItemProcessor"]["States"]["Transform"]
    assert transform["Resource"].endswith(":states:::sagemaker:createTransformJob.sync")
    assert transform["Retry"][0]["ErrorEquals"] == ["SageMaker.ResourceLimitExceededException"]
    assert s["RecordSuccess"]["Next"] == "NotifySuccess"
    assert s["NotifySuccess"]["Next"] == "Done"
    for name in ("Resolve", "TransformParts", "RecordSuccess"):
        [catch] = s[name]["Catch"]
        assert (catch["ErrorEquals"], catch["Next"], catch["ResultPath"]) == (
            ["States.ALL"],
            "RecordFailure",
            "$.failure",
        )
    assert s["RecordFailure"]["Next"] == "NotifyFailure"
    assert s["BatchFailed"] == {"Type": "Fail", "ErrorPath": "$.record.error", "CausePath": "$.record.cause"}


def test_transform_jobs_read_a_manifest_and_assemble_one_line_per_row(dev: Synthesized) -> None:
    parameters = states(dev)["TransformParts"]["ItemProcessor"]["States"]["Transform"]["Parameters"]
    assert parameters["TransformJobName.$"] == "States.Format('{}-r{}', $.part.job_name, $$.State.RetryCount)"
    source = parameters["TransformInput"]["DataSource"]["S3DataSource"]
    assert source == {"S3DataType": "ManifestFile", "S3Uri.$": "$.part.manifest_uri"}
    assert parameters["TransformInput"]["SplitType.$"] == "$.part.split_type"
    assert parameters["Environment.$"] == "$.environment"
    output = parameters["TransformOutput"]
    assert (output["Accept"], output["AssembleWith"]) == ("text/csv", "Line")
    assert output["KmsKeyId"]
    assert parameters["TransformResources"]["InstanceType"] == dev.config.deployment.instance_type
    assert "DataProcessing" not in parameters  # rows are handled by the inference code


def test_the_state_machine_passes_no_role_and_runs_only_prefixed_transform_jobs(dev: Synthesized) -> None:
    found = machine_statements(dev)
    assert not any("iam:PassRole" in references.actions(s) for s in found)
    for statement in found:
        sagemaker = [a for a in references.actions(statement) if a.startswith("sagemaker:")]
        if sagemaker:
            assert set(sagemaker) <= {
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
                "sagemaker:AddTags",
            }
            assert all(f":transform-job/{dev.config.prefix}-*" in r for r in resources_of(statement))
    rules = [r for s in found if "events:PutRule" in references.actions(s) for r in resources_of(s)]
    assert rules and all("StepFunctionsGetEventsForSageMakerTransformJobsRule" in r for r in rules)
    properties = machine(dev)["Properties"]
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"


def test_the_resolve_function_passes_only_the_model_role_and_creates_only_prefixed_models(dev: Synthesized) -> None:
    found = function_statements(dev, RESOLVE)
    [passing] = [s for s in found if "iam:PassRole" in references.actions(s)]
    assert passing["Resource"] == {"Fn::GetAtt": [model_role(dev), "Arn"]}
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    for statement in found:
        sagemaker = [a for a in references.actions(statement) if a.startswith("sagemaker:")]
        if not sagemaker or sagemaker == ["sagemaker:ListModelPackages"]:
            continue
        for resource in resources_of(statement):
            assert resource != '"*"'
            assert f":model/{dev.config.prefix}-*" in resource or ":model-package" in resource, resource
    writes = [r for s in found if "s3:PutObject" in references.actions(s) for r in resources_of(s)]
    assert writes and all(f"/{layout.BATCH}*" in r for r in writes)


def test_the_model_role_reads_only_dataset_objects_and_writes_only_batch_and_capture(dev: Synthesized) -> None:
    found = statements(dev, model_role(dev))
    data_lake = names.bucket(dev.config, "data", "X").split("-X-")[0]
    reads = [r for s in found if "s3:GetObject" in references.actions(s) for r in resources_of(s)]
    lake_reads = [r for r in reads if data_lake in r]
    assert lake_reads
    assert all(any(f"/{layout.dataset_objects_prefix(d)}*" in r for d in dev.config.datasets) for r in lake_reads)
    writes = [r for s in found if "s3:PutObject" in references.actions(s) for r in resources_of(s)]
    assert writes and all(f"/{layout.BATCH}*" in r or f"/{layout.DATA_CAPTURE}*" in r for r in writes)
    every = {a for s in found for a in references.actions(s)}
    assert not any(a.startswith("s3:Delete") for a in every)


def test_the_record_function_only_lists_and_writes_batch_records(dev: Synthesized) -> None:
    found = function_statements(dev, RECORD)
    every = {a for s in found for a in references.actions(s)}
    assert not any(a.startswith(("sagemaker:", "dynamodb:", "iam:", "s3:Delete")) for a in every)
    s3 = [r for s in found if any(a.startswith("s3:") for a in references.actions(s)) for r in resources_of(s)]
    object_arns = [r for r in s3 if "/" in r.replace("arn:", "").split(":::", 1)[-1]]
    assert object_arns and all(f"/{layout.BATCH}*" in r for r in object_arns)
