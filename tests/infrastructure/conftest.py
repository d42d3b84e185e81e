"""Synthesize the whole app once per test session, in-process, with cdk.json's feature flags."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from mlops import config as config_module
from mlops.config import ProjectConfig
from stacks import app_builder


@dataclass
class Synthesized:
    config: ProjectConfig
    stacks: app_builder.PlatformStacks
    outdir: Path

    def template(self, stack: Stack) -> Template:
        return Template.from_stack(stack)

    def templates(self) -> dict[str, Template]:
        return {stack.stack_name: Template.from_stack(stack) for stack in self.stacks.all()}


def synthesize(environment: str, outdir: Path, config: ProjectConfig | None = None) -> Synthesized:
    config = config or config_module.load(Path(__file__).resolve().parents[2] / "mlops.yaml", environment)
    app = App(outdir=str(outdir), context=app_builder.feature_flags())
    stacks = app_builder.build(app, config)
    app.synth()  # raises on any unacknowledged cdk-nag finding
    return Synthesized(config=config, stacks=stacks, outdir=outdir)


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))
