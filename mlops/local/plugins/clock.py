"""Compressed waiting for moto's Step Functions interpreter (moto 5.2.5).

moto's ASL interpreter really sleeps for a Retry's interval (with backoff and jitter). The
training state machine retries SageMaker capacity errors after 30 s, 60 s, ...: honest for
AWS, slow for a laptop. In the local cloud the retrier's sleep is scaled by
`MLOPS_LOCAL_WAIT_SCALE` (read when the server starts; default 0.02, so 30 s waits 0.6 s;
1 restores real time). The definition is unchanged: which errors retry, how often, and the
growth of the intervals are exactly as deployed; only the wall clock is compressed.
Every scaled wait is logged with its deployed and its scaled length, and the last ones are
kept in `waits` (for tests).
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from typing import Any

from mlops.local.plugins._contract import MotoContractError, require

logger = logging.getLogger("mlops.local")

_RETRIER = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
DEFAULT_SCALE = 0.02

#: (deployed seconds, scaled seconds) of the recent waits
waits: collections.deque[tuple[float, float]] = collections.deque(maxlen=100)
_lock = threading.Lock()
_installed = False


def scale() -> float:
    raw = os.environ.get("MLOPS_LOCAL_WAIT_SCALE", "")
    try:
        value = float(raw) if raw else DEFAULT_SCALE
    except ValueError:
        value = DEFAULT_SCALE
    return min(max(value, 0.0), 1.0)


class _ScaledTime:
    """Stands in for the `time` module inside moto's retrier: only `sleep` is scaled."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def sleep(self, seconds: float) -> None:
        scaled = seconds * self.factor
        waits.append((seconds, scaled))
        logger.info("retry wait: %.2f s as deployed, %.3f s locally (MLOPS_LOCAL_WAIT_SCALE)", seconds, scaled)
        time.sleep(scaled)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        require(_RETRIER, "RetrierDecl._eval_body")
        module = require(_RETRIER, "time")
        if module is not time and not isinstance(module, _ScaledTime):
            raise MotoContractError(f"{_RETRIER}.time is not the time module")
        import importlib

        setattr(importlib.import_module(_RETRIER), "time", _ScaledTime(scale()))  # noqa: B010
        _installed = True
