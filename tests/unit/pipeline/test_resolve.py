"""Job names and hyperparameters of a training run: pure logic."""

import re

from mlops.pipeline.resolve import JOB_NAME_LIMIT, job_name, merge_hyperparameters

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
        {"num_round": 200, "eta": 0.1, "flag": True},
        {"eta": 0.3, "sagemaker_program": "evil.py"},
        {"sagemaker_program": "train.py"},
    )
    assert merged == {"num_round": "200", "eta": "0.3", "flag": "true", "sagemaker_program": "train.py"}
