"""The deploy workflow's deployment policy: one precomputed DeploymentConfig per strategy, and
how long polling may wait for the longest of them.

`--strategy` overrides need a DeploymentConfig at run time. The configs are precomputed at
synth time, one per strategy SageMaker can run with this config (mlops/serving/deployment_plan.py),
and a Choice on `$.plan.strategy` picks one: the whole policy (alarms, bakes, timeouts) is in
the definition, reviewable in the template, and no Lambda output can shape it. The resolve
step refuses a strategy the config cannot run (DeploymentPlanError) before anything is created.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from mlops.config import DeploymentConfig, DeploymentStrategy
from mlops.serving import deployment_plan, naming
from mlops.serving.deployment_plan import DeploymentPlanError


def strategy_configs(deployment: DeploymentConfig, alarm_names: Sequence[str]) -> dict[DeploymentStrategy, Any]:
    """UpdateEndpoint's DeploymentConfig for every strategy SageMaker can run with this config
    (the alarms, which are per dataset, are filled in by the definition)."""
    configs: dict[DeploymentStrategy, Any] = {}
    for strategy in DeploymentStrategy:
        try:
            configs[strategy] = deployment_plan.deployment_config(
                deployment.model_copy(update={"strategy": strategy}), alarm_names
            )
        except DeploymentPlanError:
            continue  # the resolve step refuses it with the reason
    return configs


def poll_limit(deployment: DeploymentConfig, poll_seconds: int) -> int:
    """Polls enough for the longest deployment SageMaker allows with this config, plus the
    time a new endpoint's instances take to start."""
    longest = max(
        (
            c["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"]
            for c in strategy_configs(deployment, []).values()
        ),
        default=deployment_plan.MAX_EXECUTION_TIMEOUT,
    )
    return math.ceil((longest + deployment_plan.PROVISIONING_ALLOWANCE) / poll_seconds)


def deployment_config_states(
    scope: Construct,
    *,
    deployment: DeploymentConfig,
    prefix: str,
    datasets: Sequence[str],
    update: sfn.IChainable,
) -> sfn.IChainable:
    """The dataset's rollback alarms, then the strategy's precomputed DeploymentConfig, then
    `update` (UpdateEndpoint with it). Both choices are static: every alarm name and every
    config is in the definition."""
    strategy = sfn.Choice(scope, "DeploymentStrategy")
    for name, config in strategy_configs(deployment, []).items():
        if deployment.alarms:
            config = config | {"AutoRollbackConfiguration": {"Alarms.$": "$.rollback_alarms"}}
        pass_state = sfn.Pass(
            scope,
            f"{name.name.title().replace('_', '')}Config",
            parameters=config,
            result_path="$.deployment_config",
        )
        strategy.when(sfn.Condition.string_equals("$.plan.strategy", name.value), pass_state.next(update))
    strategy.otherwise(
        sfn.Fail(
            scope,
            "StrategyNotPossible",
            error="Mlops.DeploymentPlanInvalid",
            cause="the requested strategy cannot run with this deployment config",
        )
    )
    if not deployment.alarms:
        return strategy
    alarms = sfn.Choice(scope, "RollbackAlarms")
    for dataset in datasets:
        names = [naming.alarm(prefix, dataset, a.metric) for a in deployment.alarms]
        listed = sfn.Pass(
            scope,
            f"AlarmsOf-{dataset}",
            result=sfn.Result.from_array([{"AlarmName": n} for n in names]),
            result_path="$.rollback_alarms",
        )
        alarms.when(sfn.Condition.string_equals("$.plan.dataset", dataset), listed.next(strategy))
    alarms.otherwise(
        sfn.Fail(scope, "UnknownDataset", error="Mlops.UnknownDatasetError", cause="no alarms for this dataset")
    )
    return alarms
