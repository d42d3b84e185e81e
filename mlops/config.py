"""Typed project configuration.

One `mlops.yaml` drives the CDK app, the Lambdas (through environment variables) and the CLI.
The file has shared settings at the top level and per-environment overrides under
`environments.<name>`; the selected environment's section is deep-merged over the shared
settings and the result is validated as a whole.

Validation never stops at the first problem: structural errors from pydantic and the
cross-field checks below are collected into one `ConfigError` listing every problem with
its path.

Two sections have modules of their own, re-exported here (import from mlops.config):
`datasets:` (config_datasets.py) and `drift:` (config_drift.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlops import hyperparameters as script_hyperparameters
from mlops.config_datasets import (
    NUMERIC_DTYPES,
    ColumnSpec,
    DatasetConfig,
    DatasetFormat,
    Dtype,
    RowCount,
    dataset_problems,
)
from mlops.config_drift import (
    CATEGORICAL_DRIFT_METHODS,
    DRIFT_METHOD_THRESHOLDS,
    NUMERIC_DRIFT_METHODS,
    P_VALUE_DRIFT_METHODS,
    DriftConfig,
    DriftMethod,
    FeatureDriftConfig,
    MinSamples,
)
from mlops.errors import ConfigError, ConfigProblem

__all__ = [
    "CATEGORICAL_DRIFT_METHODS",
    "DRIFT_METHOD_THRESHOLDS",
    "NUMERIC_DRIFT_METHODS",
    "NUMERIC_DTYPES",
    "P_VALUE_DRIFT_METHODS",
    "ColumnSpec",
    "DatasetConfig",
    "DatasetFormat",
    "DriftConfig",
    "DriftMethod",
    "Dtype",
    "FeatureDriftConfig",
    "MinSamples",
    "RowCount",
]

DEFAULT_CONFIG_FILE = "mlops.yaml"
DEFAULT_ENVIRONMENT = "dev"

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# Training, quality gate, deployment, drift


class VpcConfig(_Model):
    """Run training and evaluation jobs in your VPC (private subnets with S3 access, e.g. a
    gateway endpoint); with `training.network_isolation` the container has no network at all."""

    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(min_length=1, max_length=16)
    security_group_ids: list[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(min_length=1, max_length=5)


class TrainingConfig(_Model):
    framework: Literal["xgboost"] = "xgboost"
    #: the sagemaker-xgboost image whose XGBoost matches the pinned xgboost (what trains locally)
    framework_version: str = "3.2-0"
    entry_point: str = "train.py"
    source_dir: str = "training"
    instance_type: str = Field(default="ml.g5.xlarge", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    instance_count: int = Field(default=1, ge=1, le=20)
    volume_size_gb: int = Field(default=30, ge=1, le=16384)
    use_spot: bool = True
    max_run_seconds: int = Field(default=3600, ge=60, le=28 * 24 * 3600)
    max_wait_seconds: int | None = Field(default=None, ge=60)
    hyperparameters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    network_isolation: bool = False
    vpc: VpcConfig | None = None


class MetricDirection(StrEnum):
    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


class QualityGateConfig(_Model):
    metric: str = Field(min_length=1)
    direction: MetricDirection = MetricDirection.MAXIMIZE
    threshold: float
    max_regression: float = Field(default=0.0, ge=0.0)


class DeploymentStrategy(StrEnum):
    CANARY = "canary"
    LINEAR = "linear"
    ALL_AT_ONCE = "all_at_once"


class AlarmConfig(_Model):
    metric: Literal["Invocation5XXErrors", "Invocation4XXErrors", "ModelLatency", "OverheadLatency"]
    threshold: float = Field(ge=0)
    evaluation_periods: int = Field(default=2, ge=1)
    period_seconds: Literal[10, 30, 60, 300] = 60


class DeploymentConfig(_Model):
    instance_type: str = Field(default="ml.m5.large", pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
    instance_count: int = Field(default=1, ge=1, le=50)
    strategy: DeploymentStrategy = DeploymentStrategy.CANARY
    canary_size_percent: int = Field(default=10, ge=1, le=99)
    linear_step_percent: int = Field(default=25, ge=1, le=50)
    bake_time_seconds: int = Field(default=600, ge=0, le=3600)
    data_capture_percent: int = Field(default=100, ge=0, le=100)
    alarms: list[AlarmConfig] = Field(default_factory=list)


class NotificationsConfig(_Model):
    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(default_factory=list)


class LambdaConfig(_Model):
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    memory_mb: int = Field(default=1024, ge=128, le=10240)
    timeout_seconds: int = Field(default=300, ge=1, le=900)
    reserved_concurrency: int | None = Field(default=None, ge=1)
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 180, 365, 731, 1827, 3653] = 30
    # AWS-managed layer versions for the python3.14 runtime. Powertools numbers are the same in
    # every region; AWS SDK for pandas numbers differ per region and runtime: look yours up on
    # its "AWS Lambda Managed Layers" page and set it per environment.
    powertools_layer_version: int = Field(default=27, ge=1)
    sdk_pandas_layer_version: int = Field(default=6, ge=1)


class DataLakeConfig(_Model):
    noncurrent_version_expiration_days: int = Field(default=365, ge=1)
    access_log_retention_days: int = Field(default=90, ge=1)
    max_uncompressed_bytes: int = Field(default=2 * 1024**3, ge=1024)


class CiConfig(_Model):
    """GitHub Actions access to this environment (stacks/ci_access_stack.py, examples/ci/): roles
    that workflows of `repository` assume through GitHub's OIDC provider, no long-lived keys.
    Without this section no CI stack is built."""

    #: `owner/name` on GitHub; the roles trust tokens of this repository only
    repository: str = Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
    #: reuse the account's provider (an account has at most one per URL); unset: the stack creates it
    oidc_provider_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
    )
    #: deploy from pushes to this branch (token subject `repo:OWNER/NAME:ref:refs/heads/BRANCH`) or
    #: from jobs in this GitHub environment (`repo:OWNER/NAME:environment:NAME`): exactly one
    deploy_branch: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._/-]{1,200}$")
    deploy_environment: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,255}$")
    #: a lookup-only role that pull requests assume for `cdk diff` (`repo:OWNER/NAME:pull_request`)
    pull_request_diff: bool = False
    #: IAM's shortest maximum session is one hour
    max_session_hours: int = Field(default=1, ge=1, le=12)


# --------------------------------------------------------------------------------------------
# The whole config


class EnvironmentSettings(_Model):
    """Everything that is allowed to differ between environments."""

    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = "us-east-1"
    removal_policy: Literal["retain", "destroy"] = "retain"
    model_approval: Literal["Approved", "PendingManualApproval"] = "PendingManualApproval"


class ProjectConfig(_Model):
    """The validated configuration of one environment."""

    project: Slug
    environment: Slug
    cost_center: str = Field(min_length=1, max_length=64)
    settings: EnvironmentSettings = EnvironmentSettings()
    data_lake: DataLakeConfig = DataLakeConfig()
    datasets: dict[Slug, DatasetConfig] = Field(min_length=1)
    training: TrainingConfig = TrainingConfig()
    quality_gate: QualityGateConfig
    deployment: DeploymentConfig = DeploymentConfig()
    drift: DriftConfig = DriftConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    lambdas: LambdaConfig = LambdaConfig()
    ci: CiConfig | None = None

    @property
    def prefix(self) -> str:
        """Name prefix for physical resources: unique per project and environment."""
        return f"{self.project}-{self.environment}"

    def tags(self) -> dict[str, str]:
        return {"project": self.project, "environment": self.environment, "cost-center": self.cost_center}

    def to_json(self) -> str:
        return self.model_dump_json()


def _hyperparameter_problems(values: Mapping[str, object]) -> list[ConfigProblem]:
    """The training script's own declaration decides (see mlops/hyperparameters.py)."""
    return script_hyperparameters.problems(values, lambda key: f"training.hyperparameters.{key}")


def _training_problems(training: TrainingConfig) -> Iterable[ConfigProblem]:
    yield from _hyperparameter_problems(training.hyperparameters)
    yield from _spot_problems(training)


def _spot_problems(training: TrainingConfig) -> Iterable[ConfigProblem]:
    if training.use_spot:
        if training.max_wait_seconds is None:
            yield ConfigProblem("training.max_wait_seconds", "required when use_spot is true")
        elif training.max_wait_seconds < training.max_run_seconds:
            yield ConfigProblem("training.max_wait_seconds", "must be at least max_run_seconds (SageMaker rule)")


def _drift_problems(config: ProjectConfig) -> Iterable[ConfigProblem]:
    drift = config.drift
    if drift.numeric_method not in NUMERIC_DRIFT_METHODS:
        yield ConfigProblem("drift.numeric_method", f"{drift.numeric_method} does not apply to numeric features")
    if drift.categorical_method not in CATEGORICAL_DRIFT_METHODS:
        yield ConfigProblem(
            "drift.categorical_method", f"{drift.categorical_method} does not apply to categorical features"
        )
    dtypes: dict[str, set[bool]] = {}
    for ds in config.datasets.values():
        for column in ds.columns:
            dtypes.setdefault(column.name, set()).add(column.dtype in NUMERIC_DTYPES)
    for feature in drift.feature_thresholds:
        if feature not in dtypes:
            yield ConfigProblem(f"drift.feature_thresholds.{feature}", f"no dataset has a column {feature!r}")
    for feature, spec in drift.features.items():
        where = f"drift.features.{feature}"
        if feature not in dtypes:
            yield ConfigProblem(where, f"no dataset has a column {feature!r}")
            continue
        if spec.threshold is not None and feature in drift.feature_thresholds:
            yield ConfigProblem(where, "threshold is also set in drift.feature_thresholds; set it in one place")
        allowed: set[DriftMethod] = set()
        for numeric in dtypes[feature]:
            allowed |= NUMERIC_DRIFT_METHODS if numeric else CATEGORICAL_DRIFT_METHODS
        if spec.method is not None and spec.method not in allowed:
            methods = ", ".join(sorted(allowed))
            yield ConfigProblem(f"{where}.method", f"{spec.method} does not apply to {feature!r} (use {methods})")
    # a p-value threshold of 1 or more would call every feature drifted
    checks = [
        ("drift.default_threshold", drift.numeric_method, drift.default_threshold or 0.0),
        ("drift.categorical_threshold", drift.categorical_method, drift.categorical_threshold or 0.0),
    ]
    for feature in sorted(set(drift.feature_thresholds) | set(drift.features)):
        for numeric in dtypes.get(feature, set()):
            checks.append(
                (
                    f"drift.features.{feature}",
                    drift.method_for(feature, numeric=numeric),
                    drift.threshold_for(feature, numeric=numeric),
                )
            )
    for where, method, threshold in checks:
        if method in P_VALUE_DRIFT_METHODS and threshold >= 1:
            yield ConfigProblem(where, f"{method} compares a p-value with the threshold: it must be below 1")


def _ci_problems(raw: object) -> Iterable[ConfigProblem]:
    """On the raw section, so that it is listed beside the section's field errors too."""
    if isinstance(raw, Mapping) and (raw.get("deploy_branch") is None) == (raw.get("deploy_environment") is None):
        yield ConfigProblem("ci", "set exactly one of deploy_branch and deploy_environment")


def _semantic_problems(config: ProjectConfig) -> Iterable[ConfigProblem]:
    """Cross-field checks pydantic's per-field validation cannot express."""
    for ds_name, ds in config.datasets.items():
        yield from dataset_problems(ds_name, ds)
    yield from _drift_problems(config)
    # Bucket names are "<project>-<environment>-<purpose>-<account>-<region>" (<= 63 chars).
    budget = 63 - len("-access-logs-") - 12 - 1 - len(config.settings.region)
    if len(config.prefix) > budget:
        yield ConfigProblem(
            "project",
            f"project and environment names are too long together ({len(config.prefix)} > {budget} characters)",
        )
    yield from _training_problems(config.training)
    if config.ci is not None:
        yield from _ci_problems(config.ci.model_dump())


def _partial_semantic_problems(document: Mapping[str, Any]) -> Iterable[ConfigProblem]:
    """When the whole config does not validate, still run the cross-field checks of every
    section that does, so one run reports every problem."""
    yield from _ci_problems(document.get("ci"))
    datasets = document.get("datasets")
    if isinstance(datasets, Mapping):
        for ds_name, raw in datasets.items():
            try:
                dataset = DatasetConfig.model_validate(raw)
            except ValidationError:
                continue
            yield from dataset_problems(str(ds_name), dataset)
    raw_training = document.get("training")
    raw_hyperparameters = raw_training.get("hyperparameters") if isinstance(raw_training, Mapping) else None
    if isinstance(raw_hyperparameters, Mapping):
        yield from _hyperparameter_problems({str(k): v for k, v in raw_hyperparameters.items()})
    try:
        training = TrainingConfig.model_validate(raw_training or {})
    except ValidationError:
        return
    yield from _spot_problems(training)


class UnknownEnvironmentError(ConfigError):
    """The requested environment is not among the config's `environments` (a caller's mistake
    as much as the file's: the CLI reports it as a bad `--env`)."""


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _pydantic_problems(exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "<root>"
        problems.append(ConfigProblem(path, err["msg"]))
    return problems


def resolve(document: Mapping[str, Any], environment: str = DEFAULT_ENVIRONMENT, *, source: str = "") -> ProjectConfig:
    """Select one environment of a parsed config document and validate it completely."""
    if not isinstance(document, Mapping):
        raise ConfigError([ConfigProblem("<root>", "the config must be a mapping")], source=source)
    shared = {k: v for k, v in document.items() if k != "environments"}
    environments = document.get("environments") or {}
    if not isinstance(environments, Mapping):
        raise ConfigError(
            [ConfigProblem("environments", "must be a mapping of environment name to settings")],
            source=source,
        )
    if environment not in environments:
        known = ", ".join(sorted(environments)) or "none"
        # with no environments at all the file is what is wrong, not the requested name
        error = UnknownEnvironmentError if environments else ConfigError
        raise error(
            [ConfigProblem("environments", f"unknown environment {environment!r} (defined: {known})")],
            source=source,
        )
    override = environments[environment] or {}
    if not isinstance(override, Mapping):
        raise ConfigError([ConfigProblem(f"environments.{environment}", "must be a mapping")], source=source)
    merged = _deep_merge(shared, override)
    merged["environment"] = environment
    try:
        config = ProjectConfig.model_validate(merged)
    except ValidationError as exc:
        problems = _pydantic_problems(exc) + list(_partial_semantic_problems(merged))
        raise ConfigError(problems, source=source) from exc
    problems = list(_semantic_problems(config))
    if problems:
        raise ConfigError(problems, source=source)
    return config


def load(path: str | Path = DEFAULT_CONFIG_FILE, environment: str = DEFAULT_ENVIRONMENT) -> ProjectConfig:
    """Read and validate `path` for `environment`."""
    path = Path(path)
    return resolve(_read(path) or {}, environment, source=str(path))


def _read(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem("<file>", f"cannot read {path}: {exc.strerror}")], source=str(path)) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "<file>"
        raise ConfigError([ConfigProblem(where, f"invalid YAML: {exc}")], source=str(path)) from exc
    return document


def environments(path: str | Path = DEFAULT_CONFIG_FILE) -> list[str]:
    """The environments `path` defines; none where it defines them wrongly (loading one says why).
    Raises ConfigError when the file cannot be read or is not YAML."""
    document = _read(Path(path))
    defined = document.get("environments") if isinstance(document, Mapping) else None
    return sorted(str(name) for name in defined) if isinstance(defined, Mapping) else []


def json_schema() -> str:
    """The JSON Schema of one resolved environment's config."""
    return json.dumps(ProjectConfig.model_json_schema(), indent=2, sort_keys=True)
