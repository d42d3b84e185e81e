import json
from types import ModuleType

import pandas as pd  # type: ignore[import-untyped]
import pytest

from tests.unit.training.conftest import Container, load_entry_point


@pytest.fixture(scope="module")
def train() -> ModuleType:
    return load_entry_point("train")


# ----- the real entry point in a subprocess


def test_trains_a_model_following_the_container_contract(container: Container) -> None:
    container.hyperparameters(num_round=60, max_depth=3, eta=0.2, objective="binary:logistic", target="diagnosis")

    run = container.train()

    assert run.returncode == 0, run.stderr
    model = json.loads((container.model_dir / "xgboost-model").read_text())
    assert "learner" in model  # XGBoost's JSON model format
    described = json.loads((container.model_dir / "features.json").read_text())
    assert described["target"] == "diagnosis"
    assert described["features"][0] == "mean_radius" and len(described["features"]) == 30
    assert "sample_id" not in described["features"]
    metrics = container.metrics()
    assert metrics["validation"]["auc"] > 0.95  # type: ignore[index]
    rows = metrics["rows"]
    assert rows["train"] + rows["validation"] == 449  # type: ignore[index]
    assert 80 <= rows["validation"] <= 100  # type: ignore[index]
    assert metrics["num_round"] == 60
    assert metrics["device"] in {"cpu", "cuda"}
    assert f"device: {metrics['device']}" in run.stderr
    assert "final validation-auc:" in run.stdout
    assert not (container.output_dir / "failure").exists()
    assert any(container.checkpoint_dir.glob("xgboost-checkpoint.*.json"))


def test_resumes_from_the_newest_checkpoint_exactly(container: Container) -> None:
    common = ("--early_stopping_rounds", "0", "--checkpoint_frequency", "5")

    short = container.train("--num_round", "10", *common)
    assert short.returncode == 0, short.stderr
    assert container.metrics()["resumed_from_round"] == 0
    assert (container.checkpoint_dir / "xgboost-checkpoint.10.json").exists()

    longer = container.train("--num_round", "25", *common)

    assert longer.returncode == 0, longer.stderr
    assert "resuming from checkpoint xgboost-checkpoint.10.json after 10 round(s)" in longer.stderr
    metrics = container.metrics()
    assert metrics["resumed_from_round"] == 10
    assert metrics["rounds_this_run"] == 15
    assert metrics["rounds_trained"] == 25
    kept = sorted(p.name for p in container.checkpoint_dir.glob("xgboost-checkpoint.*.json"))
    assert kept == ["xgboost-checkpoint.20.json", "xgboost-checkpoint.25.json"]
    resumed_model = (container.model_dir / "xgboost-model").read_bytes()

    # an uninterrupted run gives the very same model: training is deterministic and resuming loses nothing
    fresh = container.train("--num_round", "25", *common, "--checkpoint-dir", str(container.root / "fresh"))

    assert fresh.returncode == 0, fresh.stderr
    assert "training from scratch" in fresh.stderr
    assert (container.model_dir / "xgboost-model").read_bytes() == resumed_model


def test_missing_target_column_fails_with_a_reason(container: Container) -> None:
    run = container.train("--num_round", "5", "--target", "outcome")

    assert run.returncode == 1
    assert "target column 'outcome' is missing" in run.stderr
    failure = (container.output_dir / "failure").read_text()
    assert failure.startswith("TrainingError: target column 'outcome' is missing")
    assert not (container.model_dir / "xgboost-model").exists()


# ----- the same entry point in-process (fast): argument handling and the other failure paths


def test_arguments_override_hyperparameters_json_and_the_device_can_be_forced(
    train: ModuleType, container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    container.use(monkeypatch)
    monkeypatch.setenv("MLOPS_DEVICE", "cpu")
    container.hyperparameters(num_round=60, eta=0.3)
    caplog.set_level("INFO")

    assert train.main(["--num_round", "5", "--early-stopping-rounds", "0", "--unknown-flag", "x"]) == 0

    metrics = container.metrics()
    assert metrics["rounds_trained"] == 5
    assert metrics["device"] == "cpu"
    assert "device: cpu" in caplog.text
    assert "ignoring unknown arguments: --unknown-flag x" in caplog.text


def test_a_finished_checkpoint_is_not_trained_further(
    train: ModuleType, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container.use(monkeypatch)
    assert train.main(["--num_round", "8", "--early_stopping_rounds", "0"]) == 0

    assert train.main(["--num_round", "8", "--early_stopping_rounds", "0"]) == 0

    metrics = container.metrics()
    assert metrics["resumed_from_round"] == 8
    assert metrics["rounds_this_run"] == 0
    assert metrics["rounds_trained"] == 8
    assert metrics["validation"]["auc"] > 0.9  # type: ignore[index]


def test_bad_data_fails_with_a_reason(
    train: ModuleType, container: Container, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    container.use(monkeypatch)
    (container.train_channel / "part-2.csv").write_text("sample_id,mean_radius,diagnosis\nS99999,abc,maybe\n")

    assert train.main(["--num_round", "5"]) == 1

    assert "ERROR TrainingError" in capsys.readouterr().err
    assert "TrainingError" in (container.output_dir / "failure").read_text()


def test_labels_other_than_zero_and_one_fail(
    train: ModuleType, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container.use(monkeypatch)
    for path in container.train_channel.iterdir():
        path.unlink()
    (container.train_channel / "data.csv").write_text("x,diagnosis\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))

    assert train.main([]) == 1

    assert "must be 0/1" in (container.output_dir / "failure").read_text()


def test_an_empty_channel_fails_with_a_reason(
    train: ModuleType, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container.use(monkeypatch)
    for path in container.train_channel.iterdir():
        path.unlink()

    assert train.main([]) == 1

    assert "no .csv, .csv.gz or .parquet files" in (container.output_dir / "failure").read_text()


def test_an_invalid_device_override_fails(
    train: ModuleType, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container.use(monkeypatch)
    monkeypatch.setenv("MLOPS_DEVICE", "tpu")

    assert train.main(["--num_round", "2"]) == 1

    assert "MLOPS_DEVICE" in (container.output_dir / "failure").read_text()


# ----- the dataset's schema comes from the pipeline (mlops/pipeline/job_contract.py)


def rename_columns(container: Container, renames: dict[str, str]) -> None:
    """Every file of the train and test channels, with the example's columns renamed."""
    for path in [*container.train_channel.iterdir(), *container.test_channel.iterdir()]:
        if path.name.endswith(".parquet"):
            pd.read_parquet(path).rename(columns=renames).to_parquet(path, index=False)
        else:
            pd.read_csv(path).rename(columns=renames).to_csv(path, index=False)


def test_another_datasets_target_and_id_columns_are_used_not_the_examples(container: Container) -> None:
    rename_columns(container, {"diagnosis": "label", "sample_id": "case"})
    container.hyperparameters(num_round=20, target="label", id_columns=json.dumps(["case"]))

    run = container.train()

    assert run.returncode == 0, run.stderr
    described = json.loads((container.model_dir / "features.json").read_text())
    assert (described["target"], described["id_columns"]) == ("label", ["case"])
    assert "case" not in described["features"] and "label" not in described["features"]
    assert len(described["features"]) == 30
    held_out = json.loads((container.model_dir / "holdout.json").read_text())
    assert (held_out["key"], held_out["id_columns"]) == ("ids", ["case"])

    evaluated = container.evaluate("--target", "label", "--id-columns", json.dumps(["case"]))
    assert evaluated.returncode == 0, evaluated.stderr
    document = json.loads((container.evaluation_dir / "evaluation.json").read_text())
    assert document["binary_classification_metrics"]["auc"]["value"] > 0.9

    # the job names another target than the model was trained for: refused, not scored
    wrong = container.evaluate("--target", "diagnosis", "--id-columns", json.dumps(["case"]))
    assert wrong.returncode == 1
    assert "the model was trained for target 'label', the job evaluates target 'diagnosis'" in wrong.stderr
    wrong_ids = container.evaluate("--target", "label", "--id-columns", json.dumps(["sample_id"]))
    assert wrong_ids.returncode == 1
    assert "trained with id columns ['case'], the job passes ['sample_id']" in wrong_ids.stderr


def test_without_a_target_hyperparameter_training_fails_saying_so(container: Container) -> None:
    (container.config / "hyperparameters.json").write_text(json.dumps({"num_round": "5"}))

    run = container.train()

    assert run.returncode == 1
    failure = (container.output_dir / "failure").read_text()
    assert failure.startswith("TrainingError: hyperparameter 'target' is required")
    assert not (container.model_dir / "xgboost-model").exists()


@pytest.mark.parametrize(
    ("value", "columns"),
    [('["a", "b,c"]', ["a", "b,c"]), (["a"], ["a"]), ("a, b", ["a", "b"]), ("", []), ("[]", [])],
)
def test_id_columns_are_a_json_list_or_comma_separated(train: ModuleType, value: object, columns: list[str]) -> None:
    assert train.parse_columns(value) == columns


@pytest.mark.parametrize("value", ["[1, 2]", '["a", ""]', "[not json"])
def test_malformed_id_columns_fail_clearly(train: ModuleType, value: str) -> None:
    with pytest.raises(train.TrainingError, match="id_columns"):
        train.parse_columns(value)
