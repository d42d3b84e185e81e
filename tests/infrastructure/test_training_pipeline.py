"""The training state machine: its states, retries, catches, SageMaker parameters and IAM."""

import json
from pathlib import Path
from typing import Any

from mlops.config import VpcConfig
from stacks.constructs.sagemaker_job_states import has_instance_storage
from tests.infrastructure import references
from tests.infrastructure.conftest import Synthesized, synthesize


def _literal(value: Any) -> str:
    """A definition part: literal text, or a token rendered as compact JSON (kept inside strings)."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":")).replace('"', "'")


def pipeline_template(synth: Synthesized) -> dict[str, Any]:
    return dict(synth.template(synth.stacks.pipeline).to_json())


def artifacts_key(synth: Synthesized) -> str:
    """The artifacts bucket's KMS key, as the definition renders a reference to it."""
    _, bucket = references.only(references.resources(pipeline_template(synth), "AWS::S3::Bucket"), "bucket")
    [rule] = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    return _literal(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])


def machine(synth: Synthesized) -> dict[str, Any]:
    _, found = references.state_machine(pipeline_template(synth))
    return dict(found["Properties"])


def definition(synth: Synthesized) -> dict[str, Any]:
    body = machine(synth)["DefinitionString"]
    if isinstance(body, dict):
        body = "".join(_literal(p) for p in body["Fn::Join"][1])
    return dict(json.loads(body))


def states(synth: Synthesized) -> dict[str, Any]:
    return dict(definition(synth)["States"])


def test_the_workflow_runs_resolve_train_evaluate_gate_register_notify(dev: Synthesized) -> None:
    s = states(dev)
    assert definition(dev)["StartAt"] == "ResolveDataVersion"
    assert s["ResolveDataVersion"]["Next"] == "AlreadyRegistered"
    assert s["AlreadyRegistered"]["Default"] == "Train"
    assert s["Train"]["Next"] == "Evaluate"
    assert s["Evaluate"]["Next"] == "QualityGate"
    assert s["QualityGate"]["Next"] == "GateVerdict"
    verdict = s["GateVerdict"]
    assert verdict["Type"] == "Choice"
    assert verdict["Choices"] == [{"Variable": "$.gate.passed", "BooleanEquals": True, "Next": "RegisterModel"}]
    assert verdict["Default"] == "RecordRejected"
    assert s["RegisterModel"]["Next"] == "RecordRegistered"
    assert s["RecordRegistered"]["Next"] == "NotifyRegistered"
    assert s["NotifyRegistered"]["Next"] == "Registered"
    assert s["RecordRejected"]["Next"] == "NotifyRejected"
    assert s["NotifyRejected"]["Next"] == "Rejected"
    for end in ("Registered", "Rejected"):
        # the execution's output is the run record
        assert s[end] == {"Type": "Succeed", "OutputPath": "$.record"}
    assert s["RecordFailure"]["Next"] == "NotifyFailure"
    assert s["NotifyFailure"]["Next"] == "TrainingFailed"
    # the error is the record step's classification, never a re-raised States.* name
    assert s["TrainingFailed"] == {"Type": "Fail", "ErrorPath": "$.record.error", "CausePath": "$.record.cause"}


def test_an_identical_rerun_is_recorded_unchanged_and_trains_nothing(dev: Synthesized) -> None:
    s = states(dev)
    choice = s["AlreadyRegistered"]
    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [{"Variable": "$.run.unchanged", "BooleanEquals": True, "Next": "RecordUnchanged"}]
    record = s["RecordUnchanged"]
    params = record["Parameters"]["Payload"] if "Payload" in record["Parameters"] else record["Parameters"]
    assert params["outcome"] == "unchanged" and params["state.$"] == "$"
    assert record["Next"] == "Unchanged"
    assert s["Unchanged"] == {"Type": "Succeed", "OutputPath": "$.record"}
    # the run key needs the code version, which only the definition knows
    resolve = s["ResolveDataVersion"]["Parameters"]
    resolve = resolve.get("Payload", resolve)
    assert resolve["code_version"] == params["code_version"]


def test_every_task_is_caught_to_the_record_notify_and_fail_path(dev: Synthesized) -> None:
    tasks = {name: state for name, state in states(dev).items() if state["Type"] == "Task"}
    assert {"ResolveDataVersion", "Train", "Evaluate", "QualityGate", "RegisterModel"} <= set(tasks)
    for name, task in tasks.items():
        if name in {"NotifyFailure", "RecordFailure"} or name.startswith("Notify"):
            continue
        assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "RecordFailure"}]
        assert isinstance(task["Parameters"], dict), name
    # a failing record step still notifies and fails, naming both errors
    assert tasks["RecordFailure"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.record_failure", "Next": "RunNotRecorded"}
    ]
    unrecorded = states(dev)["RunNotRecorded"]
    assert unrecorded["Next"] == "NotifyFailure" and unrecorded["ResultPath"] == "$.record"
    assert unrecorded["Parameters"]["error"] == "Mlops.RunNotRecorded"
    assert "NotifyFailure" not in {c["Next"] for c in tasks["NotifyFailure"].get("Catch", [])}


def test_a_failing_notification_never_replaces_the_runs_outcome(dev: Synthesized) -> None:
    s = states(dev)
    for name in ("NotifyRegistered", "NotifyRejected", "NotifyFailure"):
        [retry] = s[name]["Retry"]
        assert "SNS.ThrottledException" in retry["ErrorEquals"] and "States.ALL" not in retry["ErrorEquals"]
        # caught, then on to where the run was going anyway: the run's own end state
        [catch] = s[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == s[name]["Next"]
        assert catch["ResultPath"] not in {"$.failure", "$.record"}  # the run's error and record stay intact
    assert s[s["NotifyFailure"]["Next"]]["Type"] == "Fail"
    assert s[s["NotifyRegistered"]["Next"]]["Type"] == "Succeed"


def test_every_path_records_the_run_with_the_execution_context(dev: Synthesized) -> None:
    s = states(dev)
    for name, outcome in (
        ("RecordRegistered", "registered"),
        ("RecordRejected", "rejected"),
        ("RecordFailure", "failed"),
        ("RecordUnchanged", "unchanged"),
    ):
        params = s[name]["Parameters"]["Payload"] if "Payload" in s[name]["Parameters"] else s[name]["Parameters"]
        assert params["outcome"] == outcome
        assert params["state.$"] == "$"
        assert params["started_at.$"] == "$$.Execution.StartTime"
        assert params["execution_name.$"] == "$$.Execution.Name"
        assert s[name]["ResultPath"] == "$.record"


def test_sagemaker_jobs_run_synchronously_and_retry_capacity_errors_with_backoff(dev: Synthesized) -> None:
    s = states(dev)
    assert s["Train"]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    assert s["Evaluate"]["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    for name in ("Train", "Evaluate"):
        [retry] = s[name]["Retry"]
        # the generic API error is also what a permanent ValidationException is: never retried
        assert retry["ErrorEquals"] == ["SageMaker.ResourceLimitExceededException"]
        assert retry["BackoffRate"] >= 2 and retry["MaxAttempts"] >= 2 and retry["IntervalSeconds"] >= 10
    for name in ("ResolveDataVersion", "QualityGate", "RegisterModel", "RecordRegistered", "RecordFailure"):
        assert any("Lambda.ServiceException" in r["ErrorEquals"] for r in s[name]["Retry"]), name


def test_a_retried_job_gets_a_new_name(dev: Synthesized) -> None:
    s = states(dev)
    assert "$$.State.RetryCount" in s["Train"]["Parameters"]["TrainingJobName.$"]
    assert "$$.State.RetryCount" in s["Evaluate"]["Parameters"]["ProcessingJobName.$"]
    assert s["ResolveDataVersion"]["Parameters"]["execution_name.$"] == "$$.Execution.Name"


def test_training_uses_managed_spot_with_max_wait_checkpoints_and_kms(dev: Synthesized) -> None:
    training = dev.config.training
    params = states(dev)["Train"]["Parameters"]
    assert params["EnableManagedSpotTraining"] is True
    assert params["StoppingCondition"] == {
        "MaxRuntimeInSeconds": training.max_run_seconds,
        "MaxWaitTimeInSeconds": training.max_wait_seconds,
    }
    assert params["CheckpointConfig"] == {"S3Uri.$": "$.run.checkpoint_uri", "LocalPath": "/opt/ml/checkpoints"}
    assert params["ResourceConfig"]["InstanceType"] == training.instance_type
    assert params["ResourceConfig"]["InstanceCount"] == training.instance_count
    key = artifacts_key(dev)
    assert params["OutputDataConfig"]["KmsKeyId"] == key
    assert "/models/" in params["OutputDataConfig"]["S3OutputPath"]
    image = params["AlgorithmSpecification"]["TrainingImage"]
    assert image.endswith(f"/sagemaker-xgboost:{training.framework_version}")
    # a g5 has NVMe instance storage, which SageMaker encrypts itself and refuses a volume key for
    assert has_instance_storage(training.instance_type)
    assert "VolumeKmsKeyId" not in params["ResourceConfig"]
    evaluation = states(dev)["Evaluate"]["Parameters"]
    assert evaluation["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
    assert evaluation["ProcessingOutputConfig"]["KmsKeyId"] == key


def test_the_code_reaches_sagemaker_as_a_sourcedir_tarball(dev: Synthesized) -> None:
    code = states(dev)["ResolveDataVersion"]["Parameters"]["code"]
    assert code["sagemaker_program"] == dev.config.training.entry_point
    assert code["sagemaker_submit_directory"].startswith("{'Fn::Sub':'s3://cdk-")
    assert states(dev)["Train"]["Parameters"]["HyperParameters.$"] == "$.run.hyperparameters"
    evaluate = states(dev)["Evaluate"]["Parameters"]
    assert evaluate["AppSpecification"]["ContainerEntrypoint"][1].startswith("/opt/ml/processing/input/code/")
    assert [i["InputName"] for i in evaluate["ProcessingInputs"]] == ["code", "model", "test"]
    assert evaluate["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri.$"] == "$.run.evaluation_prefix"


def test_state_machine_has_timeout_tracing_and_full_logging(dev: Synthesized) -> None:
    props = machine(dev)
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert definition(dev)["TimeoutSeconds"] >= dev.config.training.max_run_seconds
    # the stack outputs the machine's ARN (its Ref) for the CLI and for users
    machine_id, _ = references.state_machine(pipeline_template(dev))
    outputs = pipeline_template(dev)["Outputs"]
    assert {"Ref": machine_id} in [output["Value"] for output in outputs.values()]


RESOLVE = "functions.pipeline_resolve.handler.handler"
GATE = "functions.pipeline_gate.handler.handler"
REGISTER = "functions.pipeline_register.handler.handler"
RECORD = "functions.pipeline_record.handler.handler"


def statements_of_function(synth: Synthesized, handler: str) -> list[dict[str, Any]]:
    template = pipeline_template(synth)
    return references.statements_of_role(template, references.function_role(template, handler))


def statements_of_state_machine(synth: Synthesized) -> list[dict[str, Any]]:
    template = pipeline_template(synth)
    return references.statements_of_role(template, references.state_machine_role(template))


def statements_of_training_role(synth: Synthesized) -> list[dict[str, Any]]:
    template = pipeline_template(synth)
    return references.statements_of_role(template, references.service_role(template, "sagemaker.amazonaws.com"))


def test_the_state_machine_may_pass_only_the_training_role_to_sagemaker(dev: Synthesized) -> None:
    passes = [s for s in statements_of_state_machine(dev) if "iam:PassRole" in references.actions(s)]
    assert len(passes) == 1
    [pass_role] = passes
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    training_role = references.service_role(pipeline_template(dev), "sagemaker.amazonaws.com")
    assert pass_role["Resource"] == {"Fn::GetAtt": [training_role, "Arn"]}


def test_sagemaker_job_actions_are_scoped_to_the_project_prefix(dev: Synthesized) -> None:
    prefix = dev.config.prefix
    for role, statements in (
        ("state machine", statements_of_state_machine(dev)),
        ("register function", statements_of_function(dev, REGISTER)),
        ("resolve function", statements_of_function(dev, RESOLVE)),
    ):
        for statement in statements:
            if not any(a.startswith("sagemaker:") for a in references.actions(statement)):
                continue
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            sagemaker_actions = [a for a in references.actions(statement) if a.startswith("sagemaker:")]
            if sagemaker_actions == ["sagemaker:ListModelPackages"]:
                continue  # no resource-level permissions exist for it (see below)
            for resource in resources:
                assert resource != "*", (role, statement)
                rendered = json.dumps(resource)
                assert (
                    f":training-job/{prefix}-*" in rendered
                    or f":processing-job/{prefix}-*" in rendered
                    or (f"/{prefix}-" in rendered and ":model-package" in rendered)
                ), (role, rendered)
    creates = [a for s in statements_of_state_machine(dev) for a in references.actions(s)]
    assert {"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob"} <= set(creates)


def test_functions_get_exact_grants(dev: Synthesized) -> None:
    gate = [a for s in statements_of_function(dev, GATE) for a in references.actions(s)]
    assert not any(a.startswith(("s3:Put", "dynamodb:", "sagemaker:")) for a in gate)
    register = [a for s in statements_of_function(dev, REGISTER) for a in references.actions(s)]
    assert "sagemaker:CreateModelPackage" in register
    assert not any(a.startswith(("s3:", "dynamodb:")) for a in register)
    resolve = [a for s in statements_of_function(dev, RESOLVE) for a in references.actions(s)]
    assert {"dynamodb:GetItem", "dynamodb:Query", "s3:PutObject"} <= set(resolve)
    assert {"sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"} <= set(resolve)
    assert not any(a.startswith("dynamodb:Put") or a.startswith("dynamodb:Update") for a in resolve)
    assert not any(
        a.startswith("sagemaker:") and a not in {"sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"}
        for a in resolve
    )
    record = [a for s in statements_of_function(dev, RECORD) for a in references.actions(s)]
    assert "dynamodb:PutItem" in record
    assert not any(a.startswith(("s3:", "sagemaker:", "dynamodb:Delete", "dynamodb:Update")) for a in record)


def test_only_the_champion_listing_is_unscoped(dev: Synthesized) -> None:
    """ListModelPackages has no resource-level permissions; every other SageMaker action is scoped."""
    for statement in statements_of_function(dev, RESOLVE):
        if statement["Resource"] == "*":
            # CDK merges it with X-Ray's (also resourceless) actions
            assert set(references.actions(statement)) <= {
                "sagemaker:ListModelPackages",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            }


def test_jobs_run_in_the_configured_vpc_with_scoped_network_interfaces(tmp_path: Path, dev: Synthesized) -> None:
    vpc = VpcConfig(subnet_ids=["subnet-0123456789abcdef0"], security_group_ids=["sg-0123456789abcdef0"])
    config = dev.config.model_copy(
        update={"training": dev.config.training.model_copy(update={"vpc": vpc, "network_isolation": True})}
    )
    synth = synthesize("dev", tmp_path / "cdk-vpc", config)  # cdk-nag passes with the extra grants
    expected = {"Subnets": vpc.subnet_ids, "SecurityGroupIds": vpc.security_group_ids}
    s = states(synth)
    assert s["Train"]["Parameters"]["VpcConfig"] == expected
    assert s["Train"]["Parameters"]["EnableNetworkIsolation"] is True
    assert s["Evaluate"]["Parameters"]["NetworkConfig"] == {"EnableNetworkIsolation": True, "VpcConfig": expected}
    statements = statements_of_training_role(synth)
    [create] = [st for st in statements if "ec2:CreateNetworkInterface" in references.actions(st)]
    rendered = json.dumps(create["Resource"])
    assert ":subnet/subnet-0123456789abcdef0" in rendered and ":security-group/sg-0123456789abcdef0" in rendered
    # without a VPC, no EC2 permissions at all
    assert "VpcConfig" not in states(dev)["Train"]["Parameters"]
    assert not any(a.startswith("ec2:") for st in statements_of_training_role(dev) for a in references.actions(st))
