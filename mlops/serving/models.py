"""The serving context's records: one deployment, and what an endpoint serves now.

Stored in the registry table (keys in mlops/registry/keys.py):

  DEPLOY#<dataset>   <started at ISO>#<deployment id>   a `DeploymentRecord` (the history, newest last)
  SERVING#<dataset>  CURRENT                            the `ServingPointer`: the version the endpoint serves
  SERVING#<dataset>  LOCK                               the `DeploymentLock` of the deployment in progress

A deployment id is the deploy workflow's execution name. The pointer moves only when a
deployment ends `deployed`; a rollback (automatic or `mlops serve rollback`) that restores an
earlier version is itself a deployment and moves it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: how a deployment ended; `rolled_back`: the alarms rolled the update back, the endpoint
#: still serves the previous config
DeploymentOutcome = Literal["deployed", "rolled_back", "failed"]
DeploymentStatus = Literal["in_progress", "deployed", "rolled_back", "failed"]
#: what started it: a person (`mlops serve deploy`), a registration in an environment that
#: approves automatically, a person approving a package, `mlops serve rollback`, retraining
Trigger = Literal["manual", "registration", "approval", "rollback"]
#: every production variant is called this (SageMaker's convention for a single variant)
VARIANT_NAME = "AllTraffic"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeploymentRecord(_Record):
    deployment_id: str
    dataset: str
    environment: str
    endpoint_name: str
    model_version: int = Field(ge=1)
    model_package_arn: str
    model_name: str
    endpoint_config_name: str
    #: what the endpoint served before (None: the first deployment created the endpoint)
    previous_endpoint_config_name: str | None = None
    previous_model_version: int | None = None
    strategy: str
    trigger: Trigger
    #: who or what: an IAM principal / user name, the package ARN of an approval event, ...
    triggered_by: str
    started_at: datetime
    finished_at: datetime | None = None
    status: DeploymentStatus = "in_progress"
    #: why it ended as it did: the alarm that fired, SageMaker's FailureReason, our error
    reason: str | None = None
    execution_arn: str | None = None


class ServingPointer(_Record):
    """What the dataset's endpoint serves after the last successful deployment."""

    dataset: str
    endpoint_name: str
    model_version: int = Field(ge=1)
    model_package_arn: str
    endpoint_config_name: str
    deployment_id: str
    #: the data version the model was trained on (its profile is the drift baseline)
    data_version: str | None = None
    data_version_id: str | None = None
    since: datetime


class DeploymentLock(_Record):
    """Held while a deployment runs; a second deployment is refused, not queued."""

    dataset: str
    deployment_id: str
    execution_arn: str | None = None
    started_at: datetime
    #: what it deploys (a duplicate approval event of the same package is skipped, not refused)
    model_package_arn: str | None = None
    model_version: int | None = None
