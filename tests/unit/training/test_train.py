import json
from types import ModuleType

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
