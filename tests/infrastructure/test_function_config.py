"""Each function ships only the config sections it reads, so a config edit redeploys only the
functions that read what changed."""

from pathlib import Path

from mlops import runtime
from mlops.config import ProjectConfig
from tests.infrastructure.conftest import Synthesized, synthesize
from tests.infrastructure.test_lambda_assets import function_assets


def code_hashes(synth: Synthesized) -> dict[str, str]:
    return {name: path.name for name, (path, _) in function_assets(synth).items()}


def edited(config: ProjectConfig, **sections: object) -> ProjectConfig:
    document = config.model_dump(mode="json")
    for section, changes in sections.items():
        assert isinstance(changes, dict)
        document[section] |= changes
    return ProjectConfig.model_validate(document)


def _changed(dev: Synthesized, tmp_path: Path, **sections: dict[str, object]) -> set[str]:
    before = code_hashes(dev)
    after = code_hashes(synthesize("dev", tmp_path / "out", edited(dev.config, **sections)))
    return {name.removeprefix(f"{dev.config.prefix}-") for name in before if before[name] != after[name]}


def test_a_deployment_edit_changes_only_the_function_that_plans_deployments(dev: Synthesized, tmp_path: Path) -> None:
    assert _changed(dev, tmp_path, deployment={"canary_size_percent": 25}) == {"serving-resolve"}


def test_a_drift_edit_changes_only_the_check_and_the_guard(dev: Synthesized, tmp_path: Path) -> None:
    config = edited(dev.config, drift={"cooldown_hours": 3, "retrain": False})
    after = synthesize("dev", tmp_path / "out", config)
    before_hashes, after_hashes = code_hashes(dev), code_hashes(after)
    changed = {n.removeprefix(f"{dev.config.prefix}-") for n in before_hashes if before_hashes[n] != after_hashes[n]}
    assert changed == {"monitor-check", "monitor-guard"}
    # and the guard deployed from it reads the edit: retraining off, the new cooldown
    runtime.packaged_config.cache_clear()
    guard = runtime.packaged_config(str(function_assets(after)[f"{dev.config.prefix}-monitor-guard"][0]))
    runtime.packaged_config.cache_clear()
    assert guard.drift.retrain is False and guard.drift.cooldown_hours == 3


def test_a_training_edit_changes_only_the_functions_that_read_training(dev: Synthesized, tmp_path: Path) -> None:
    config = edited(dev.config, training={"max_run_seconds": dev.config.training.max_run_seconds + 60})
    before, after = code_hashes(dev), code_hashes(synthesize("dev", tmp_path / "out", config))
    changed = {name.removeprefix(f"{dev.config.prefix}-") for name in before if before[name] != after[name]}
    assert changed == {"pipeline-resolve", "pipeline-record"}


def test_each_function_loads_its_packaged_part_as_a_full_config(dev: Synthesized) -> None:
    for name, (asset, _) in function_assets(dev).items():
        runtime.packaged_config.cache_clear()
        loaded = runtime.packaged_config(str(asset))
        assert loaded.prefix == dev.config.prefix and loaded.datasets == dev.config.datasets, name
        if name.endswith("pipeline-register"):
            assert loaded.settings.model_approval == dev.config.settings.model_approval
    runtime.packaged_config.cache_clear()
