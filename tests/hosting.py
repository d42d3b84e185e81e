"""A real model for local SageMaker endpoints (tests and bench/endpoint.py): trained with
`training/train.py` on the example data, packed as SageMaker packs it, and deployed with boto3
only (CreateModel, CreateEndpointConfig, CreateEndpoint) the way the deploy workflow does."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from mlops.example_data import TARGET_COLUMN, write_csv

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAINING = REPO_ROOT / "training"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"
ROLE = "arn:aws:iam::123456789012:role/local-sagemaker"
#: appended to inference.py to make a version whose every prediction fails (HTTP 500)
BROKEN_PREDICT = """

def predict_fn(input_data, model):  # a broken model version: every prediction fails
    raise RuntimeError("this model version cannot predict")
"""


def train_model(workdir: Path, *, num_round: int = 20) -> Path:
    """Train on the example data with the real entry point; the model directory."""
    config, channel, model = workdir / "config", workdir / "train", workdir / "model"
    for directory in (config, channel, model, workdir / "output" / "data"):
        directory.mkdir(parents=True, exist_ok=True)
    write_csv(channel / "train.csv")
    hyperparameters = {"target": TARGET_COLUMN, "id_columns": ["sample_id"], "num_round": num_round}
    (config / "hyperparameters.json").write_text(json.dumps({k: json.dumps(v) for k, v in hyperparameters.items()}))
    env = {
        "PATH": "/usr/bin:/bin",
        "SM_INPUT_CONFIG_DIR": str(config),
        "SM_CHANNEL_TRAIN": str(channel),
        "SM_MODEL_DIR": str(model),
        "SM_OUTPUT_DIR": str(workdir / "output"),
        "SM_OUTPUT_DATA_DIR": str(workdir / "output" / "data"),
        "SM_CHECKPOINT_DIR": str(workdir / "checkpoints"),
        "MLOPS_DEVICE": "cpu",
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(
        [sys.executable, str(TRAINING / "train.py")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"train.py failed:\n{done.stderr[-3000:]}")
    return model


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def model_archive(model_dir: Path) -> bytes:
    """model.tar.gz as a training job writes it (the model directory's files at the top)."""
    return tar_gz({p.name: p.read_bytes() for p in sorted(model_dir.iterdir()) if p.is_file()})


def source_archive(*, broken: bool = False) -> bytes:
    """sourcedir.tar.gz of training/ (as stacks/packaging.py builds it); `broken`: predict_fn raises."""
    files = {p.name: p.read_bytes() for p in sorted(TRAINING.glob("*.py"))}
    if broken:
        files["inference.py"] += BROKEN_PREDICT.encode()
    return tar_gz(files)


def create_model(sm: Any, name: str, model_uri: str, code_uri: str, image: str = IMAGE) -> None:
    """CreateModel as mlops/pipeline/registration.py registers the package's container."""
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": image,
            "ModelDataUrl": model_uri,
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": code_uri},
        },
    )


def create_endpoint_config(
    sm: Any, name: str, model: str, *, capture_uri: str | None = None, kms_key_id: str | None = None, percent: int = 100
) -> None:
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": model,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
        "InitialVariantWeight": 1.0,
    }
    extra: dict[str, Any] = {}
    if capture_uri:
        capture: dict[str, Any] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": percent,
            "DestinationS3Uri": capture_uri,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]},
        }
        if kms_key_id:
            capture["KmsKeyId"] = kms_key_id
        extra["DataCaptureConfig"] = capture
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant], **extra)
