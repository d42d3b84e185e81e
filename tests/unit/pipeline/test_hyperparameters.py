"""The training script's hyperparameters: declared once (training/hyperparameters.py) and
checked with every problem listed wherever a person sets them: the config and the command line."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from mlops import config, training_hyperparameters
from mlops.errors import ConfigError
from stacks import packaging
from tests.unit.test_config import EXAMPLE, problems_of

DECLARATION = EXAMPLE.parent / "training" / "hyperparameters.py"


@pytest.fixture
def document() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return loaded


def test_config_hyperparameters_are_checked_with_every_problem_listed(document: dict[str, Any]) -> None:
    document["training"]["hyperparameters"].update(
        {"bogus_param": 1, "num_round": "abc", "eta": 2, "objective": "reg:squarederror", "sagemaker_program": "x.py"}
    )
    found = problems_of(document)
    where = "training.hyperparameters."
    assert set(found) == {f"{where}{k}" for k in ("bogus_param", "num_round", "eta", "objective", "sagemaker_program")}
    assert "unknown hyperparameter" in found[f"{where}bogus_param"]
    assert "expected an integer" in found[f"{where}num_round"]
    assert "at most 1" in found[f"{where}eta"]


def test_hyperparameter_problems_are_listed_beside_structural_ones(document: dict[str, Any]) -> None:
    document["training"]["framework"] = "pytorch"
    document["environments"]["dev"]["training"]["hyperparameters"] = {"max_depth": 0}
    found = problems_of(document)
    assert {"training.framework", "training.hyperparameters.max_depth"} <= set(found)


def test_an_environment_may_override_a_hyperparameter_with_a_valid_value(document: dict[str, Any]) -> None:
    document["environments"]["prod"]["training"] = {"hyperparameters": {"num_round": 500}}
    assert config.resolve(document, "prod").training.hyperparameters["num_round"] == 500
    document["environments"]["prod"]["training"] = {"hyperparameters": {"num_round": -1}}
    with pytest.raises(ConfigError):
        config.resolve(document, "prod")


def test_mlops_and_the_training_script_read_the_same_declaration() -> None:
    assert Path(training_hyperparameters.__file__).resolve() == DECLARATION.resolve()
    # ... and every artifact built from the repository carries those bytes
    files = packaging.asset_files("pipeline_resolve")
    assert files["mlops/training_hyperparameters.py"].read_bytes() == DECLARATION.read_bytes()


def test_the_training_code_archive_carries_the_declaration(tmp_path: Path) -> None:
    archive = packaging.source_archive(DECLARATION.parent, tmp_path)
    with tarfile.open(fileobj=io.BytesIO(archive.read_bytes())) as tar:
        member = tar.extractfile("hyperparameters.py")
        assert member is not None and member.read() == DECLARATION.read_bytes()


def test_every_declared_default_is_itself_valid() -> None:
    defaults = {name: field.default for name, field in training_hyperparameters.FIELDS.items()}
    assert training_hyperparameters.check(defaults, by_hand=False)[1] == []
