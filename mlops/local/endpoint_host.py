"""One model server of a local SageMaker endpoint: the inference contract of the framework containers.

    python -m mlops.local.endpoint_host --model-dir DIR --code-dir DIR --program inference.py \
        --port PORT --parent PID

What the SageMaker XGBoost framework container does with `SAGEMAKER_PROGRAM` (the script) in
`SAGEMAKER_SUBMIT_DIRECTORY` (here extracted to `--code-dir`) and the extracted model.tar.gz
(`--model-dir`, `/opt/ml/model` in the container): import the script, call `model_fn(model_dir)`
once, then serve

- `GET /ping`: 200 once the model is loaded;
- `POST /invocations`: `input_fn(body, content_type)` -> `predict_fn(data, model)` ->
  `output_fn(prediction, accept)` (a `(body, content_type)` tuple or a body alone, as the
  inference toolkit accepts), answered 200; the script's own `InvalidInputError` -> 400,
  `UnsupportedFormatError` -> 415, any other exception -> 500, with the error text as body.

A model that cannot be loaded makes the process exit 1 with the traceback on stderr before it
answers `/ping` (the local endpoint then fails, as SageMaker's does on a failed health check).
The process exits by itself when its parent (the local cloud's server) is gone, so a killed
server cannot leave model servers behind.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger("mlops.local.endpoint_host")

#: HTTP status per exception class the inference script declares (by name, in the script)
STATUS_FOR_ERROR = {"InvalidInputError": 400, "UnsupportedFormatError": 415}
PARENT_POLL_SECONDS = 0.5


def load_program(code_dir: Path, program: str) -> ModuleType:
    """Import `program` from `code_dir` as the container does (its directory first on sys.path)."""
    script = code_dir / program
    if not script.is_file():
        raise FileNotFoundError(f"SAGEMAKER_PROGRAM {program!r} is not in the submitted source directory")
    sys.path.insert(0, str(code_dir))
    spec = importlib.util.spec_from_file_location(script.stem, script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[script.stem] = module
    spec.loader.exec_module(module)
    return module


def status_for(module: ModuleType, error: BaseException) -> int:
    for name, status in STATUS_FOR_ERROR.items():
        declared = getattr(module, name, None)
        if isinstance(declared, type) and isinstance(error, declared):
            return status
    return 500


class Handlers:
    """The loaded script and model; `invoke` is one `/invocations` request."""

    def __init__(self, module: ModuleType, model_dir: Path) -> None:
        self.module = module
        self.model = module.model_fn(str(model_dir))

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[int, bytes, str]:
        try:
            data = self.module.input_fn(body, content_type)
            prediction = self.module.predict_fn(data, self.model)
            output: Any = self.module.output_fn(prediction, accept)
        except Exception as exc:
            status = status_for(self.module, exc)
            if status == 500:
                log.error("invocation failed:\n%s", traceback.format_exc())
            return status, f"{type(exc).__name__}: {exc}".encode(), "text/plain"
        body_out, type_out = output if isinstance(output, tuple) else (output, accept or "application/json")
        encoded = body_out.encode() if isinstance(body_out, str) else bytes(body_out)
        return 200, encoded, str(type_out)


def _handler_class(handlers: Handlers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request would drown the endpoint's log

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/ping":
                self._answer(200, b"", "text/plain")
            else:
                self._answer(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path != "/invocations":
                self._answer(404, b"not found", "text/plain")
                return
            content_type = self.headers.get("Content-Type") or "application/octet-stream"
            accept = self.headers.get("Accept") or ""
            self._answer(*handlers.invoke(body, content_type, accept))

    return Handler


def _exit_with_parent(parent: int) -> None:
    """Die when the server that started us is gone (reparented: getppid() changes)."""
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(PARENT_POLL_SECONDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlops.local.endpoint_host", description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--code-dir", type=Path, required=True)
    parser.add_argument("--program", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True, help="exit when this process is no longer our parent")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    threading.Thread(target=_exit_with_parent, args=(args.parent,), daemon=True).start()
    try:
        handlers = Handlers(load_program(args.code_dir, args.program), args.model_dir)
    except Exception as exc:
        print(f"model load failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler_class(handlers))
    server.daemon_threads = True
    log.info("serving %s on 127.0.0.1:%s", args.program, args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
