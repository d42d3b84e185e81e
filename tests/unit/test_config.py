import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops import config
from mlops.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops.yaml"


@pytest.fixture
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return loaded


def problems_of(document: dict[str, Any], environment: str = "dev") -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        config.resolve(document, environment)
    return {p.path: p.message for p in info.value.problems}


def test_example_config_is_valid_in_every_environment() -> None:
    for environment in config.environments(EXAMPLE):
        resolved = config.load(EXAMPLE, environment)
        assert resolved.environment == environment
        assert resolved.datasets, "the example must declare a dataset"


def test_environment_section_is_deep_merged_over_shared_settings(document: dict[str, Any]) -> None:
    dev = config.resolve(document, "dev")
    prod = config.resolve(document, "prod")
    assert dev.settings.model_approval == "Approved"
    assert prod.settings.model_approval == "PendingManualApproval"
    assert prod.deployment.instance_count == 3
    # untouched siblings of an overridden key survive the merge
    assert prod.deployment.strategy == dev.deployment.strategy == config.DeploymentStrategy.CANARY
    assert prod.lambdas.reserved_concurrency == 20 and dev.lambdas.reserved_concurrency is None


def test_training_defaults_to_a_gpu_instance() -> None:
    assert config.TrainingConfig().instance_type == "ml.g5.xlarge"


def test_training_vpc_needs_real_subnet_and_security_group_ids(document: dict[str, Any]) -> None:
    ok = copy.deepcopy(document)
    ok["training"]["vpc"] = {"subnet_ids": ["subnet-0abc1234"], "security_group_ids": ["sg-0abc1234"]}
    assert config.resolve(ok, "dev").training.vpc == config.VpcConfig(
        subnet_ids=["subnet-0abc1234"], security_group_ids=["sg-0abc1234"]
    )
    broken = copy.deepcopy(document)
    broken["training"]["vpc"] = {"subnet_ids": ["vpc-123"], "security_group_ids": []}
    assert {"training.vpc.subnet_ids.0", "training.vpc.security_group_ids"} <= set(problems_of(broken))


def test_every_problem_is_listed_with_its_path(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["project"] = "Not A Slug"
    broken["training"]["instance_count"] = 0
    broken["quality_gate"].pop("threshold")
    broken["deployment"]["strategy"] = "yolo"
    broken["notifications"]["emails"] = ["not-an-email"]
    problems = problems_of(broken)
    assert set(problems) >= {
        "project",
        "training.instance_count",
        "quality_gate.threshold",
        "deployment.strategy",
        "notifications.emails.0",
    }


def test_cross_field_problems_are_all_reported(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    dataset = broken["datasets"]["breast-cancer"]
    dataset["target"] = "no_such_column"
    dataset["columns"].append({"name": "mean_radius", "dtype": "float"})
    dataset["columns"][0]["min"] = 3  # sample_id is a string column
    broken["training"]["max_wait_seconds"] = 60
    broken["drift"]["feature_thresholds"]["ghost"] = 0.1
    problems = problems_of(broken)
    assert "datasets.breast-cancer.target" in problems
    assert any("duplicate column name 'mean_radius'" in m for m in problems.values())
    assert "datasets.breast-cancer.columns.0" in problems
    assert problems["training.max_wait_seconds"] == "must be at least max_run_seconds (SageMaker rule)"
    assert "drift.feature_thresholds.ghost" in problems


def test_spot_training_requires_max_wait(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    del broken["training"]["max_wait_seconds"]
    assert problems_of(broken)["training.max_wait_seconds"] == "required when use_spot is true"


def test_unknown_keys_are_rejected_not_ignored(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["training"]["instance_typo"] = "ml.p3.2xlarge"
    assert "training.instance_typo" in problems_of(broken)


def test_unknown_environment_names_the_defined_ones(document: dict[str, Any]) -> None:
    problems = problems_of(document, "staging")
    assert problems["environments"] == "unknown environment 'staging' (defined: dev, prod)"


def test_too_long_names_are_rejected_before_they_break_bucket_names(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    broken["project"] = "a-very-long-project-name-for-s3"
    assert "project" in problems_of(broken)


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "mlops.yaml"
    path.write_text("project: x\n  bad: [indent\n")
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert info.value.problems[0].path.startswith("line 2")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "absent.yaml")
    assert info.value.exit_code == 2


def test_json_schema_describes_the_config() -> None:
    schema = json.loads(config.json_schema())
    assert schema["title"] == "ProjectConfig"
    assert {"project", "datasets", "quality_gate"} <= set(schema["required"])
