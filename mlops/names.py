"""Physical names of the platform's resources, derived from the config alone.

The stacks create resources under these names and the CLI finds them by the same rule, so
neither needs CloudFormation exports or lookups. Bucket names embed account and region
because S3 names are global."""

from __future__ import annotations

from mlops.config import ProjectConfig


def bucket(config: ProjectConfig, purpose: str, account: str, region: str | None = None) -> str:
    return f"{config.prefix}-{purpose}-{account}-{region or config.settings.region}"


def data_bucket(config: ProjectConfig, account: str) -> str:
    return bucket(config, "data", account)


def artifacts_bucket(config: ProjectConfig, account: str) -> str:
    return bucket(config, "artifacts", account)


def registry_table(config: ProjectConfig) -> str:
    return f"{config.prefix}-registry"


def event_bus(config: ProjectConfig) -> str:
    return f"{config.prefix}-events"


def event_source(config: ProjectConfig) -> str:
    return f"mlops.{config.project}"


def notifications_topic(config: ProjectConfig) -> str:
    return f"{config.prefix}-notifications"


def ingestion_state_machine(config: ProjectConfig) -> str:
    return f"{config.prefix}-ingestion"


def model_package_group(config: ProjectConfig, dataset: str) -> str:
    return f"{config.prefix}-{dataset}"


def training_state_machine(config: ProjectConfig) -> str:
    return f"{config.prefix}-training"


def batch_state_machine(config: ProjectConfig) -> str:
    return f"{config.prefix}-batch-inference"


def deploy_state_machine(config: ProjectConfig) -> str:
    """The serving stack's deploy workflow (its metrics are on the monitoring dashboard)."""
    return f"{config.prefix}-deploy"


def drift_schedule(config: ProjectConfig, dataset: str) -> str:
    """The EventBridge Scheduler schedule of one dataset's drift checks (64 characters at most)."""
    return f"{config.prefix}-drift-{dataset}"[:64]


def drift_alarm(config: ProjectConfig, dataset: str, signal: str) -> str:
    return f"{config.prefix}-{dataset}-{signal}"
