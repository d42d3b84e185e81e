"""The `drift:` config: which method and threshold each feature gets, and the problems listed
when they do not fit the dataset's columns."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops import config
from mlops.config import DriftConfig, DriftMethod
from mlops.drift import DriftPolicy
from mlops.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "mlops.yaml"


@pytest.fixture
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return loaded


def problems_of(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        config.resolve(document, "dev")
    return {p.path: p.message for p in info.value.problems}


def test_each_feature_gets_its_own_then_its_kinds_then_the_methods_threshold() -> None:
    drift = DriftConfig.model_validate(
        {
            "numeric_method": "psi",
            "default_threshold": 0.25,
            "feature_thresholds": {"a": 0.4},
            "features": {"b": {"method": "ks"}, "c": {"method": "wasserstein", "threshold": 0.3}},
        }
    )
    assert (drift.method_for("a", numeric=True), drift.threshold_for("a", numeric=True)) == ("psi", 0.4)
    assert (drift.method_for("b", numeric=True), drift.threshold_for("b", numeric=True)) == ("ks", 0.05)
    assert drift.threshold_for("c", numeric=True) == 0.3
    assert drift.threshold_for("z", numeric=True) == 0.25
    # categorical features: chi2 at a 5% p-value unless configured
    assert (drift.method_for("z", numeric=False), drift.threshold_for("z", numeric=False)) == ("chi2", 0.05)


def test_switching_the_numeric_method_to_a_test_does_not_keep_a_psi_threshold() -> None:
    drift = DriftConfig(numeric_method=DriftMethod.KS)
    assert drift.threshold_for("x", numeric=True) == 0.05


def test_the_example_config_is_still_valid_and_means_what_it_says() -> None:
    resolved = config.load(EXAMPLE)
    policy = DriftPolicy.for_dataset(resolved.drift, resolved.datasets["breast-cancer"])
    assert policy.excluded.keys() == {"sample_id"}  # unique: true
    assert policy.threshold("mean_radius", numeric=True) == 0.1
    assert policy.method("mean_texture", numeric=True) == "psi"


def test_methods_that_do_not_fit_a_column_are_listed_with_where(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    drift = broken["drift"]
    drift["numeric_method"] = "chi2"
    drift["features"] = {
        "sample_id": {"method": "ks"},  # a string column
        "ghost": {"method": "psi"},
        "mean_radius": {"threshold": 0.3},  # also in feature_thresholds
        "mean_area": {"method": "ks", "threshold": 1.5},  # a p-value can never reach 1.5
    }
    problems = problems_of(broken)
    assert "does not apply to numeric" in problems["drift.numeric_method"]
    assert "chi2, jensen_shannon" in problems["drift.features.sample_id.method"]
    assert "no dataset has a column 'ghost'" in problems["drift.features.ghost"]
    assert "set it in one place" in problems["drift.features.mean_radius"]
    assert "must be below 1" in problems["drift.features.mean_area"]


def test_an_old_style_drift_section_still_validates(document: dict[str, Any]) -> None:
    old = copy.deepcopy(document)
    old["drift"] = {"schedule": "rate(1 day)", "default_threshold": 0.2, "feature_thresholds": {"mean_radius": 0.1}}
    resolved = config.resolve(old, "dev")
    assert resolved.drift.numeric_method == "psi" and resolved.drift.threshold_for("x", numeric=True) == 0.2
