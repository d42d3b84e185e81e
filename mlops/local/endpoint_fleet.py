"""The model servers behind one endpoint config: a fleet of `mlops.local.endpoint_host` processes.

For each production variant of the config, its model's `PrimaryContainer` is prepared as the
SageMaker XGBoost framework container would be:

- `ModelDataUrl` (model.tar.gz in S3) is extracted into the variant's model directory;
- `Environment.SAGEMAKER_SUBMIT_DIRECTORY` (an s3 URI of a sourcedir.tar.gz, as
  `mlops/pipeline/registration.py` registers it) is extracted into its code directory and
  `Environment.SAGEMAKER_PROGRAM` is the script to serve; without them, the repository's
  `training/` directory and `inference.py`;
- `Image`: an AWS XGBoost framework image must run the installed xgboost's major.minor
  (`mlops.local.frameworks`), or the variant fails: its predictions would not hold on AWS.

One server per variant (whatever its instance count: they would all serve the same model),
started in this process's process group (`mlops local down` stops the group) and exiting by
itself when this process dies. A variant is up when its `/ping` answers 200; a server that
exits first, or does not answer within `START_TIMEOUT_S`, fails the fleet with SageMaker's
health-check reason plus the tail of the server's output.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.layout import split_s3_uri
from mlops.local import frameworks, process

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CODE_DIR = REPO_ROOT / "training"
DEFAULT_PROGRAM = "inference.py"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0
PASSED_THROUGH_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "OMP_NUM_THREADS", "PYTHONPATH")


class FleetError(RuntimeError):
    """A variant's model server could not be started (the endpoint or the update fails)."""


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    model_latency_us: int


@dataclass
class VariantServer:
    variant_name: str
    model_name: str
    image: str
    weight: float
    instance_count: int
    instance_type: str
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path
    #: one kept-alive connection per calling thread (the API server is threaded)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def invoke(self, body: bytes, content_type: str | None, accept: str | None, timeout: float = 60.0) -> Response:
        headers = {"Content-Type": content_type or "application/octet-stream"}
        if accept:
            headers["Accept"] = accept
        started = time.perf_counter()
        for attempt in (1, 2):  # a kept-alive connection the server closed is retried once
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                self._local.connection = connection
            try:
                connection.request("POST", "/invocations", body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        latency = int((time.perf_counter() - started) * 1_000_000)
        return Response(answer.status, payload, answer.getheader("Content-Type") or "", latency)

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Fleet:
    """The servers of one endpoint config; `pick` routes by the variants' weights."""

    config_name: str
    variants: list[VariantServer]
    scratch: Path
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pick(self, target_variant: str | None = None) -> VariantServer:
        if target_variant:
            for variant in self.variants:
                if variant.variant_name == target_variant:
                    return variant
        # deterministic weighted round robin: request n goes to the variant whose cumulative
        # share first exceeds n's position in a cycle of the total weight
        with self._lock:
            self._counter += 1
            n = self._counter
        total = sum(max(v.weight, 0.0) for v in self.variants) or float(len(self.variants))
        position = (n * 0.6180339887498949) % 1.0 * total  # golden-ratio sequence: evenly spread
        for variant in self.variants:
            position -= max(variant.weight, 0.0) if total else 1.0
            if position < 0:
                return variant
        return self.variants[-1]

    def stop(self) -> None:
        for variant in self.variants:
            if variant.alive():
                variant.process.terminate()
        for variant in self.variants:
            try:
                variant.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                variant.process.kill()
                variant.process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.scratch, ignore_errors=True)

    def pids(self) -> list[int]:
        return [v.process.pid for v in self.variants]


def _extract(s3: Any, uri: str, into: Path, what: str) -> None:
    bucket, key = split_s3_uri(uri)
    archive = into.parent / f"{into.name}.tar.gz"
    try:
        s3.download_file(bucket, key, str(archive))
    except Exception as exc:
        raise FleetError(f"Could not access {what} {uri}: {exc}") from exc
    into.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")
    except tarfile.TarError as exc:
        raise FleetError(f"{what} {uri} is not a tar.gz archive: {exc}") from exc


def _health_reason(variant: str, log_file: Path) -> str:
    return (
        f"The primary container for production variant {variant} did not pass the ping health check. "
        f"Please check CloudWatch logs for this endpoint. Local server output:\n{process.tail(log_file, 8)}"
    )[:1024]


def _wait_for_ping(server: VariantServer, deadline: float) -> None:
    while time.monotonic() < deadline:
        if not server.alive():
            raise FleetError(_health_reason(server.variant_name, server.log_file))
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1.0)
            try:
                connection.request("GET", "/ping")
                if connection.getresponse().status == 200:
                    return
            finally:
                connection.close()
        time.sleep(0.05)
    raise FleetError(_health_reason(server.variant_name, server.log_file))


def _start_variant(variant: dict[str, Any], model: dict[str, Any], s3: Any, root: Path) -> VariantServer:
    name = str(variant["VariantName"])
    container: dict[str, Any] = model.get("PrimaryContainer") or next(iter(model.get("Containers") or []), {})
    image = str(container.get("Image") or "")
    try:
        frameworks.check_image(image)
    except frameworks.FrameworkMismatchError as exc:
        raise FleetError(f"ClientError: production variant {name}: {exc}") from exc
    environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    variant_dir = root / name
    model_dir, code_dir = variant_dir / "model", variant_dir / "code"
    model_dir.mkdir(parents=True)
    if container.get("ModelDataUrl"):
        _extract(s3, str(container["ModelDataUrl"]), model_dir, "model data")
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    if submit.startswith("s3://"):
        _extract(s3, submit, code_dir, "the source directory")
    else:
        code_dir = DEFAULT_CODE_DIR
    program = environment.get("SAGEMAKER_PROGRAM", DEFAULT_PROGRAM)
    port = process.free_port("127.0.0.1")
    log_file = variant_dir / "server.log"
    env = {k: os.environ[k] for k in PASSED_THROUGH_ENV if k in os.environ}
    env.update(environment)
    env.update({"PYTHONUNBUFFERED": "1", "SAGEMAKER_BIND_TO_PORT": str(port), "TMPDIR": str(variant_dir)})
    with log_file.open("wb") as log:
        started = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlops.local.endpoint_host",
                "--model-dir",
                str(model_dir),
                "--code-dir",
                str(code_dir),
                "--program",
                program,
                "--port",
                str(port),
                "--parent",
                str(os.getpid()),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return VariantServer(
        variant_name=name,
        model_name=str(variant.get("ModelName")),
        image=image,
        weight=float(variant.get("InitialVariantWeight", 1.0)),
        instance_count=int(variant.get("InitialInstanceCount", 1)),
        instance_type=str(variant.get("InstanceType", "")),
        port=port,
        process=started,
        log_file=log_file,
    )


def start(config_name: str, variants: list[dict[str, Any]], models: dict[str, dict[str, Any]], s3: Any) -> Fleet:
    """Start every variant of an endpoint config and wait until each answers `/ping`.

    `models` maps each variant's `ModelName` to its CreateModel request (PascalCase keys).
    Raises `FleetError` (with a SageMaker-like reason) after stopping what did start."""
    scratch = Path(tempfile.mkdtemp(prefix=f"mlops-endpoint-{config_name[:40]}-"))
    fleet = Fleet(config_name, [], scratch)
    try:
        for variant in variants:
            model = models.get(str(variant.get("ModelName")))
            if model is None:
                raise FleetError(
                    f"Could not find model {variant.get('ModelName')!r} of variant {variant['VariantName']}."
                )
            fleet.variants.append(_start_variant(variant, model, s3, scratch))
        deadline = time.monotonic() + START_TIMEOUT_S
        for server in fleet.variants:
            _wait_for_ping(server, deadline)
    except BaseException:
        fleet.stop()
        raise
    return fleet
