"""Our extensions of moto, installed into the local cloud's server process before it serves.

- `cloudformation`: stack failures and rollbacks, exports on update, parameters, name limits;
- `resources`: CloudFormation resource models moto gets wrong;
- `resource_types`: CloudFormation resource types moto lacks;
- `flows`: what our flows need at run time (EventBridge targets, one Step Functions backend,
  Lambda handlers run for real);
- `sagemaker`: training and processing jobs run for real, with injectable API faults, and
  (installing `sagemaker_step_functions`) their Step Functions integration
  (`createTrainingJob`/`createProcessingJob`, `.sync` too);
- `s3`: conditional copies (`If-None-Match: *`) refused when the destination exists;
- `clock`: the interpreter's Retry waits compressed by `MLOPS_LOCAL_WAIT_SCALE`;
- `model_package_events`: "SageMaker Model Package State Change" events on registration and
  approval, and UpdateModelPackage keeping what it is not given;
- `scheduler`: Scheduler schedules and CloudWatch alarms from CloudFormation, schedules fired
  when due (time compressed like waits) and on `tick`;
- `endpoints`: SageMaker endpoints host real model servers; UpdateEndpoint with blue/green
  traffic shifting and alarm rollback; InvokeEndpoint, its metrics and data capture;
- `alarms`: CloudWatch metric alarms evaluated from their metrics, state change events, SNS actions.

Each module documents every gap it bridges. `install()` is idempotent and fails loudly
(`MotoContractError`) when a moto upgrade moved an internal we rely on, so an upgrade cannot
silently turn a workaround off.
"""

from __future__ import annotations

from mlops.local.plugins import (
    alarms,
    clock,
    cloudformation,
    endpoints,
    flows,
    model_package_events,
    resource_types,
    resources,
    s3,
    sagemaker,
    scheduler,
)
from mlops.local.plugins._contract import MotoContractError, run_once

__all__ = ["MotoContractError", "install", "shutdown"]


@run_once
def install(endpoint_url: str) -> None:
    """Install every plugin; `endpoint_url` is where this server answers (for Lambda handlers)."""
    cloudformation.install()
    resources.install()
    resource_types.install()
    s3.install()
    flows.install(endpoint_url)
    sagemaker.install(endpoint_url)
    clock.install()
    model_package_events.install()
    scheduler.install()
    endpoints.install(endpoint_url)
    alarms.install()


def shutdown() -> None:
    """Stop what the plugins started (model servers, capture writers); the server is stopping."""
    endpoints.shutdown()
