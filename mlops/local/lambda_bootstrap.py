"""Runs one Lambda invocation in a fresh interpreter, the way the Lambda runtime would.

Started by mlops.local.lambda_runtime as `python lambda_bootstrap.py` with the unpacked
function code as working directory. It imports nothing from the repository: the function's
own asset (handler + its copy of `mlops`) comes first on sys.path, exactly like in Lambda.
Event on stdin; the result or the error document goes to the file named by
MLOPS_LAMBDA_RESULT; stdout/stderr are the function's logs.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from pathlib import Path


class Context:
    def __init__(self) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        self.function_version = "$LATEST"
        self.invoked_function_arn = os.environ.get("MLOPS_LAMBDA_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    sys.path.insert(0, str(Path.cwd()))
    result_path = os.environ["MLOPS_LAMBDA_RESULT"]
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        event = json.loads(sys.stdin.read() or "{}")
        handler = getattr(importlib.import_module(module_name), function_name)
        result = {"ok": True, "payload": handler(event, Context())}
    except Exception as exc:
        result = {
            "ok": False,
            "payload": {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc),
            },
        }
        traceback.print_exc()
    with Path(result_path).open("w", encoding="utf-8") as out:
        json.dump(result, out, default=str)


if __name__ == "__main__":
    main()
