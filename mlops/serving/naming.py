"""Physical names of serving resources, derived from the config and the model version alone,
so the deploy workflow, rollback and the CLI find the same resources without lookups.

SageMaker names (endpoints, endpoint configs, models) are at most 63 characters of
`[a-zA-Z0-9-]`; alarm names are free text up to 255.
"""

from __future__ import annotations

import hashlib
import re

NAME_LIMIT = 63
_INVALID = re.compile(r"[^a-zA-Z0-9-]+")


def _fit(base: str, unique: str) -> str:
    """`base-unique`, `base` shortened (never `unique`) so the whole fits SageMaker's limit."""
    room = NAME_LIMIT - len(unique) - 1
    if room < 1:
        raise ValueError(f"{unique!r} leaves no room for a name")
    readable = _INVALID.sub("-", base)[:room].strip("-")
    return f"{readable}-{unique}"


def endpoint(prefix: str, dataset: str) -> str:
    """One endpoint per dataset and environment; its configs change, its name does not."""
    name = f"{prefix}-{dataset}"
    if len(name) <= NAME_LIMIT and not _INVALID.search(name):
        return name
    return _fit(name, hashlib.sha256(name.encode()).hexdigest()[:8])


def endpoint_config(prefix: str, dataset: str, model_version: int, deployment_id: str) -> str:
    """Names carry the model version (`...-v7-<id>`): a redeploy of the same version (another
    strategy, after a rollback) gets a new config, and the version is readable in the console."""
    if model_version < 1:
        raise ValueError(f"model versions start at 1, got {model_version}")
    digest = hashlib.sha256(deployment_id.encode()).hexdigest()[:8]
    return _fit(f"{prefix}-{dataset}", f"v{model_version}-{digest}")


def model(prefix: str, dataset: str, model_version: int) -> str:
    """The SageMaker Model of one model package version (created once, reused by redeploys)."""
    if model_version < 1:
        raise ValueError(f"model versions start at 1, got {model_version}")
    return _fit(f"{prefix}-{dataset}", f"v{model_version}")


def alarm(prefix: str, dataset: str, metric: str) -> str:
    """The rollback alarm on one endpoint metric; named in the DeploymentConfig."""
    return f"{prefix}-{dataset}-{metric}"


def version_of(endpoint_config_name: str) -> int | None:
    """The model version an endpoint config was named with, None for a foreign config."""
    match = re.search(r"-v(\d+)-[0-9a-f]{8}$", endpoint_config_name)
    return int(match.group(1)) if match else None


def version_pattern(prefix: str, dataset: str) -> str:
    """An IAM name pattern matching every `model` and `endpoint_config` name of the dataset
    (`<prefix>-<dataset>-v*`; for names long enough to be shortened, the part every version's
    shortening keeps, then `*`)."""
    base = _INVALID.sub("-", f"{prefix}-{dataset}")
    room = NAME_LIMIT - len("v99999-00000000") - 1
    if len(base) <= room:
        return f"{base.strip('-')}-v*"
    return f"{base[:room].strip('-')}*"
