"""Build every stack of one environment from the typed config. Used by app.py and the tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import App, Environment, RemovalPolicy, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from mlops.config import ProjectConfig
from stacks.ci_access_stack import CiAccessStack, CiAccessStackProps
from stacks.common import StackSettings
from stacks.data_stack import DataStack, DataStackProps
from stacks.monitoring_stack import MonitoringStack, MonitoringStackProps
from stacks.packaging import REPO_ROOT
from stacks.pipeline_stack import PipelineStack, PipelineStackProps
from stacks.serving_stack import ServingStack, ServingStackProps


@dataclass(frozen=True)
class PlatformStacks:
    data: DataStack
    pipeline: PipelineStack
    serving: ServingStack
    monitoring: MonitoringStack
    #: only with a `ci:` section in the config
    ci_access: CiAccessStack | None = None

    def all(self) -> tuple[Stack, ...]:
        optional = (self.ci_access,) if self.ci_access is not None else ()
        return (self.data, self.pipeline, self.serving, self.monitoring, *optional)


def feature_flags(repo_root: Path = REPO_ROOT) -> dict[str, object]:
    """The feature flags of cdk.json, for apps built in-process (tests, benchmarks): the CDK CLI
    passes them to app.py, a bare `App()` would silently use the legacy defaults."""
    document = json.loads((repo_root / "cdk.json").read_text(encoding="utf-8"))
    return dict(document.get("context", {}))


def stack_name(config: ProjectConfig, context: str) -> str:
    return f"{config.prefix}-{context}"


def build(app: App, config: ProjectConfig, *, build_root: Path | None = None) -> PlatformStacks:
    settings = config.settings
    removal = RemovalPolicy.DESTROY if settings.removal_policy == "destroy" else RemovalPolicy.RETAIN
    env = Environment(account=settings.account, region=settings.region)
    build_root = build_root or REPO_ROOT / ".build" / "lambda"

    def props(context: str, description: str) -> StackSettings:
        return StackSettings(
            env=env,
            stack_name=stack_name(config, context),
            description=f"serverless-mlops {config.project} ({config.environment}): {description}",
            termination_protection=settings.removal_policy == "retain",
        )

    data = DataStack(
        app,
        "Data",
        props=DataStackProps(config=config, removal_policy=removal, build_root=build_root),
        stack=props("data", "data lake, registry, events, notifications"),
    )
    pipeline = PipelineStack(
        app,
        "Pipeline",
        props=PipelineStackProps(config=config, removal_policy=removal, data=data, build_root=build_root),
        stack=props("pipeline", "training pipeline"),
    )
    serving = ServingStack(
        app,
        "Serving",
        props=ServingStackProps(
            config=config, data=data, pipeline=pipeline, removal_policy=removal, build_root=build_root
        ),
        stack=props("serving", "versioned endpoints and rollback"),
    )
    monitoring = MonitoringStack(
        app,
        "Monitoring",
        props=MonitoringStackProps(
            config=config, data=data, pipeline=pipeline, removal_policy=removal, build_root=build_root
        ),
        stack=props("monitoring", "drift checks, dashboard, alarms"),
    )
    ci_access = None
    if config.ci is not None:
        ci_access = CiAccessStack(
            app,
            "CiAccess",
            props=CiAccessStackProps(ci=config.ci, name_prefix=config.prefix),
            stack=props("ci", "GitHub Actions OIDC deploy role"),
        )
    stacks = PlatformStacks(data, pipeline, serving, monitoring, ci_access)
    for key, value in config.tags().items():
        Tags.of(app).add(key, value)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks
