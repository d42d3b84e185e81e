"""`mlops local up` deploys every synthesized stack into the local cloud; `status` reports it
(`down` is checked by the session fixture's teardown in conftest.py, after every test). What
must exist is read from the synthesized templates, so these tests stay right as the stacks
grow. The time of `up` is measured in bench/synth.py, not asserted here."""

import json

import pytest

from tests.e2e.conftest import LocalCloud

pytestmark = pytest.mark.e2e


def test_up_deploys_every_stack(local_cloud: LocalCloud) -> None:
    deployed = {stack["name"]: stack for stack in local_cloud.up["stacks"]}
    assert set(deployed) == set(local_cloud.templates())
    for stack in local_cloud.client("cloudformation").describe_stacks()["Stacks"]:
        if stack["StackName"] in deployed:
            assert stack["StackStatus"] in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}, stack["StackName"]
    assert local_cloud.up["endpoint"].startswith("http://localhost:")


def test_up_lists_what_it_created(local_cloud: LocalCloud) -> None:
    for stack in local_cloud.up["stacks"]:
        template = local_cloud.templates()[stack["name"]]
        declared = {k: v["Type"] for k, v in template["Resources"].items() if v["Type"] != "AWS::CDK::Metadata"}
        assert {r["logical_id"]: r["type"] for r in stack["resources"]} == declared
        # moto 5.2.5 gives policies and Lambda permissions (the alert rule's) no physical id
        unnamed = [r for r in stack["resources"] if not r["physical_id"]]
        assert all(r["type"].endswith("Policy") or r["type"] == "AWS::Lambda::Permission" for r in unnamed), unnamed


def test_buckets_are_versioned(local_cloud: LocalCloud) -> None:
    s3 = local_cloud.client("s3")
    buckets = local_cloud.physical_ids("AWS::S3::Bucket")
    assert buckets
    for logical_id, name in buckets.items():
        assert name, f"{logical_id} was not created"
        assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled", name
    data_bucket = next(
        s["outputs"]["DataBucketName"] for s in local_cloud.up["stacks"] if "DataBucketName" in s["outputs"]
    )
    assert data_bucket in buckets.values()


def test_tables_exist(local_cloud: LocalCloud) -> None:
    dynamodb = local_cloud.client("dynamodb")
    tables = local_cloud.physical_ids("AWS::DynamoDB::GlobalTable") | local_cloud.physical_ids("AWS::DynamoDB::Table")
    assert tables
    for logical_id, name in tables.items():
        assert name, f"{logical_id} was not created"
        assert dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"


def test_topics_exist(local_cloud: LocalCloud) -> None:
    sns = local_cloud.client("sns")
    topics = local_cloud.physical_ids("AWS::SNS::Topic")
    assert topics
    for logical_id, arn in topics.items():
        assert arn, f"{logical_id} was not created"
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["TopicArn"] == arn


def test_every_declared_function_exists(local_cloud: LocalCloud) -> None:
    functions = local_cloud.physical_ids("AWS::Lambda::Function")
    assert functions
    client = local_cloud.client("lambda")
    for logical_id, name in functions.items():
        assert name, f"{logical_id} was not created"
        configuration = client.get_function(FunctionName=name)["Configuration"]
        stack_name, logical = logical_id.split("/")
        declared = local_cloud.templates()[stack_name]["Resources"][logical]["Properties"]
        assert configuration["Handler"] == declared["Handler"]
        assert len(configuration.get("Layers", [])) == len(declared.get("Layers", []))


def test_every_declared_state_machine_exists(local_cloud: LocalCloud) -> None:
    machines = local_cloud.physical_ids("AWS::StepFunctions::StateMachine")
    assert machines
    client = local_cloud.client("stepfunctions")
    for logical_id, arn in machines.items():
        assert arn, f"{logical_id} was not created"
        assert json.loads(client.describe_state_machine(stateMachineArn=arn)["definition"])["States"]


def test_status_reports_the_running_cloud(local_cloud: LocalCloud) -> None:
    status = json.loads(local_cloud.mlops("local", "status", "--json").stdout)
    assert status["running"] is True and status["stale"] is False
    assert status["endpoint"] == local_cloud.endpoint
    assert status["pid"] == local_cloud.up["pid"]
    assert [s["name"] for s in status["stacks"]] == [s["name"] for s in local_cloud.up["stacks"]]
