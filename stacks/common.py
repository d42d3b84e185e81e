"""What every stack of the platform shares: where it deploys and how it is named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Environment


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    env: Environment
    stack_name: str
    description: str
    termination_protection: bool

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "stack_name": self.stack_name,
            "description": self.description,
            "termination_protection": self.termination_protection,
        }
