"""Real Lambda execution for the local cloud: moto stores the deployed function (code zip,
handler, environment); without Docker it cannot run it. This runs the deployed asset's
handler in a subprocess of this interpreter, whose site-packages stand in for the
AWS-managed layers (Powertools, SDK for pandas), with the function's environment pointed at
the local cloud.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
CODE_CACHE = Path(tempfile.gettempdir()) / "mlops-local-lambda"


@dataclass(frozen=True)
class Invocation:
    payload: str
    errored: bool
    logs: str


def unpack(code_zip: bytes) -> Path:
    """Unpack a code zip once per content hash (concurrent invocations share it)."""
    digest = hashlib.sha256(code_zip).hexdigest()[:24]
    target = CODE_CACHE / digest
    if target.is_dir():
        return target
    CODE_CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=CODE_CACHE))
    with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
        archive.extractall(staging)
    with contextlib.suppress(OSError):  # another invocation may have unpacked it first
        staging.rename(target)
    return target


def invoke(
    *,
    code_zip: bytes,
    handler: str,
    function_name: str,
    function_arn: str,
    environment: dict[str, str],
    event: Any,
    timeout_seconds: int,
    memory_mb: int,
    endpoint_url: str,
    region: str,
) -> Invocation:
    code_dir = unpack(code_zip)
    with tempfile.TemporaryDirectory(prefix="mlops-invoke-") as scratch:
        result_file = Path(scratch) / "result.json"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", scratch),
            "TMPDIR": scratch,
            **{k: str(v) for k, v in environment.items()},
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(timeout_seconds),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
            "MLOPS_LAMBDA_ARN": function_arn,
            "MLOPS_LAMBDA_RESULT": str(result_file),
        }
        try:
            completed = subprocess.run(
                [sys.executable, str(BOOTSTRAP)],
                input=json.dumps(event),
                cwd=code_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            logs = (exc.stdout or "") + (exc.stderr or "") if isinstance(exc.stdout, str) else ""
            message = f"Task timed out after {timeout_seconds:.2f} seconds"
            return Invocation(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}), True, logs)
        logs = completed.stdout + completed.stderr
        if not result_file.exists():
            message = f"Runtime exited with error: exit status {completed.returncode}"
            return Invocation(json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}), True, logs)
        result = json.loads(result_file.read_text(encoding="utf-8"))
        return Invocation(json.dumps(result["payload"], default=str), not result["ok"], logs)
