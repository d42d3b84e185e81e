"""Job names, hyperparameters and the run key of a training run: pure logic."""

import re

import pytest

from mlops.hyperparameters import InvalidHyperparametersError
from mlops.pipeline.resolve import JOB_NAME_LIMIT, job_name, merge_hyperparameters, run_key_of

SAGEMAKER_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def test_job_names_are_valid_prefixed_and_unique_per_execution() -> None:
    long = "drift_retrain:" + "x" * 80
    for execution in ("run-1", "Run_2026.11.22", long, "---"):
        name = job_name("tumor-classifier-dev", execution)
        assert SAGEMAKER_JOB_NAME.match(f"{name}-t12"), name
        assert len(name) <= JOB_NAME_LIMIT
        assert name.startswith("tumor-classifier-dev-")
    assert job_name("p-dev", long) != job_name("p-dev", long + "y")
    assert job_name("p-dev", "run-1") == job_name("p-dev", "run-1")


def test_overrides_win_the_code_location_always_wins_and_everything_is_a_string() -> None:
    merged = merge_hyperparameters(
        {"num_round": 200, "eta": 0.1, "objective": "binary:logistic"},
        {"eta": "0.3", "max_depth": 6},
        {"sagemaker_program": "train.py"},
    )
    assert merged == {
        "num_round": "200",
        "eta": "0.3",
        "max_depth": "6",
        "objective": "binary:logistic",
        "sagemaker_program": "train.py",
    }


def test_merging_rejects_what_the_training_script_would_with_every_problem() -> None:
    """An execution started without the CLI (boto3, the console, drift retraining) is checked too."""
    with pytest.raises(InvalidHyperparametersError) as caught:
        merge_hyperparameters(
            {"num_round": 200},
            {"num_round": "abc", "bogus_param": 1, "sagemaker_program": "evil.py", "validation_fraction": 1.5},
            {"sagemaker_program": "train.py"},
        )
    assert caught.value.error_name == "Mlops.InvalidHyperparameters"
    assert {p.path for p in caught.value.problems} == {
        "hyperparameters.num_round",
        "hyperparameters.bogus_param",
        "hyperparameters.sagemaker_program",
        "hyperparameters.validation_fraction",
    }


def _key(data: str = "d1", code: str = "c1", image: str = "xgboost:1.7-1", **hyperparameters: str) -> str:
    return run_key_of(
        data, code, image, {"sagemaker_submit_directory": f"s3://assets/{code}.tar.gz", **hyperparameters}
    )


def test_the_run_key_changes_with_what_is_trained_and_only_with_that() -> None:
    base = _key(num_round="200")
    assert _key() == base  # the declared default, set by hand or not, is the same run
    assert _key(num_round="200", max_depth="4") == base
    assert len({base, _key(num_round="201"), _key("d2"), _key(code="c2"), _key(image="xgboost:3.2-0")}) == 5
