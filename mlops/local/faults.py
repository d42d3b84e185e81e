"""Injected API faults in the local cloud: make the next N calls of an operation fail.

For testing what a flow does when AWS says no (capacity, limits, throttling): the fault is
raised by the local cloud's API itself, so every client sees it, including moto's Step
Functions interpreter (a `.sync` task then fails with the error name Step Functions uses, and
the state machine's own Retry/Catch decide what happens, as on AWS).

Server side (in the launcher's process): `register`, `take`, `snapshot`, `clear`; the launcher
serves them at `/_mlops/faults` (`POST` a fault, `GET` the pending ones, `DELETE` all).
Client side: `inject`, `pending`, `clear_remote` (urllib only).

    faults.inject(endpoint, service="sagemaker", operation="CreateTrainingJob",
                  code="ResourceLimitExceeded", message="...", count=1)

Only operations whose plugin consults `take()` honour faults: today SageMaker
`CreateTrainingJob` and `CreateProcessingJob`.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

PATH = "/_mlops/faults"


@dataclass
class Fault:
    service: str
    operation: str
    code: str
    message: str
    count: int = 1
    status: int = 400
    fired: int = 0


_lock = threading.Lock()
_faults: list[Fault] = []


def register(fault: Fault) -> None:
    if fault.count < 1:
        raise ValueError("count must be at least 1")
    with _lock:
        _faults.append(fault)


def take(service: str, operation: str) -> Fault | None:
    """The fault to raise for this call, if one is pending (consumes one of its count)."""
    with _lock:
        for fault in _faults:
            if fault.service == service and fault.operation == operation and fault.fired < fault.count:
                fault.fired += 1
                if fault.fired >= fault.count:
                    _faults.remove(fault)
                return fault
    return None


def snapshot() -> list[dict[str, Any]]:
    with _lock:
        return [asdict(f) for f in _faults]


def clear() -> None:
    with _lock:
        _faults.clear()


# --------------------------------------------------------------------------------------------
# The launcher's route


def middleware(app: Any) -> Any:
    """Wrap a WSGI app: `/_mlops/faults` is answered here, everything else by `app`."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        status, body = "200 OK", b""
        try:
            if method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                register(Fault(**json.loads(environ["wsgi.input"].read(length) or b"{}")))
            elif method == "DELETE":
                clear()
            elif method != "GET":
                raise ValueError(f"method {method} not allowed")
            body = json.dumps(snapshot()).encode()
        except (TypeError, ValueError) as exc:
            status, body = "400 Bad Request", json.dumps({"error": str(exc)}).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


# --------------------------------------------------------------------------------------------
# Clients


def _call(endpoint_url: str, method: str, payload: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 - the local cloud's own http endpoint
        endpoint_url.rstrip("/") + PATH, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: list[dict[str, Any]] = json.loads(response.read())
        return result


def inject(
    endpoint_url: str, *, service: str, operation: str, code: str, message: str, count: int = 1, status: int = 400
) -> list[dict[str, Any]]:
    payload = {
        "service": service,
        "operation": operation,
        "code": code,
        "message": message,
        "count": count,
        "status": status,
    }
    return _call(endpoint_url, "POST", payload)


def pending(endpoint_url: str) -> list[dict[str, Any]]:
    return _call(endpoint_url, "GET")


def clear_remote(endpoint_url: str) -> list[dict[str, Any]]:
    return _call(endpoint_url, "DELETE")
