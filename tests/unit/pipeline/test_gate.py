import math

import pytest

from mlops.config import MetricDirection, QualityGateConfig
from mlops.pipeline import MissingMetricError, decide, metrics_from_evaluation

AUC_GATE = QualityGateConfig(metric="auc", direction=MetricDirection.MAXIMIZE, threshold=0.95, max_regression=0.005)
LOSS_GATE = QualityGateConfig(metric="logloss", direction=MetricDirection.MINIMIZE, threshold=0.2, max_regression=0.01)


def test_passes_without_a_champion() -> None:
    decision = decide(AUC_GATE, {"auc": 0.97, "f1": 0.9}, None)
    assert (decision.passed, decision.metric, decision.value, decision.champion_value) == (True, "auc", 0.97, None)
    # the reason says why it passed: the value against the threshold, and that nothing was compared
    assert "no champion" in decision.reason
    assert "0.97" in decision.reason and "0.95" in decision.reason


def test_passes_against_a_champion_within_the_allowed_regression() -> None:
    decision = decide(AUC_GATE, {"auc": 0.986}, {"auc": 0.99})
    assert decision.passed
    assert decision.champion_value == 0.99


def test_regression_exactly_at_the_bound_passes() -> None:
    assert decide(AUC_GATE, {"auc": 0.985}, {"auc": 0.99}).passed


def test_fails_below_the_threshold_when_maximizing() -> None:
    decision = decide(AUC_GATE, {"auc": 0.94}, None)
    assert not decision.passed
    assert "threshold" in decision.reason
    assert decision.value == 0.94


def test_fails_above_the_threshold_when_minimizing() -> None:
    decision = decide(LOSS_GATE, {"logloss": 0.25}, None)
    assert not decision.passed
    assert "at most" in decision.reason


def test_passes_below_the_threshold_when_minimizing() -> None:
    assert decide(LOSS_GATE, {"logloss": 0.1}, {"logloss": 0.095}).passed


def test_fails_on_regression_when_maximizing() -> None:
    decision = decide(AUC_GATE, {"auc": 0.96}, {"auc": 0.99})
    assert not decision.passed
    assert "regresses" in decision.reason
    assert decision.champion_value == 0.99


def test_fails_on_regression_when_minimizing() -> None:
    decision = decide(LOSS_GATE, {"logloss": 0.15}, {"logloss": 0.1})
    assert not decision.passed
    assert "regresses" in decision.reason


def test_threshold_is_checked_before_the_champion() -> None:
    decision = decide(AUC_GATE, {"auc": 0.9}, {"auc": 0.5})
    assert not decision.passed
    assert "threshold" in decision.reason


def test_nan_metric_fails() -> None:
    decision = decide(AUC_GATE, {"auc": math.nan}, None)
    assert not decision.passed
    assert "NaN" in decision.reason


def test_missing_metric_names_it_and_the_available_ones() -> None:
    with pytest.raises(MissingMetricError) as caught:
        decide(AUC_GATE, {"f1": 0.9, "accuracy": 0.95}, None)
    assert caught.value.metric == "auc"
    assert caught.value.available == ["accuracy", "f1"]
    assert caught.value.source == "evaluation"
    assert "'auc'" in str(caught.value) and "accuracy, f1" in str(caught.value)


def test_missing_metric_on_the_champion_side_is_reported_as_such() -> None:
    with pytest.raises(MissingMetricError) as caught:
        decide(AUC_GATE, {"auc": 0.99}, {"f1": 0.9})
    assert caught.value.source == "champion"


def test_metrics_from_evaluation_flattens_the_model_metrics_document() -> None:
    document = {
        "binary_classification_metrics": {
            "auc": {"value": 0.99, "standard_deviation": "NaN"},
            "f1": {"value": 1, "standard_deviation": "NaN"},
            "confusion_matrix": {"0": {"0": 5, "1": 0}, "1": {"0": 1, "1": 7}},
        }
    }
    assert metrics_from_evaluation(document) == {"auc": 0.99, "f1": 1.0}
