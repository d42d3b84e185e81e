"""A local job's output, line by line with the time each line was written, and its delivery to
CloudWatch Logs (moto's logs API) where SageMaker puts it (mlops/pipeline/job_logs.py).

Lines are timestamped as they arrive (reader threads on the job's stdout and stderr), so the
stream shows when each thing happened; they are delivered when the job ends, before its status
turns terminal, so whoever sees the job ended also finds its logs.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: PutLogEvents limits: events per call, bytes per call (each event counts 26 bytes more), bytes per message
MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
MAX_MESSAGE_BYTES = 256 * 1024 - 26
_EVENT_OVERHEAD = 26
_READER_JOIN_S = 5.0


@dataclass
class Captured:
    """What a finished command wrote: exit code (None when killed at the time limit), its two
    streams, and every line as (epoch milliseconds, text) in arrival order."""

    code: int | None
    stdout: str
    stderr: str
    lines: list[tuple[int, str]] = field(default_factory=list)


def run_captured(command: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float) -> Captured:
    lines: list[tuple[int, str]] = []
    out: list[str] = []
    err: list[str] = []
    lock = threading.Lock()

    def pump(stream: IO[str], sink: list[str]) -> None:
        for line in stream:
            stamp = int(time.time() * 1000)
            with lock:
                sink.append(line)
                lines.append((stamp, line.rstrip("\r\n")))

    with subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    ) as process:
        if process.stdout is None or process.stderr is None:  # both are piped above
            raise RuntimeError("the job's output pipes were not opened")
        readers = [
            threading.Thread(target=pump, args=(process.stdout, out), daemon=True),
            threading.Thread(target=pump, args=(process.stderr, err), daemon=True),
        ]
        for reader in readers:
            reader.start()
        code: int | None
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = None
        # a grandchild may hold the pipes open: do not wait for it forever
        for reader in readers:
            reader.join(_READER_JOIN_S)
    with lock:
        return Captured(code, "".join(out), "".join(err), list(lines))


def _truncate(message: str) -> str:
    encoded = message.encode("utf-8")
    if len(encoded) <= MAX_MESSAGE_BYTES:
        return message
    return encoded[:MAX_MESSAGE_BYTES].decode("utf-8", errors="ignore")


def batches(lines: Sequence[tuple[int, str]]) -> list[list[dict[str, Any]]]:
    """PutLogEvents batches within the API's limits; blank lines are dropped (a message may not be empty)."""
    result: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for stamp, text in sorted(lines, key=lambda item: item[0]):
        if not text.strip():
            continue
        message = _truncate(text)
        cost = len(message.encode("utf-8")) + _EVENT_OVERHEAD
        if current and (len(current) >= MAX_EVENTS or size + cost > MAX_BATCH_BYTES):
            result.append(current)
            current, size = [], 0
        current.append({"timestamp": stamp, "message": message})
        size += cost
    if current:
        result.append(current)
    return result


def publish(client: Any, group: str, stream: str, lines: Sequence[tuple[int, str]]) -> int:
    """Write `lines` as `group`/`stream` (both created when missing, as SageMaker does); how many events."""
    events = batches(lines)
    if not events:
        return 0
    for create, kwargs in (
        (client.create_log_group, {"logGroupName": group}),
        (client.create_log_stream, {"logGroupName": group, "logStreamName": stream}),
    ):
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            create(**kwargs)
    for batch in events:
        client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
    return sum(len(batch) for batch in events)
