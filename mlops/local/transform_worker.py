"""The model container of a local batch transform job: `python -m mlops.local.transform_worker SPEC`.

What SageMaker's batch transform does between the input objects and the model server, with the
framework container's inference contract (`SAGEMAKER_PROGRAM` imported from the extracted
`SAGEMAKER_SUBMIT_DIRECTORY`, `model_fn(model_dir)` once, then per request
`input_fn(body, content_type)` -> `predict_fn(data, model)` -> `output_fn(prediction, accept)`):

- `SplitType` `Line`: an object's records are its non-blank lines; `None`: the whole object is
  one record. `CompressionType` `Gzip` objects are decompressed first.
- `BatchStrategy` `MultiRecord`: consecutive records go into one request while it stays within
  `MaxPayloadInMB` (0: no limit); `SingleRecord`: one record a request. A record larger than the
  limit fails the job, as on SageMaker.
- `AssembleWith` `Line`: the responses of an object, each ending in a newline, in request order
  (a response with no content, e.g. the header line alone, adds nothing); `None`: the responses
  concatenated as they are. Written to `<output dir>/<relative input key>.out`.

The spec (JSON) names the model, code and program, the inputs (`path`, `relative`), the output
directory and those settings. On an error the reason goes to the spec's `failure_file` and the
process exits 1: `ClientError: ...` for what the script declares a bad request
(`InvalidInputError`, `UnsupportedFormatError`: a 4xx from the model server), `AlgorithmError: ...`
for anything else, naming the object and the records of the failing request.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

#: exception classes (by name, as the script declares them) a model server answers with a 4xx
CLIENT_ERRORS = ("InvalidInputError", "UnsupportedFormatError")
MB = 1024 * 1024


class TransformError(Exception):
    """The job fails with this as its FailureReason."""


def records(data: bytes, split_type: str) -> list[bytes]:
    if split_type == "None":
        return [data] if data else []
    if split_type != "Line":
        raise TransformError(f"ClientError: SplitType {split_type} is not modelled locally (Line or None)")
    return [line if line.endswith(b"\n") else line + b"\n" for line in data.splitlines() if line.strip()]


def mini_batches(items: Sequence[bytes], strategy: str, max_payload_mb: int) -> Iterator[tuple[int, int, bytes]]:
    """(index of the first record, how many, the request body) of each request."""
    limit = max_payload_mb * MB if max_payload_mb > 0 else None
    for index, item in enumerate(items):
        if limit is not None and len(item) > limit:
            raise TransformError(
                f"ClientError: record {index + 1} is {len(item)} bytes, over MaxPayloadInMB ({max_payload_mb})"
            )
    if strategy == "SingleRecord":
        for index, item in enumerate(items):
            yield index, 1, item
        return
    start, body = 0, bytearray()
    for index, item in enumerate(items):
        if body and limit is not None and len(body) + len(item) > limit:
            yield start, index - start, bytes(body)
            start, body = index, bytearray()
        body += item
    if body:
        yield start, len(items) - start, bytes(body)


def assemble(responses: Sequence[bytes], assemble_with: str) -> bytes:
    if assemble_with != "Line":
        return b"".join(responses)
    return b"".join(r if r.endswith(b"\n") else r + b"\n" for r in responses if r)


def load_program(code_dir: Path, program: str) -> ModuleType:
    script = code_dir / program
    if not script.is_file():
        raise TransformError(f"ClientError: SAGEMAKER_PROGRAM {program!r} is not in the submitted source directory")
    sys.path.insert(0, str(code_dir))
    spec = importlib.util.spec_from_file_location(script.stem, script)
    if spec is None or spec.loader is None:
        raise TransformError(f"ClientError: cannot import {program}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[script.stem] = module
    spec.loader.exec_module(module)
    return module


def _kind(module: ModuleType, error: BaseException) -> str:
    for name in CLIENT_ERRORS:
        declared = getattr(module, name, None)
        if isinstance(declared, type) and isinstance(error, declared):
            return "ClientError"
    return "AlgorithmError"


def invoke(module: ModuleType, model: Any, body: bytes, content_type: str, accept: str) -> bytes:
    data = module.input_fn(body, content_type)
    prediction = module.predict_fn(data, model)
    output = module.output_fn(prediction, accept)
    answer = output[0] if isinstance(output, tuple) else output
    return answer.encode() if isinstance(answer, str) else bytes(answer)


def transform(spec: dict[str, Any]) -> None:
    module = load_program(Path(spec["code_dir"]), spec["program"])
    try:
        model = module.model_fn(spec["model_dir"])
    except Exception as exc:
        raise TransformError(f"AlgorithmError: model_fn failed: {type(exc).__name__}: {exc}") from exc
    output_dir = Path(spec["output_dir"])
    for item in spec["inputs"]:
        data = Path(item["path"]).read_bytes()
        if spec.get("compression_type") == "Gzip":
            try:
                data = gzip.decompress(data)
            except OSError as exc:
                raise TransformError(f"ClientError: {item['uri']} is not gzip: {exc}") from exc
        split = records(data, spec.get("split_type") or "None")
        responses = []
        requests = 0
        for first, count, body in mini_batches(
            split, spec.get("batch_strategy") or "MultiRecord", int(spec.get("max_payload_mb", 6))
        ):
            requests += 1
            try:
                responses.append(invoke(module, model, body, spec.get("content_type") or "", spec.get("accept") or ""))
            except Exception as exc:
                where = f"{item['uri']} (records {first + 1}-{first + count})"
                raise TransformError(f"{_kind(module, exc)}: {where}: {type(exc).__name__}: {exc}") from exc
        target = output_dir / f"{item['relative']}.out"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(assemble(responses, spec.get("assemble_with") or "None"))
        print(f"transformed {item['uri']}: {len(split)} record(s) in {requests} request(s) -> {target.name}")


def main(argv: list[str] | None = None) -> int:
    [spec_path] = argv if argv is not None else sys.argv[1:]
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    try:
        transform(spec)
    except TransformError as exc:
        print(str(exc), file=sys.stderr)
        Path(spec["failure_file"]).write_text(str(exc), encoding="utf-8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
