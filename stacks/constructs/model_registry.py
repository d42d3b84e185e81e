"""SageMaker model package groups: one per model (one model per dataset)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class ModelRegistryProps:
    group_names: Sequence[str]
    description: str


class ModelRegistry(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: ModelRegistryProps) -> None:
        super().__init__(scope, id_)
        self.groups = {
            name: sagemaker.CfnModelPackageGroup(
                self,
                f"Group-{name}",
                model_package_group_name=name,
                model_package_group_description=f"{props.description} {name}",
            )
            for name in props.group_names
        }
