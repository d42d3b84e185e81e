"""The dataset's schema as the training and evaluation jobs get it."""

import json

import pytest

from mlops import config as config_module
from mlops.config import DatasetConfig
from mlops.hyperparameters import InvalidHyperparametersError
from mlops.pipeline.job_contract import dataset_hyperparameters, id_columns
from mlops.pipeline.resolve import merge_hyperparameters
from tests.unit.test_config import EXAMPLE


def dataset(target: str, *columns: tuple[str, bool]) -> DatasetConfig:
    return DatasetConfig.model_validate(
        {
            "target": target,
            "columns": [
                {"name": name, "dtype": "string" if unique else "float", "unique": unique} for name, unique in columns
            ],
        }
    )


def test_the_target_and_every_unique_column_in_declaration_order() -> None:
    declared = dataset("label", ("patient", True), ("x", False), ("visit, day", True), ("label", False))
    hyperparameters = dataset_hyperparameters(declared)
    assert hyperparameters["target"] == "label"
    assert json.loads(hyperparameters["id_columns"]) == ["patient", "visit, day"]  # a comma in a name survives


def test_a_dataset_without_unique_columns_has_no_id_columns() -> None:
    assert id_columns(dataset("y", ("x", False), ("y", False))) == []
    assert json.loads(dataset_hyperparameters(dataset("y", ("x", False), ("y", False)))["id_columns"]) == []


def test_the_example_passes_its_own_target_and_id_column() -> None:
    example = config_module.load(EXAMPLE, "dev").datasets["breast-cancer"]
    assert dataset_hyperparameters(example) == {"target": example.target, "id_columns": json.dumps(["sample_id"])}


def test_an_override_of_the_datasets_schema_is_refused_naming_both_keys() -> None:
    schema = dataset_hyperparameters(dataset("y", ("k", True), ("y", False)))
    merged = merge_hyperparameters({"num_round": 10}, {}, schema)
    assert (merged["target"], json.loads(merged["id_columns"])) == ("y", ["k"])
    with pytest.raises(InvalidHyperparametersError) as caught:
        merge_hyperparameters({"num_round": 10}, {"target": "other", "id_columns": "[]"}, schema)
    assert "hyperparameters.target: set by the pipeline" in str(caught.value)
    assert "hyperparameters.id_columns: set by the pipeline" in str(caught.value)
