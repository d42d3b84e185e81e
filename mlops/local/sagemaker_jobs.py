"""SageMaker training and processing jobs run for real in the local cloud.

moto stores a job's request but runs nothing. This runs it on this machine under the
container contract the `training/` entry points follow, reading and writing the local S3:

Training (`run_training_job`), in a fresh temporary directory standing in for `/opt/ml`:
- `input/data/<channel>`: every object under each channel's `S3Uri` prefix (`S3Prefix`), or
  every object its manifest lists (`ManifestFile`, below);
- `input/config/hyperparameters.json`: the job's hyperparameters (strings, as SageMaker writes them);
- `model/`, `output/data/`, `output/` (failure file), `checkpoints/` (when `CheckpointConfig` is
  set: downloaded from its `S3Uri` before the run and uploaded after it, success or failure);
- the program: `sagemaker_program` from the code tarball at `sagemaker_submit_directory`
  (`sourcedir.tar.gz` in S3), as the framework containers do; without them the repository's
  `training/train.py`;
- environment: `SM_MODEL_DIR`, `SM_OUTPUT_DATA_DIR`, `SM_OUTPUT_DIR`, `SM_INPUT_DIR`,
  `SM_INPUT_CONFIG_DIR`, `SM_CHANNELS`, `SM_CHANNEL_<NAME>`, `SM_HPS`, `SM_HP_<NAME>`,
  `SM_CHECKPOINT_DIR`, `SM_CURRENT_HOST`, `SM_HOSTS`; hyperparameters (other than `sagemaker_*`)
  also as `--name value` arguments, as script mode passes them;
- success: `model/` packed as `<S3OutputPath>/<job>/output/model.tar.gz`, `output/data/` as
  `.../output/output.tar.gz`; failure: `AlgorithmError: <failure file>` (or the stderr tail);
  `StoppingCondition.MaxRuntimeInSeconds` exceeded: stopped (`MaxRuntimeExceeded`).

Processing (`run_processing_job`): every `ProcessingInputs[].S3Input` (`S3Prefix` or
`ManifestFile`) is downloaded to its `LocalPath`, with `/opt/ml/` rewritten under a temporary
root; `ProcessingOutputConfig` local paths are created and uploaded after a successful run.
The entrypoint runs with this interpreter when it is `python*`; `/opt/ml/...` arguments are
rewritten the same way, and a script that no input provides (e.g. `.../evaluate.py`) is
taken from the repository's `training/`. `MLOPS_EVAL_MODEL`/`_TEST`/`_OUTPUT` point
`training/evaluate.py`'s default paths at the rewritten ones.

The job runs with this interpreter's libraries whatever image it names, so a job whose image is
an AWS XGBoost framework image of another major.minor than the installed xgboost fails before
it runs (`ClientError: image sagemaker-xgboost:1.7-1 runs xgboost 1.7, but ...`,
`mlops.local.frameworks`): its results would not hold on AWS.

Billable time equals training time: managed spot savings are not simulated locally.
Inputs may be `S3Prefix` (every object under the prefix, keyed relative to it) or
`ManifestFile`: the object at `S3Uri` is a SageMaker manifest,
`[{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]`, and each `prefix + relative` is
downloaded to `<channel or LocalPath>/relative`. A manifest that cannot be read, is malformed,
or lists an object that cannot be read fails the job before it runs, with a `FailureReason`
of `ClientError: manifest s3://...: ...` that names it (and the object).
Not modelled: the job's `Environment` (moto does not store it), File/Pipe/FastFile input
modes (always File), distributed training, VPC and KMS settings.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops.layout import split_s3_uri
from mlops.local import frameworks, job_logs

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TRAIN_SCRIPT = REPO_ROOT / "training" / "train.py"
TRAINING_DIR = REPO_ROOT / "training"
OPT_ML = "/opt/ml/"
REASON_LIMIT = 1024
DEFAULT_MAX_RUNTIME_S = 24 * 3600
PASSED_THROUGH_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "MLOPS_DEVICE", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS")


@dataclass
class JobResult:
    """What a job run reports back: SageMaker's status fields."""

    status: str  # Completed | Failed | Stopped
    secondary_status: str
    started: datetime
    ended: datetime
    failure_reason: str | None = None
    model_artifacts: str | None = None
    logs: str = ""
    outputs: list[str] = field(default_factory=list)
    #: the job's output lines as (epoch milliseconds, text), for its CloudWatch log stream
    log_lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.ended - self.started).total_seconds()))


# --------------------------------------------------------------------------------------------
# S3


def download_prefix(s3: Any, uri: str, target: Path) -> int:
    """Every object under `uri` into `target`, keyed relative to the prefix; how many."""
    bucket, prefix = split_s3_uri(uri)
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            relative = key[len(prefix) :].lstrip("/") if key != prefix else Path(key).name
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(destination))
            count += 1
    return count


def download_manifest(s3: Any, uri: str, target: Path) -> int:
    """A SageMaker `ManifestFile` input: the JSON document at `uri` is
    `[{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]`; each `prefix + relative` lands at
    `target/relative`, as SageMaker places them. How many. A `ValueError` naming the manifest
    when it cannot be read, is not such a document, or lists an object that cannot be read."""
    bucket, key = split_s3_uri(uri)
    try:
        raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise ValueError(f"manifest {uri} cannot be read: {exc}") from exc
    shape = '[{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]'
    try:
        document = json.loads(raw)
        prefix = document[0]["prefix"]
        relatives = document[1:]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"manifest {uri} is not a SageMaker manifest ({shape}): {exc!r}") from exc
    if not isinstance(prefix, str) or not prefix.startswith("s3://"):
        raise ValueError(f"manifest {uri}: prefix {prefix!r} is not an S3 URI")
    for relative in relatives:
        parts = Path(relative).parts if isinstance(relative, str) else ()
        if not parts or relative.startswith("/") or ".." in parts:
            raise ValueError(f"manifest {uri}: {relative!r} is not a relative key under its prefix")
    target.mkdir(parents=True, exist_ok=True)
    data_bucket, data_prefix = split_s3_uri(prefix)
    for relative in relatives:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3.download_file(data_bucket, f"{data_prefix}{relative}", str(destination))
        except Exception as exc:
            raise ValueError(
                f"manifest {uri} lists s3://{data_bucket}/{data_prefix}{relative}, which cannot be read: {exc}"
            ) from exc
    return len(relatives)


def download_input(s3: Any, uri: str, data_type: str, target: Path) -> int:
    """One channel or processing input by its S3 data type (S3Prefix or ManifestFile)."""
    if data_type == "ManifestFile":
        return download_manifest(s3, uri, target)
    return download_prefix(s3, uri, target)


def upload_directory(s3: Any, directory: Path, uri: str) -> None:
    bucket, prefix = split_s3_uri(uri)
    prefix = prefix.rstrip("/")
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        s3.upload_file(str(path), bucket, f"{prefix}/{relative}" if prefix else relative)


def pack(directory: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(directory.iterdir()):
            tar.add(path, arcname=path.name)
    return archive


def unpack_code(archive: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        tar.extractall(into, filter="data")


# --------------------------------------------------------------------------------------------
# Shared


def _decode(value: Any) -> Any:
    """SageMaker hyperparameters are strings; script mode JSON-encodes them once more."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _base_env(endpoint_url: str, region: str, scratch: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_THROUGH_ENV if name in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("HOME", str(scratch))
    env.update(
        {
            "TMPDIR": str(scratch),
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _tail(text: str, limit: int = REASON_LIMIT) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-5:])
    return tail[-limit:]


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> job_logs.Captured:
    """Exit code (None on timeout), stdout, stderr and the timestamped lines for CloudWatch."""
    return job_logs.run_captured(command, cwd=cwd, env=env, timeout=timeout)


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Training


def _training_program(s3: Any, hyperparameters: dict[str, Any], code_dir: Path) -> Path:
    program = hyperparameters.get("sagemaker_program")
    submit = hyperparameters.get("sagemaker_submit_directory")
    if isinstance(program, str) and isinstance(submit, str) and submit.startswith("s3://"):
        bucket, key = split_s3_uri(submit)
        archive = code_dir.parent / "sourcedir.tar.gz"
        s3.download_file(bucket, key, str(archive))
        unpack_code(archive, code_dir)
        script = code_dir / program
        if not script.is_file():
            raise FileNotFoundError(f"sagemaker_program {program!r} is not in {submit}")
        return script
    return DEFAULT_TRAIN_SCRIPT


def run_training_job(job: dict[str, Any], s3: Any, *, endpoint_url: str, region: str) -> JobResult:
    """Run a CreateTrainingJob request (PascalCase keys) to its end."""
    name = job["TrainingJobName"]
    started = _now()
    with tempfile.TemporaryDirectory(prefix=f"mlops-sm-{name[:40]}-") as scratch:
        root = Path(scratch)
        input_dir, config_dir = root / "input", root / "input" / "config"
        model_dir, output_dir = root / "model", root / "output"
        output_data_dir, checkpoint_dir, code_dir = output_dir / "data", root / "checkpoints", root / "code"
        for directory in (config_dir, model_dir, output_data_dir, code_dir):
            directory.mkdir(parents=True, exist_ok=True)
        raw_hps = {str(k): str(v) for k, v in (job.get("HyperParameters") or {}).items()}
        hyperparameters = {k: _decode(v) for k, v in raw_hps.items()}
        (config_dir / "hyperparameters.json").write_text(json.dumps(raw_hps), encoding="utf-8")
        env = _base_env(endpoint_url, region, root)
        try:
            frameworks.check_image((job.get("AlgorithmSpecification") or {}).get("TrainingImage"))
            channels = []
            for channel in job.get("InputDataConfig") or []:
                channel_name = channel["ChannelName"]
                source = channel["DataSource"]["S3DataSource"]
                local = input_dir / "data" / channel_name
                download_input(s3, source["S3Uri"], source.get("S3DataType", "S3Prefix"), local)
                channels.append(channel_name)
                env[f"SM_CHANNEL_{channel_name.upper()}"] = str(local)
            checkpoint_uri = (job.get("CheckpointConfig") or {}).get("S3Uri")
            if checkpoint_uri:
                download_prefix(s3, checkpoint_uri, checkpoint_dir)
                env["SM_CHECKPOINT_DIR"] = str(checkpoint_dir)
            script = _training_program(s3, hyperparameters, code_dir)
        except Exception as exc:
            return JobResult("Failed", "Failed", started, _now(), f"ClientError: {exc}"[:REASON_LIMIT])
        user_hps = {k: v for k, v in hyperparameters.items() if not k.startswith("sagemaker_")}
        env.update(
            {
                "SM_MODEL_DIR": str(model_dir),
                "SM_OUTPUT_DATA_DIR": str(output_data_dir),
                "SM_OUTPUT_DIR": str(output_dir),
                "SM_INPUT_DIR": str(input_dir),
                "SM_INPUT_CONFIG_DIR": str(config_dir),
                "SM_CHANNELS": json.dumps(sorted(channels)),
                "SM_HPS": json.dumps(user_hps),
                "SM_CURRENT_HOST": "algo-1",
                "SM_HOSTS": json.dumps(["algo-1"]),
                "SM_MODULE_DIR": str(code_dir),
                **{f"SM_HP_{k.upper()}": v if isinstance(v, str) else json.dumps(v) for k, v in user_hps.items()},
            }
        )
        arguments = [
            item for k, v in user_hps.items() for item in (f"--{k}", v if isinstance(v, str) else json.dumps(v))
        ]
        max_runtime = float((job.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S)
        captured = _run([sys.executable, str(script), *arguments], cwd=script.parent, env=env, timeout=max_runtime)
        code, stderr, logs, lines = captured.code, captured.stderr, captured.stdout + captured.stderr, captured.lines
        if checkpoint_uri and checkpoint_dir.is_dir():
            with contextlib.suppress(Exception):
                upload_directory(s3, checkpoint_dir, checkpoint_uri)
        if code is None:
            reason = f"Training job reached MaxRuntimeInSeconds ({max_runtime:.0f} s) and was stopped."
            return JobResult("Stopped", "MaxRuntimeExceeded", started, _now(), reason, logs=logs, log_lines=lines)
        if code != 0:
            failure_file = output_dir / "failure"
            if failure_file.is_file() and failure_file.read_text(encoding="utf-8").strip():
                detail = failure_file.read_text(encoding="utf-8").strip()
            else:
                detail = f'ExecuteUserScriptError:\nExitCode {code}\nErrorMessage "{_tail(stderr, 800)}"'
            reason = f"AlgorithmError: {detail}"[:REASON_LIMIT]
            return JobResult("Failed", "Failed", started, _now(), reason, logs=logs, log_lines=lines)
        output_uri = f"{job['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{name}/output"
        bucket, prefix = split_s3_uri(output_uri)
        s3.upload_file(str(pack(model_dir, root / "model.tar.gz")), bucket, f"{prefix}/model.tar.gz")
        s3.upload_file(str(pack(output_data_dir, root / "output.tar.gz")), bucket, f"{prefix}/output.tar.gz")
        artifacts = f"{output_uri}/model.tar.gz"
        return JobResult(
            "Completed", "Completed", started, _now(), model_artifacts=artifacts, logs=logs, log_lines=lines
        )


# --------------------------------------------------------------------------------------------
# Processing


def local_path(root: Path, container_path: str) -> Path:
    """A container path (`/opt/ml/processing/...`) under the job's temporary root."""
    if container_path.startswith(OPT_ML):
        return root / container_path[len(OPT_ML) :]
    return root / container_path.lstrip("/")


def _processing_command(app: dict[str, Any], root: Path) -> list[str]:
    entrypoint = [str(part) for part in app.get("ContainerEntrypoint") or []]
    arguments = [str(part) for part in app.get("ContainerArguments") or []]
    if not entrypoint:
        raise ValueError("AppSpecification.ContainerEntrypoint is required to run a processing job locally")
    command: list[str] = []
    for index, part in enumerate([*entrypoint, *arguments]):
        if index == 0 and Path(part).name.startswith("python"):
            command.append(sys.executable)
        elif part.startswith("/"):
            rewritten = local_path(root, part)
            fallback = TRAINING_DIR / rewritten.name
            if not rewritten.exists() and rewritten.suffix == ".py" and fallback.is_file():
                rewritten = fallback
            command.append(str(rewritten))
        else:
            command.append(part)
    return command


def run_processing_job(job: dict[str, Any], s3: Any, *, endpoint_url: str, region: str) -> JobResult:
    """Run a CreateProcessingJob request (PascalCase keys) to its end."""
    name = job["ProcessingJobName"]
    started = _now()
    with tempfile.TemporaryDirectory(prefix=f"mlops-sm-{name[:40]}-") as scratch:
        root = Path(scratch)
        work = root / "work"
        work.mkdir()
        env = _base_env(endpoint_url, region, root)
        outputs = (job.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        try:
            frameworks.check_image((job.get("AppSpecification") or {}).get("ImageUri"))
            for item in job.get("ProcessingInputs") or []:
                source = item.get("S3Input")
                if source:
                    download_input(
                        s3, source["S3Uri"], source.get("S3DataType", "S3Prefix"), local_path(root, source["LocalPath"])
                    )
            for output in outputs:
                local_path(root, output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
            command = _processing_command(job.get("AppSpecification") or {}, root)
        except Exception as exc:
            return JobResult("Failed", "Failed", started, _now(), f"ClientError: {exc}"[:REASON_LIMIT])
        env.update(
            {
                "MLOPS_EVAL_MODEL": str(local_path(root, "/opt/ml/processing/model")),
                "MLOPS_EVAL_TEST": str(local_path(root, "/opt/ml/processing/test")),
                "MLOPS_EVAL_OUTPUT": str(local_path(root, "/opt/ml/processing/evaluation")),
            }
        )
        max_runtime = float((job.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S)
        captured = _run(command, cwd=work, env=env, timeout=max_runtime)
        code, stderr, logs, lines = captured.code, captured.stderr, captured.stdout + captured.stderr, captured.lines
        if code is None:
            reason = f"Processing job reached MaxRuntimeInSeconds ({max_runtime:.0f} s) and was stopped."
            return JobResult("Stopped", "Stopped", started, _now(), reason, logs=logs, log_lines=lines)
        if code != 0:
            reason = f"AlgorithmError: {_tail(stderr) or f'exit code {code}'}"[:REASON_LIMIT]
            return JobResult("Failed", "Failed", started, _now(), reason, logs=logs, log_lines=lines)
        uploaded = []
        for output in outputs:
            target = output["S3Output"]
            upload_directory(s3, local_path(root, target["LocalPath"]), target["S3Uri"])
            uploaded.append(target["S3Uri"])
        return JobResult("Completed", "Completed", started, _now(), logs=logs, outputs=uploaded, log_lines=lines)
