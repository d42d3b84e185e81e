"""The DeploymentConfig and DataCaptureConfig built from `deployment:`, checked against the
shapes SageMaker's API model declares (botocore's own parameter validation)."""

import botocore.session
import pytest
from botocore.validate import ParamValidator

from mlops.config import DeploymentConfig, DeploymentStrategy
from mlops.serving import naming
from mlops.serving.deployment_plan import (
    MAX_EXECUTION_TIMEOUT,
    DeploymentPlanError,
    baking_seconds,
    data_capture_config,
    deployment_config,
    traffic_shifts,
)
from stacks.constructs.deploy_workflow_strategies import strategy_configs

SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


def valid_for(operation: str, params: dict[str, object]) -> None:
    report = ParamValidator().validate(params, SAGEMAKER.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize(
    ("settings", "shifts"),
    [
        ({"strategy": "canary", "canary_size_percent": 10}, [10, 100]),
        ({"strategy": "linear", "linear_step_percent": 25}, [25, 50, 75, 100]),
        ({"strategy": "linear", "linear_step_percent": 30}, [30, 60, 90, 100]),
        ({"strategy": "all_at_once"}, [100]),
    ],
)
def test_traffic_moves_in_the_configured_steps_and_ends_on_the_new_fleet(
    settings: dict[str, object], shifts: list[int]
) -> None:
    assert traffic_shifts(DeploymentConfig.model_validate(settings)) == shifts


def test_a_canary_update_bakes_each_shift_and_rolls_back_on_the_named_alarms() -> None:
    deployment = DeploymentConfig(strategy="canary", canary_size_percent=10, bake_time_seconds=600)
    alarms = [naming.alarm("tc-dev", "bc", "Invocation5XXErrors"), naming.alarm("tc-dev", "bc", "ModelLatency")]
    config = deployment_config(deployment, alarms, termination_wait_seconds=120)
    policy = config["BlueGreenUpdatePolicy"]
    routing = policy["TrafficRoutingConfiguration"]
    assert routing["Type"] == "CANARY" and routing["CanarySize"] == {"Type": "CAPACITY_PERCENT", "Value": 10}
    assert routing["WaitIntervalInSeconds"] == 600 and "LinearStepSize" not in routing
    assert policy["TerminationWaitInSeconds"] == 120
    # long enough for both bakes and the termination wait, within SageMaker's bounds
    assert 2 * 600 + 120 < policy["MaximumExecutionTimeoutInSeconds"] <= MAX_EXECUTION_TIMEOUT
    assert [a["AlarmName"] for a in config["AutoRollbackConfiguration"]["Alarms"]] == alarms
    valid_for("UpdateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c", "DeploymentConfig": config})


@pytest.mark.parametrize("strategy", ["linear", "all_at_once"])
def test_every_strategy_is_a_valid_update(strategy: str) -> None:
    deployment = DeploymentConfig(strategy=strategy, bake_time_seconds=0)
    config = deployment_config(deployment, [])
    assert config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == strategy.upper()
    assert "AutoRollbackConfiguration" not in config  # no alarms configured: nothing to name
    valid_for("UpdateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c", "DeploymentConfig": config})


def test_a_deployment_that_cannot_finish_within_sagemakers_limit_is_refused() -> None:
    deployment = DeploymentConfig(strategy="linear", linear_step_percent=5, bake_time_seconds=900)
    assert baking_seconds(deployment) > MAX_EXECUTION_TIMEOUT
    with pytest.raises(DeploymentPlanError, match="bake_time_seconds"):
        deployment_config(deployment, [])


def test_data_capture_records_requests_and_responses_encrypted() -> None:
    capture = data_capture_config(DeploymentConfig(data_capture_percent=30), "s3://a/data-capture/e", "arn:key")
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 30
    assert {o["CaptureMode"] for o in capture["CaptureOptions"]} == {"Input", "Output"}
    valid_for(
        "CreateEndpointConfig",
        {
            "EndpointConfigName": "c",
            "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "m"}],
            "DataCaptureConfig": capture,
        },
    )
    assert data_capture_config(DeploymentConfig(data_capture_percent=0), "s3://a/b", "k")["EnableCapture"] is False


def test_names_fit_sagemaker_and_carry_the_model_version() -> None:
    long_prefix = "a-very-long-project-name-for-testing-limits-dev"
    name = naming.endpoint_config(long_prefix, "breast-cancer-extended", 12, "exec-1")
    assert len(name) <= naming.NAME_LIMIT and naming.version_of(name) == 12
    assert name != naming.endpoint_config(long_prefix, "breast-cancer-extended", 12, "exec-2")
    assert len(naming.endpoint(long_prefix, "breast-cancer-extended")) <= naming.NAME_LIMIT
    assert naming.endpoint("tc-dev", "bc") == "tc-dev-bc"
    assert naming.version_of("someone-elses-config") is None
    for made in (name, naming.model(long_prefix, "x" * 40, 3), naming.endpoint(long_prefix, "x" * 40)):
        valid_for("DescribeEndpointConfig", {"EndpointConfigName": made})


def test_the_workflow_precomputes_a_config_per_strategy_sagemaker_can_run() -> None:
    configs = strategy_configs(DeploymentConfig(bake_time_seconds=300, linear_step_percent=10), [])
    assert set(configs) == set(DeploymentStrategy)
    routing = {s: c["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] for s, c in configs.items()}
    assert routing[DeploymentStrategy.CANARY]["CanarySize"] == {"Type": "CAPACITY_PERCENT", "Value": 10}
    assert routing[DeploymentStrategy.LINEAR]["LinearStepSize"] == {"Type": "CAPACITY_PERCENT", "Value": 10}
    assert routing[DeploymentStrategy.ALL_AT_ONCE]["Type"] == "ALL_AT_ONCE"
    assert all(r["WaitIntervalInSeconds"] == 300 for r in routing.values())
    # ten linear bakes of an hour exceed SageMaker's limit: that strategy is left out, the others stay
    long = strategy_configs(DeploymentConfig(bake_time_seconds=3600, linear_step_percent=10), [])
    assert set(long) == {DeploymentStrategy.CANARY, DeploymentStrategy.ALL_AT_ONCE}
