import json
import math
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import pytest
from sklearn.metrics import (  # type: ignore[import-untyped]  # sklearn ships no type hints
    accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

from tests.unit.training.conftest import Container, load_entry_point, split_example_data

METRICS = {"auc", "accuracy", "precision", "recall", "f1", "logloss"}


def test_writes_binary_classification_metrics_from_a_model_directory(trained: Container) -> None:
    run = trained.evaluate()  # --model is the training job's model directory

    assert run.returncode == 0, run.stderr
    document = json.loads((trained.evaluation_dir / "evaluation.json").read_text())
    metrics = document["binary_classification_metrics"]
    assert set(metrics) >= METRICS
    for name in METRICS:
        assert metrics[name]["standard_deviation"] == "NaN"
        assert isinstance(metrics[name]["value"], float)
    assert metrics["auc"]["value"] > 0.95
    matrix = metrics["confusion_matrix"]
    held_out = json.loads((trained.model_dir / "holdout.json").read_text())
    validated = trained.metrics()["rows"]["validation"]  # type: ignore[index]
    assert sum(matrix[a][b] for a in "01" for b in "01") == held_out["rows"] == validated
    assert document["evaluation"] == {
        "rows": validated,
        "evaluated_on": f"{validated} held-out row(s), held-out 20% (seed 0)",
    }


def test_only_the_held_out_rows_are_scored_and_they_are_unseen(trained: Container) -> None:
    held_out = json.loads((trained.model_dir / "holdout.json").read_text())
    assert held_out["key"] == "ids" and held_out["id_columns"] == ["sample_id"]
    training_rows = pd.concat(
        [pd.read_csv(trained.train_channel / "part-0.csv"), pd.read_csv(trained.train_channel / "part-1.csv.gz")]
    )
    assert set(held_out["keys"]) < set(training_rows["sample_id"])  # a subset of the data version
    evaluate = load_entry_point("evaluate")
    selected, _ = evaluate.select_holdout(pd.read_parquet(trained.test_channel / "test.parquet"), held_out)
    assert sorted(selected["sample_id"]) == held_out["keys"]
    # file order does not matter: shuffled and split differently, the same rows are selected
    shuffled = training_rows.sample(frac=1.0, random_state=3)
    again, _ = evaluate.select_holdout(shuffled, held_out)
    assert sorted(again["sample_id"]) == held_out["keys"]


def test_gate_metrics_ignore_the_evaluation_summary(trained: Container) -> None:
    from mlops.pipeline.gate import metrics_from_evaluation

    trained.evaluate()
    document = json.loads((trained.evaluation_dir / "evaluation.json").read_text())
    assert set(metrics_from_evaluation(document)) == METRICS


def test_test_data_without_the_held_out_rows_fails_clearly(
    trained: Container, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluate = load_entry_point("evaluate")
    unseen = tmp_path / "unseen"
    unseen.mkdir()
    split_example_data()[1].to_csv(unseen / "other.csv", index=False)  # rows the model never saw at all
    assert evaluate.main(["--model", str(trained.model_dir), "--test", str(unseen), "--output", str(tmp_path)]) == 1
    assert "none of the" in capsys.readouterr().err
    partial = tmp_path / "partial"
    partial.mkdir()
    frame = pd.read_parquet(trained.test_channel / "test.parquet")
    held = json.loads((trained.model_dir / "holdout.json").read_text())["keys"]
    frame[frame["sample_id"] != held[0]].to_csv(partial / "part.csv", index=False)
    assert evaluate.main(["--model", str(trained.model_dir), "--test", str(partial), "--output", str(tmp_path)]) == 1
    assert f"1 of the {len(held)} held-out row(s) are missing" in capsys.readouterr().err


def test_without_id_columns_rows_are_matched_by_fingerprint(container: Container) -> None:
    for path in container.train_channel.iterdir():
        frame = pd.read_csv(path)
        frame.drop(columns=["sample_id"]).to_csv(path, index=False, compression="infer")
    test = pd.read_parquet(container.test_channel / "test.parquet").drop(columns=["sample_id"])
    test.to_parquet(container.test_channel / "test.parquet", index=False)
    assert container.train("--num_round", "5").returncode == 0
    held_out = json.loads((container.model_dir / "holdout.json").read_text())
    assert held_out["key"] == "fingerprint" and len(held_out["keys"]) == held_out["rows"]
    run = container.evaluate()
    assert run.returncode == 0, run.stderr
    document = json.loads((container.evaluation_dir / "evaluation.json").read_text())
    assert document["evaluation"]["rows"] == held_out["rows"]


def test_a_model_without_a_holdout_record_scores_every_row(trained: Container, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(trained.model_dir, model)
    (model / "holdout.json").unlink()
    run = trained.evaluate("--model", str(model), "--output", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert document["evaluation"]["evaluated_on"] == "all rows (no holdout recorded)"
    assert document["evaluation"]["rows"] == len(pd.read_parquet(trained.test_channel / "test.parquet"))


def test_with_a_validation_channel_every_test_row_is_scored(container: Container, tmp_path: Path) -> None:
    validation = tmp_path / "validation"
    validation.mkdir()
    split_example_data()[1].to_csv(validation / "v.csv", index=False)
    run = container.train("--num_round", "5", SM_CHANNEL_VALIDATION=str(validation))
    assert run.returncode == 0, run.stderr
    assert json.loads((container.model_dir / "holdout.json").read_text())["key"] == "all"
    run = container.evaluate("--test", str(validation))
    assert run.returncode == 0, run.stderr
    document = json.loads((container.evaluation_dir / "evaluation.json").read_text())
    assert document["evaluation"]["rows"] == len(split_example_data()[1])


def test_reads_a_model_tar_gz_like_a_training_job_writes_it(trained: Container, tmp_path: Path) -> None:
    archive_dir = tmp_path / "model"
    archive_dir.mkdir()
    with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as tar:
        for path in trained.model_dir.iterdir():
            tar.add(path, arcname=path.name)
    output = tmp_path / "evaluation"

    run = trained.evaluate("--model", str(archive_dir / "model.tar.gz"), "--output", str(output))

    assert run.returncode == 0, run.stderr
    assert json.loads((output / "evaluation.json").read_text())["binary_classification_metrics"]


def test_a_directory_holding_model_tar_gz_is_read_too(trained: Container, tmp_path: Path) -> None:
    evaluate = load_entry_point("evaluate")
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as tar:
        for path in trained.model_dir.iterdir():
            tar.add(path, arcname=path.name)

    assert (
        evaluate.main(["--model", str(tmp_path), "--test", str(trained.test_channel), "--output", str(tmp_path)]) == 0
    )

    assert (tmp_path / "evaluation.json").exists()


def test_test_data_without_the_target_fails_clearly(
    trained: Container, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluate = load_entry_point("evaluate")
    test_dir = tmp_path / "test"
    test_dir.mkdir()
    pd.read_parquet(trained.test_channel / "test.parquet").drop(columns=["diagnosis"]).to_csv(
        test_dir / "test.csv", index=False
    )
    output = tmp_path / "evaluation"

    code = evaluate.main(["--model", str(trained.model_dir), "--test", str(test_dir), "--output", str(output)])

    assert code == 1
    assert "test data lacks column(s): diagnosis" in capsys.readouterr().err
    assert not (output / "evaluation.json").exists()


def test_a_missing_model_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evaluate = load_entry_point("evaluate")

    assert evaluate.main(["--model", str(tmp_path / "nothing"), "--test", str(tmp_path)]) == 1

    assert "no model at" in capsys.readouterr().err


def test_metrics_agree_with_scikit_learn() -> None:
    evaluate = load_entry_point("evaluate")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=300).astype(np.float64)
    scores = np.clip(labels * 0.3 + rng.random(300) * 0.7, 0, 1).round(2)  # rounded: ties exercise ranking

    metrics = evaluate.binary_metrics(labels, scores)["binary_classification_metrics"]

    predicted = (scores >= 0.5).astype(int)
    assert metrics["auc"]["value"] == pytest.approx(roc_auc_score(labels, scores))
    assert metrics["accuracy"]["value"] == pytest.approx(accuracy_score(labels, predicted))
    assert metrics["precision"]["value"] == pytest.approx(precision_score(labels, predicted))
    assert metrics["recall"]["value"] == pytest.approx(recall_score(labels, predicted))
    assert metrics["f1"]["value"] == pytest.approx(f1_score(labels, predicted))
    assert metrics["logloss"]["value"] == pytest.approx(log_loss(labels, np.clip(scores, 1e-15, 1 - 1e-15)))


def test_auc_of_a_single_class_is_nan() -> None:
    evaluate = load_entry_point("evaluate")
    assert math.isnan(evaluate.roc_auc(np.ones(4), np.array([0.1, 0.2, 0.3, 0.4])))


def test_a_model_without_features_json_needs_the_target_from_the_job(trained: Container, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(trained.model_dir, model)
    (model / "features.json").unlink()

    unnamed = trained.evaluate("--model", str(model), "--output", str(tmp_path / "unnamed"))
    assert unnamed.returncode == 1
    assert "the model has no features.json: pass the dataset's target column with --target" in unnamed.stderr
    assert not (tmp_path / "unnamed" / "evaluation.json").exists()

    named = trained.evaluate("--model", str(model), "--output", str(tmp_path / "named"), "--target", "diagnosis")
    assert named.returncode == 0, named.stderr
    assert json.loads((tmp_path / "named" / "evaluation.json").read_text())["binary_classification_metrics"]


@pytest.mark.parametrize("value", ['"sample_id"', "[1]", "nope"])
def test_malformed_id_columns_arguments_are_refused(trained: Container, tmp_path: Path, value: str) -> None:
    run = trained.evaluate("--output", str(tmp_path / "out"), "--target", "diagnosis", "--id-columns", value)
    assert run.returncode == 1
    assert "--id-columns" in run.stderr
