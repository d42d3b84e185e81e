"""A temp directory laid out like the SageMaker containers, and helpers that run the real
entry points in it as subprocesses."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the dev tools
import pytest

from mlops import config as config_module
from mlops.example_data import breast_cancer_frame
from mlops.pipeline.job_contract import dataset_hyperparameters

REPO_ROOT = Path(__file__).resolve().parents[3]
#: what the pipeline passes every training job of the example dataset (its target and id columns)
DATASET_HYPERPARAMETERS = dataset_hyperparameters(
    config_module.load(REPO_ROOT / "mlops.yaml", "dev").datasets["breast-cancer"]
)
TRAIN_SCRIPT = REPO_ROOT / "training" / "train.py"
EVALUATE_SCRIPT = REPO_ROOT / "training" / "evaluate.py"
TEST_ROWS = 120


@dataclass(frozen=True)
class Container:
    """/opt/ml of a training job and /opt/ml/processing of an evaluation job, under a temp dir."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "input" / "config"

    @property
    def train_channel(self) -> Path:
        return self.root / "input" / "data" / "train"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.root / "output" / "data"

    @property
    def checkpoint_dir(self) -> Path:
        return self.root / "checkpoints"

    @property
    def test_channel(self) -> Path:
        return self.root / "processing" / "test"

    @property
    def evaluation_dir(self) -> Path:
        return self.root / "processing" / "evaluation"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "MLOPS_"))}
        env.update(
            SM_INPUT_CONFIG_DIR=str(self.config),
            SM_CHANNEL_TRAIN=str(self.train_channel),
            SM_MODEL_DIR=str(self.model_dir),
            SM_OUTPUT_DIR=str(self.output_dir),
            SM_OUTPUT_DATA_DIR=str(self.output_data_dir),
            SM_CHECKPOINT_DIR=str(self.checkpoint_dir),
            OMP_NUM_THREADS="2",
        )
        env.update(extra)
        return env

    def hyperparameters(self, **values: object) -> None:
        """Written the way SageMaker script mode writes them: every value a JSON-encoded string;
        the dataset's target and id columns as the pipeline passes them, unless given."""
        self.config.mkdir(parents=True, exist_ok=True)
        merged = {"sagemaker_program": "train.py", **DATASET_HYPERPARAMETERS, **values}
        encoded = {k: json.dumps(v) for k, v in merged.items()}
        (self.config / "hyperparameters.json").write_text(json.dumps(encoded))

    def train(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(TRAIN_SCRIPT), *args],
            cwd=self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def evaluate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                str(EVALUATE_SCRIPT),
                "--model",
                str(self.model_dir),
                "--test",
                str(self.test_channel),
                "--output",
                str(self.evaluation_dir),
                *args,
            ],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def metrics(self) -> dict[str, object]:
        return json.loads((self.output_data_dir / "metrics.json").read_text())  # type: ignore[no-any-return]

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point this process's environment at the container, for in-process calls of `main`."""
        for key in os.environ:
            if key.startswith(("SM_", "MLOPS_")):
                monkeypatch.delenv(key)
        for key, value in self.env().items():
            if key.startswith("SM_"):
                monkeypatch.setenv(key, value)


def split_example_data(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = breast_cancer_frame()
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order[TEST_ROWS:]], frame.iloc[order[:TEST_ROWS]]


def laid_out(root: Path) -> Container:
    box = Container(root / "opt" / "ml")
    train, _unseen = split_example_data()
    box.train_channel.mkdir(parents=True)
    box.test_channel.mkdir(parents=True)
    # two files in two formats: the channel is every file in it
    half = len(train) // 2
    train.iloc[:half].to_csv(box.train_channel / "part-0.csv", index=False)
    train.iloc[half:].to_csv(box.train_channel / "part-1.csv.gz", index=False, compression="gzip")
    # the evaluation job gets the data version the model trained on, as in the pipeline, and
    # scores the rows training held out (holdout.json); `test` stays unseen by both
    train.to_parquet(box.test_channel / "test.parquet", index=False)
    box.hyperparameters()
    return box


def load_entry_point(name: str) -> ModuleType:
    """Import training/<name>.py by path, as the serving container does (it is not a package)."""
    spec = importlib.util.spec_from_file_location(f"training_{name}", REPO_ROOT / "training" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return laid_out(tmp_path)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Container:
    """One model trained by the real entry point, shared by the evaluation and inference tests."""
    box = laid_out(tmp_path_factory.mktemp("trained"))
    run = box.train("--num_round", "40")
    assert run.returncode == 0, run.stderr
    return box
