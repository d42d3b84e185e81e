"""Model quality: the evaluation job's metrics on labelled traffic, judged against the serving
model's evaluation within the configured tolerance."""

import math

import numpy as np
import pytest

from mlops.config import MetricDirection
from mlops.monitoring import labels as label_files
from mlops.monitoring import quality
from mlops.monitoring.labels import LabelFileError
from tests.unit.training.conftest import load_entry_point


def test_metrics_agree_with_the_evaluation_job() -> None:
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 2, 300).astype(np.float64)
    scores = np.clip(labels * 0.4 + rng.uniform(0, 0.6, 300), 0, 1)
    scores[:10] = 0.5  # ties and the threshold itself
    ours = quality.binary_metrics(labels.tolist(), scores.tolist())
    theirs = load_entry_point("evaluate").binary_metrics(labels, scores)["binary_classification_metrics"]
    for name, value in ours.items():
        assert value == pytest.approx(theirs[name]["value"]), name


def _assess(labels: list[int], scores: list[float], **kwargs: object) -> quality.QualityResult:
    settings: dict[str, object] = {
        "metric": "auc",
        "direction": MetricDirection.MAXIMIZE,
        "baseline": 0.98,
        "tolerance": 0.05,
        "min_labels": 4,
        "predictions": len(labels),
    } | kwargs
    return quality.assess(labels, scores, **settings)  # type: ignore[arg-type]


def test_a_drop_beyond_the_tolerance_is_degraded() -> None:
    good = _assess([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert good.verdict == "ok" and good.value == 1.0 and good.drop == pytest.approx(-0.02)
    bad = _assess([0, 0, 1, 1], [0.9, 0.2, 0.8, 0.1])
    assert bad.verdict == "degraded" and bad.value == 0.25 and bad.drop == pytest.approx(0.73)
    assert "beyond the tolerance" in bad.reason


def test_minimized_metrics_degrade_upwards() -> None:
    worse = _assess(
        [0, 0, 1, 1], [0.6, 0.6, 0.4, 0.4], metric="logloss", direction=MetricDirection.MINIMIZE, baseline=0.1
    )
    assert worse.verdict == "degraded" and worse.drop is not None and worse.drop > 0.05


def test_too_few_labels_one_class_or_no_baseline_decide_nothing() -> None:
    assert _assess([0, 1], [0.1, 0.9]).verdict == "insufficient_data"
    one_class = _assess([1, 1, 1, 1], [0.1, 0.2, 0.3, 0.9])
    assert one_class.verdict == "insufficient_data" and "one class" in one_class.reason
    assert "auc" not in one_class.metrics and not math.isnan(one_class.metrics["accuracy"])
    assert _assess([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], baseline=None).verdict == "insufficient_data"


def test_join_keeps_labelled_predictions_only() -> None:
    truth, scores = quality.join({"a": 0.9, "b": 0.2, "c#1": 0.4}, {"a": 1, "c#1": 0, "z": 1})
    assert truth == [1, 0] and scores == [0.9, 0.4]


def test_label_files_csv_json_and_lines() -> None:
    csv_labels = label_files.parse("inference_id,label,row\ni-1,1,\ni-2,false,2\n")
    assert [(x.key, x.label) for x in csv_labels] == [("i-1", 1), ("i-2#2", 0)]
    assert [x.key for x in label_files.parse('[{"inference_id": "a", "label": 0}]')] == ["a"]
    assert len(label_files.parse('{"inference_id": "a", "label": 1}\n{"inference_id": "b", "label": "0"}\n')) == 2
    stored: dict[str, int] = {}
    assert label_files.read_stored(label_files.to_lines(csv_labels).decode() + "junk\n", stored) == 1
    assert stored == {"i-1": 1, "i-2#2": 0}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("id,label\n1,0\n", "lacks inference_id"),
        ("inference_id,label\na,2\nb,\n", "2 bad record"),
        ("[]", "no labels"),
        ('{"inference_id": "a"}', "no label"),
    ],
)
def test_bad_label_files_are_refused_with_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(LabelFileError, match=why):
        label_files.parse(text)
