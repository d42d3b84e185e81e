"""The local cloud: the same synthesized stacks, deployed by the real CDK CLI into a moto
server that our own launcher (`python -m mlops.local.server`) runs on localhost.

    from mlops import local
    state = local.up()                      # start (or reuse) and deploy every stack
    local.client("s3").list_buckets()       # boto3, pointed at the running cloud
    local.down()

The rest of the `mlops` CLI reaches the cloud through `endpoint()` and `client()` (`--local`).
This package never ships in a Lambda asset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops.errors import LocalCloudError
from mlops.local.cloud import down, status, up
from mlops.local.state import (
    LOCAL_ACCOUNT,
    DownResult,
    LocalCloudState,
    LocalCloudStatus,
    ResourceSummary,
    StackSummary,
    Timings,
)

__all__ = [
    "LOCAL_ACCOUNT",
    "DownResult",
    "LocalCloudState",
    "LocalCloudStatus",
    "ResourceSummary",
    "StackSummary",
    "Timings",
    "boto3_session_kwargs",
    "client",
    "down",
    "endpoint",
    "running_state",
    "status",
    "up",
]

NOT_RUNNING = "no local cloud is running: run `mlops local up`"


def running_state(root: Path | str | None = None) -> LocalCloudState:
    """The state of the running local cloud, or LocalCloudError when none runs."""
    current = status(root)
    if not current.running or current.state is None:
        stale = f" (the recorded server, pid {current.state.pid}, is gone)" if current.stale and current.state else ""
        raise LocalCloudError(NOT_RUNNING + stale)
    return current.state


def endpoint(root: Path | str | None = None) -> str:
    """The running local cloud's endpoint URL (`http://localhost:PORT`)."""
    return running_state(root).endpoint


def boto3_session_kwargs(root: Path | str | None = None) -> dict[str, str]:
    """Credentials and region for `boto3.session.Session(**kwargs)` against the local cloud.

    The endpoint is not a session option: pass `endpoint_url=endpoint()` to each client, or
    use `client()`.
    """
    state = running_state(root)
    return {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": state.region,
    }


def client(service: str, root: Path | str | None = None, **kwargs: Any) -> Any:
    """A boto3 client for `service` against the running local cloud."""
    import boto3

    state = running_state(root)
    options: dict[str, Any] = {
        "endpoint_url": state.endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": state.region,
    }
    return boto3.client(service, **(options | kwargs))
