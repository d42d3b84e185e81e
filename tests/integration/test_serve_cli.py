"""`mlops serve invoke | status | batch` against moto, through the real CLI app: the errors a
user meets and the status of an endpoint moto stores. (Invoking a real model is tested where
the local cloud hosts endpoints.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from mlops.cli import serve_endpoint_cmd
from mlops.cli.main import app
from mlops.cli.serve_batch_cmd import BatchNotDeployedError
from mlops.cli.serve_endpoint_cmd import EndpointNotDeployedError, ModelInvocationError
from mlops.errors import UsageError
from mlops.serving import naming
from mlops.serving.endpoint_status import MISSING_ALARM
from mlops.serving.invoke_rows import InvocationRows, RowsFileError
from tests.integration.conftest import EXAMPLE, DataLake

DATASET = "breast-cancer"
runner = CliRunner()


def serve(*args: str) -> Any:
    return runner.invoke(app, ["-f", str(EXAMPLE), "serve", *args])


def rows_file(tmp_path: Path, text: str = "sample_id,mean_radius\nS00001,1.5\n") -> str:
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_invoking_a_dataset_without_an_endpoint_says_so(lake: DataLake, tmp_path: Path) -> None:
    error = serve("invoke", "-d", DATASET, "--file", rows_file(tmp_path)).exception
    assert isinstance(error, EndpointNotDeployedError) and error.exit_code == 3
    assert naming.endpoint(lake.config.prefix, DATASET) in str(error)
    error = serve("status", "-d", DATASET).exception
    assert isinstance(error, EndpointNotDeployedError)


def test_a_malformed_rows_file_is_refused_before_anything_is_sent(lake: DataLake, tmp_path: Path) -> None:
    error = serve("invoke", "-d", DATASET, "--file", rows_file(tmp_path, "a,b\n1,2\n3\n")).exception
    assert isinstance(error, RowsFileError) and error.exit_code == 2 and "row 3" in str(error)
    error = serve("invoke", "-d", "nope", "--file", rows_file(tmp_path)).exception
    assert isinstance(error, UsageError) and error.problems[0].path == "--dataset"


def test_a_model_error_names_the_containers_answer() -> None:
    class Runtime:
        def invoke_endpoint(self, **_: Any) -> None:
            response: Any = {
                "Error": {"Code": "ModelError", "Message": "Received client error (400)"},
                "OriginalStatusCode": 400,
                "OriginalMessage": "InvalidInputError: missing feature(s): mean_radius",
            }
            raise ClientError(response, "InvokeEndpoint")

    class Aws:
        def client(self, _: str) -> Runtime:
            return Runtime()

    rows = InvocationRows(content_type="application/json", body="[{}]", records=[{}], count=1)
    with pytest.raises(ModelInvocationError, match=r"\(400\): InvalidInputError: missing feature") as caught:
        serve_endpoint_cmd._invoke(Aws(), "e", rows)  # type: ignore[arg-type]
    assert caught.value.exit_code == 1


def test_status_shows_the_version_variants_and_rollback_alarms(lake: DataLake) -> None:
    config = lake.config
    sagemaker, cloudwatch = boto3.client("sagemaker"), boto3.client("cloudwatch")
    model = naming.model(config.prefix, DATASET, 3)
    sagemaker.create_model(
        ModelName=model,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/m",
        PrimaryContainer={"Image": "i", "ModelDataUrl": "s3://b/m.tar.gz"},
    )
    endpoint_config = naming.endpoint_config(config.prefix, DATASET, 3, "deploy-1")
    sagemaker.create_endpoint_config(
        EndpointConfigName=endpoint_config,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"}
        ],
    )
    sagemaker.create_endpoint(EndpointName=naming.endpoint(config.prefix, DATASET), EndpointConfigName=endpoint_config)
    [first, *others] = config.deployment.alarms
    cloudwatch.put_metric_alarm(
        AlarmName=naming.alarm(config.prefix, DATASET, first.metric),  # as the deploy workflow names it
        MetricName=first.metric,
        Namespace="AWS/SageMaker",
        Statistic="Sum",
        Period=first.period_seconds,
        EvaluationPeriods=first.evaluation_periods,
        Threshold=first.threshold,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    name = naming.alarm(config.prefix, DATASET, first.metric)
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 3 >= 1")

    result = serve("status", "-d", DATASET, "--json")

    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    assert (view["endpoint_config_name"], view["model_version"]) == (endpoint_config, 3)
    assert [v["name"] for v in view["variants"]] == ["AllTraffic"]
    states = {a["metric"]: a["state"] for a in view["alarms"]}
    assert states[first.metric] == "ALARM"
    assert [a["reason"] for a in view["alarms"] if a["name"] == name] == ["Threshold Crossed: 3 >= 1"]
    assert all(states[a.metric] == MISSING_ALARM for a in others)
    table = serve("status", "-d", DATASET)
    assert table.exit_code == 0 and "model v3" in table.output and "rollback alarms" in table.output


def test_a_batch_before_the_serving_stack_is_deployed_says_so(lake: DataLake) -> None:
    error = serve("batch", "-d", f"{DATASET}@v1").exception
    assert isinstance(error, BatchNotDeployedError) and error.exit_code == 3
    error = serve("batch", "-d", "a@b@c").exception
    assert isinstance(error, UsageError) and error.problems[0].path == "--dataset"
