"""Our extensions of moto, installed into the local cloud's server process before it serves.

- `cloudformation`: stack failures and rollbacks, exports on update, parameters, name limits;
- `resources`: CloudFormation resource models moto gets wrong;
- `resource_types`: CloudFormation resource types moto lacks;
- `flows`: what our flows need at run time (EventBridge targets, one Step Functions backend,
  Lambda handlers run for real);
- `sagemaker`: training and processing jobs run for real, and their Step Functions integration
  (`createTrainingJob`/`createProcessingJob`, `.sync` too), with injectable API faults;
- `s3`: conditional copies (`If-None-Match: *`) refused when the destination exists;
- `clock`: the interpreter's Retry waits compressed by `MLOPS_LOCAL_WAIT_SCALE`;
- `scheduler`: Scheduler schedules and CloudWatch alarms from CloudFormation, schedules fired
  when due (time compressed like waits) and on `tick`.

Each module documents every gap it bridges. `install()` is idempotent and fails loudly
(`MotoContractError`) when a moto upgrade moved an internal we rely on, so an upgrade cannot
silently turn a workaround off.
"""

from __future__ import annotations

from mlops.local.plugins import (
    clock,
    cloudformation,
    flows,
    resource_types,
    resources,
    s3,
    sagemaker,
    scheduler,
)
from mlops.local.plugins._contract import MotoContractError, run_once

__all__ = ["MotoContractError", "install"]


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
    scheduler.install()
