"""Which version `mlops serve rollback` goes back to.

A rollback target is a version the dataset's endpoint served after a successful deployment
(history status `deployed`): by default the newest such version other than the one serving
now, or the one asked for with `--to N`. A version never deployed successfully (or only
rolled back by its alarms) is refused: going back means going to something known to work.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops.serving.errors import RollbackRefusedError
from mlops.serving.models import DeploymentRecord, ServingPointer


class UnknownModelVersionError(RollbackRefusedError):
    """`--to N` names no version of the dataset's model package group."""

    error_name = "Mlops.UnknownModelVersion"


def rollback_target(
    history: Sequence[DeploymentRecord],
    current: ServingPointer | None,
    *,
    to: int | None = None,
    known_versions: Sequence[int] | None = None,
) -> DeploymentRecord:
    """The newest `deployed` record of the target version. `history` in any order;
    `known_versions`: the versions of the model package group (to tell an unknown version
    from one never deployed)."""
    if current is None:
        raise RollbackRefusedError("nothing serves yet: there is no earlier version to roll back to")
    deployed = sorted((r for r in history if r.status == "deployed"), key=lambda r: r.started_at, reverse=True)
    if to is not None:
        if to == current.model_version:
            raise RollbackRefusedError(f"version {to} is serving already")
        if known_versions is not None and to not in known_versions:
            listed = ", ".join(str(v) for v in sorted(known_versions)) or "none"
            raise UnknownModelVersionError(f"there is no model version {to} (registered versions: {listed})")
        for record in deployed:
            if record.model_version == to:
                return record
        ever = sorted({r.model_version for r in deployed})
        listed = ", ".join(str(v) for v in ever) or "none"
        raise RollbackRefusedError(
            f"version {to} was never deployed successfully; a rollback goes back to a version that served "
            f"(deployed before: {listed})"
        )
    for record in deployed:
        if record.model_version != current.model_version:
            return record
    raise RollbackRefusedError(
        f"version {current.model_version} is the only version ever deployed successfully: nothing to roll back to"
    )
