"""Injected API faults in the local cloud: make the next N calls of an operation fail.

For testing what a flow does when AWS says no (capacity, limits, throttling): the fault is
raised by the local cloud's API itself, so every client sees it, including moto's Step
Functions interpreter (a `.sync` task then fails with the error name Step Functions uses, and
the state machine's own Retry/Catch decide what happens, as on AWS).

Client side (urllib only; `endpoint_url` is the local cloud's, e.g. `http://localhost:4566`):

    faults.inject(endpoint_url, operation="CreateTrainingJob", code="ResourceLimitExceeded",
                  message="...", count=1, service="sagemaker", status=400)  -> pending faults
    faults.pending(endpoint_url)  -> the faults still to fire, each with how often it `fired`
    faults.fired(endpoint_url)    -> how often each (service, operation, code) has fired
    faults.clear(endpoint_url)    -> forget pending faults and the tally

The launcher (`mlops.local.server`) serves them at `/_mlops/faults`: `POST` a fault (JSON
`{"service", "operation", "code", "message", "count", "status"}`; 400 for an operation no
plugin honours or a count below 1), `GET` `{"pending": [...], "fired": [...]}`, `DELETE` all.
Server side (in the launcher's process): `register`, `take`, `snapshot`, `reset`.

Only operations whose plugin consults `take()` honour faults (`HONOURED`): today SageMaker
`CreateTrainingJob`, `CreateProcessingJob` and `CreateTransformJob`.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

PATH = "/_mlops/faults"

#: (service, operation) pairs whose plugin consults `take()`
HONOURED = frozenset(
    {("sagemaker", "CreateTrainingJob"), ("sagemaker", "CreateProcessingJob"), ("sagemaker", "CreateTransformJob")}
)


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
_fired: dict[tuple[str, str, str], int] = {}


def register(fault: Fault) -> None:
    for name in ("service", "operation", "code", "message"):
        if not isinstance(getattr(fault, name), str):
            raise TypeError(f"{name} must be a string")
    if not isinstance(fault.count, int) or fault.count < 1:
        raise ValueError("count must be an integer, at least 1")
    if not isinstance(fault.status, int) or not 400 <= fault.status <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    if (fault.service, fault.operation) not in HONOURED:
        honoured = ", ".join(f"{s}:{o}" for s, o in sorted(HONOURED))
        raise ValueError(f"no fault can be injected into {fault.service}:{fault.operation} (only {honoured})")
    fault.fired = 0
    with _lock:
        _faults.append(fault)


def take(service: str, operation: str) -> Fault | None:
    """The fault to raise for this call, if one is pending (consumes one of its count)."""
    with _lock:
        for fault in _faults:
            if fault.service == service and fault.operation == operation and fault.fired < fault.count:
                fault.fired += 1
                key = (service, operation, fault.code)
                _fired[key] = _fired.get(key, 0) + 1
                if fault.fired >= fault.count:
                    _faults.remove(fault)
                return fault
    return None


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """`{"pending": [fault, ...], "fired": [{"service", "operation", "code", "count"}, ...]}`."""
    with _lock:
        return {
            "pending": [asdict(f) for f in _faults],
            "fired": [{"service": s, "operation": o, "code": c, "count": n} for (s, o, c), n in sorted(_fired.items())],
        }


def reset() -> None:
    """Forget every pending fault and the tally of fired ones."""
    with _lock:
        _faults.clear()
        _fired.clear()


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
                payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if not isinstance(payload, dict):
                    raise TypeError("the body must be a JSON object")
                payload.pop("fired", None)
                register(Fault(**payload))
            elif method == "DELETE":
                reset()
            elif method != "GET":
                status = "405 Method Not Allowed"
                raise ValueError(f"method {method} not allowed (GET, POST, DELETE)")
            body = json.dumps(snapshot()).encode()
        except (TypeError, ValueError) as exc:
            status = status if status != "200 OK" else "400 Bad Request"
            body = json.dumps({"error": str(exc)}).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


# --------------------------------------------------------------------------------------------
# Clients


def _call(endpoint_url: str, method: str, payload: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 - the local cloud's own http endpoint
        endpoint_url.rstrip("/") + PATH, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, list[dict[str, Any]]] = json.loads(response.read())
        return result


def inject(
    endpoint_url: str,
    *,
    operation: str,
    code: str,
    message: str,
    count: int = 1,
    service: str = "sagemaker",
    status: int = 400,
) -> list[dict[str, Any]]:
    """Make the next `count` calls of `service:operation` fail with `code` (HTTP `status`) and
    `message`; the pending faults. `urllib.error.HTTPError` (400) for a fault that cannot be injected."""
    payload = {
        "service": service,
        "operation": operation,
        "code": code,
        "message": message,
        "count": count,
        "status": status,
    }
    return _call(endpoint_url, "POST", payload)["pending"]


def pending(endpoint_url: str) -> list[dict[str, Any]]:
    """The faults still to fire (each with `count` and how often it has `fired`)."""
    return _call(endpoint_url, "GET")["pending"]


def fired(endpoint_url: str) -> list[dict[str, Any]]:
    """How often each (service, operation, code) has fired since the last `clear`."""
    return _call(endpoint_url, "GET")["fired"]


def clear(endpoint_url: str) -> list[dict[str, Any]]:
    """Forget every pending fault and the tally of fired ones; the pending faults (none)."""
    return _call(endpoint_url, "DELETE")["pending"]
