"""SageMaker batch transform jobs run for real in the local cloud.

moto stores a CreateTransformJob request and reports `Completed` at once. This runs it like
SageMaker does, against the local S3 and SageMaker APIs:

- the job's model (`DescribeModel`): its `PrimaryContainer` (or first of `Containers`; a
  `ModelPackageName` container is resolved through `DescribeModelPackage`) gives the image
  (checked against the installed framework, `mlops.local.frameworks`), `ModelDataUrl`
  (model.tar.gz, extracted as `/opt/ml/model`) and `Environment`; `SAGEMAKER_PROGRAM` from the
  `SAGEMAKER_SUBMIT_DIRECTORY` tarball is the inference script (without them, the repository's
  `training/inference.py`);
- `TransformInput.DataSource.S3DataSource`: `S3Prefix` (every object under it) or `ManifestFile`,
  each object placed by its key relative to the prefix (`mlops.local.sagemaker_jobs`), which
  names its output: `<S3OutputPath>/<relative key>.out`;
- the container's environment: the model's `Environment`, then the job's on top;
- splitting, batching and assembling (`mlops.local.transform_worker`, a subprocess standing in
  for the container): `SplitType` Line/None, `CompressionType`, `BatchStrategy`,
  `MaxPayloadInMB`, `AssembleWith`, `Accept`.

Outcome: `Completed` with every output uploaded; `Failed` with a `FailureReason`
(`ClientError: ...` for a missing model, unreadable input, a setting not modelled here, or a
request the script refuses; `AlgorithmError: ...` when the script fails otherwise) and nothing
uploaded. Not modelled: `DataProcessing` filters and `JoinSource: Input` (refused, not ignored),
`MaxConcurrentTransforms` (requests run one at a time), instance counts, KMS, data capture.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from mlops.layout import split_s3_uri
from mlops.local import frameworks
from mlops.local.sagemaker_jobs import (
    REASON_LIMIT,
    TRAINING_DIR,
    JobResult,
    _base_env,
    _now,
    _run,
    _tail,
    download_input,
    unpack_code,
    upload_directory,
)

DEFAULT_PROGRAM = "inference.py"
WORKER = Path(__file__).resolve().parent / "transform_worker.py"
#: how long a local transform may run (SageMaker bounds each request, not the job)
MAX_RUNTIME_S = 3600.0
_FILTERS_MODELLED = {None, "", "$"}


def _container(sagemaker: Any, model_name: str) -> dict[str, Any]:
    model = sagemaker.describe_model(ModelName=model_name)
    container = dict(model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0])
    package = container.get("ModelPackageName")
    if package:
        described = sagemaker.describe_model_package(ModelPackageName=package)
        container = {**described["InferenceSpecification"]["Containers"][0], **container}
    return container


def _unsupported(job: dict[str, Any]) -> str | None:
    processing = job.get("DataProcessing") or {}
    if (
        processing.get("InputFilter") not in _FILTERS_MODELLED
        or processing.get("OutputFilter") not in _FILTERS_MODELLED
    ):
        return "DataProcessing InputFilter/OutputFilter are not modelled locally"
    if processing.get("JoinSource") == "Input":
        return "DataProcessing JoinSource Input is not modelled locally"
    source = ((job.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource") or {}
    if source.get("S3DataType", "S3Prefix") not in {"S3Prefix", "ManifestFile"}:
        return f"S3DataType {source.get('S3DataType')} is not modelled locally (S3Prefix or ManifestFile)"
    return None


def _program(s3: Any, environment: dict[str, str], code_dir: Path) -> str:
    program = environment.get("SAGEMAKER_PROGRAM") or DEFAULT_PROGRAM
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    if submit.startswith("s3://"):
        bucket, key = split_s3_uri(submit)
        archive = code_dir.parent / "sourcedir.tar.gz"
        s3.download_file(bucket, key, str(archive))
        unpack_code(archive, code_dir)
    else:
        code_dir.mkdir(parents=True, exist_ok=True)
        (code_dir / program).write_bytes((TRAINING_DIR / program).read_bytes())
    return program


def _inputs(s3: Any, source: dict[str, Any], input_dir: Path) -> list[dict[str, str]]:
    """Download the job's objects; (local path, key relative to the prefix, S3 URI) of each."""
    uri, data_type = source["S3Uri"], source.get("S3DataType", "S3Prefix")
    download_input(s3, uri, data_type, input_dir)
    if data_type == "ManifestFile":
        bucket, key = split_s3_uri(uri)
        document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        prefix, relatives = document[0]["prefix"], [str(r) for r in document[1:]]
    else:
        prefix = uri if uri.endswith("/") else f"{uri}/"
        relatives = sorted(p.relative_to(input_dir).as_posix() for p in input_dir.rglob("*") if p.is_file())
    return [{"path": str(input_dir / r), "relative": r, "uri": f"{prefix}{r}"} for r in relatives]


def run_transform_job(job: dict[str, Any], s3: Any, sagemaker: Any, *, endpoint_url: str, region: str) -> JobResult:
    """Run a CreateTransformJob request (PascalCase keys) to its end."""
    name = job["TransformJobName"]
    started = _now()

    def failed(reason: str, logs: str = "", lines: list[tuple[int, str]] | None = None) -> JobResult:
        return JobResult("Failed", "Failed", started, _now(), reason[:REASON_LIMIT], logs=logs, log_lines=lines or [])

    with tempfile.TemporaryDirectory(prefix=f"mlops-sm-{name[:40]}-") as scratch:
        root = Path(scratch)
        model_dir, code_dir, input_dir, output_dir = (root / d for d in ("model", "code", "input", "output"))
        for directory in (model_dir, input_dir, output_dir):
            directory.mkdir()
        env = _base_env(endpoint_url, region, root)
        transform_input = job.get("TransformInput") or {}
        try:
            if reason := _unsupported(job):
                raise ValueError(reason)
            container = _container(sagemaker, job["ModelName"])
            frameworks.check_image(container.get("Image"))
            environment = {**(container.get("Environment") or {}), **(job.get("Environment") or {})}
            bucket, key = split_s3_uri(container["ModelDataUrl"])
            s3.download_file(bucket, key, str(root / "model.tar.gz"))
            unpack_code(root / "model.tar.gz", model_dir)
            program = _program(s3, environment, code_dir)
            inputs = _inputs(s3, transform_input["DataSource"]["S3DataSource"], input_dir)
        except Exception as exc:
            return failed(f"ClientError: {exc}")
        output = job.get("TransformOutput") or {}
        spec = {
            "model_dir": str(model_dir),
            "code_dir": str(code_dir),
            "program": program,
            "inputs": inputs,
            "output_dir": str(output_dir),
            "content_type": transform_input.get("ContentType") or "",
            "split_type": transform_input.get("SplitType") or "None",
            "compression_type": transform_input.get("CompressionType") or "None",
            "batch_strategy": job.get("BatchStrategy") or "MultiRecord",
            "max_payload_mb": job.get("MaxPayloadInMB") if job.get("MaxPayloadInMB") is not None else 6,
            "accept": output.get("Accept") or "",
            "assemble_with": output.get("AssembleWith") or "None",
            "failure_file": str(root / "failure"),
        }
        (root / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        env.update({k: str(v) for k, v in environment.items()})
        # the worker file alone, like a container's serving stack: it imports nothing of ours
        command = [sys.executable, str(WORKER), str(root / "spec.json")]
        captured = _run(command, cwd=root, env=env, timeout=MAX_RUNTIME_S)
        logs, lines = captured.stdout + captured.stderr, captured.lines
        if captured.code is None:
            return failed(f"ClientError: the transform ran over {MAX_RUNTIME_S:.0f} s locally", logs, lines)
        if captured.code != 0:
            failure = root / "failure"
            reason = failure.read_text(encoding="utf-8") if failure.is_file() else ""
            return failed(reason or f"AlgorithmError: {_tail(captured.stderr) or captured.code}", logs, lines)
        upload_directory(s3, output_dir, output["S3OutputPath"])
        outputs = [f"{output['S3OutputPath'].rstrip('/')}/{item['relative']}.out" for item in inputs]
        return JobResult("Completed", "Completed", started, _now(), logs=logs, outputs=outputs, log_lines=lines)
