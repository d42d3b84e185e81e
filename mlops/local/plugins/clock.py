"""Compressed waiting for moto's Step Functions interpreter (moto 5.2.5).

moto's ASL interpreter really waits: for a Retry's interval (with backoff and jitter) and for
a `Wait` state. The training state machine retries SageMaker capacity errors after 30 s,
60 s, ...: honest for AWS, slow for a laptop. In the local cloud both are scaled by
`MLOPS_LOCAL_WAIT_SCALE`, read from the server process's environment when the plugins are
installed (default 0.02, so a 30 s retry waits 0.6 s; 1 restores real time; values outside
[0, 1] are clamped, an unparsable one means the default). The definition is unchanged: which
errors retry, how often, the growth of the intervals, the order of states are exactly as
deployed; only the wall clock is compressed (execution history timestamps show the compressed
times).

- Retry: `retrier_decl` calls `time.sleep(interval_seconds)` through its module global `time`;
  that global is replaced by `_ScaledTime`, whose `sleep` scales (everything else is `time`).
- Wait (`Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`, JSONata forms): every form is
  a `WaitFunction` whose `_eval_body` waits `_get_wait_seconds(env)` on the execution's
  `program_state_event` (which also ends the wait when the execution stops). `_eval_body` is
  replaced by one that waits the scaled seconds the same way. moto's own loop cannot simply be
  fed a fraction: it re-waits until `int(elapsed)` reaches the requested whole seconds. A
  `Timestamp` wait is scaled like the others (its distance from now).

Every scaled wait is logged (`mlops.local`, INFO) with its deployed and its local length:
`retry wait: 30.00 s as deployed, 0.600 s locally` / `wait state: 10.00 s as deployed, 0.200 s
locally`, and the last 100 are kept in `waits` as `Wait(kind, deployed, scaled)` (for tests
in the same process).
"""

from __future__ import annotations

import collections
import functools
import importlib
import logging
import os
import time
from typing import Any, NamedTuple

from mlops.local.plugins._contract import MotoContractError, require, run_once

logger = logging.getLogger("mlops.local")

_RETRIER = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
_WAIT_FUNCTION = "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function"
ENV_VAR = "MLOPS_LOCAL_WAIT_SCALE"
DEFAULT_SCALE = 0.02


class Wait(NamedTuple):
    kind: str  # "retry" | "wait state"
    deployed: float
    scaled: float


#: the recent scaled waits, oldest first
waits: collections.deque[Wait] = collections.deque(maxlen=100)


def scale() -> float:
    """The factor from `MLOPS_LOCAL_WAIT_SCALE` (default 0.02), clamped to [0, 1]."""
    raw = os.environ.get(ENV_VAR, "")
    try:
        value = float(raw) if raw else DEFAULT_SCALE
    except ValueError:
        logger.warning("%s=%r is not a number: using %s", ENV_VAR, raw, DEFAULT_SCALE)
        value = DEFAULT_SCALE
    return min(max(value, 0.0), 1.0)


def _record(kind: str, deployed: float, scaled: float) -> None:
    waits.append(Wait(kind, deployed, scaled))
    logger.info("%s: %.2f s as deployed, %.3f s locally (%s)", kind, deployed, scaled, ENV_VAR)


class _ScaledTime:
    """Stands in for the `time` module inside moto's retrier: only `sleep` is scaled."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def sleep(self, seconds: float) -> None:
        scaled = max(seconds, 0) * self.factor
        _record("retry wait", seconds, scaled)
        time.sleep(scaled)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _scale_retries(factor: float) -> None:
    require(_RETRIER, "RetrierDecl._eval_body")
    current = require(_RETRIER, "time")
    if current is not time and not isinstance(current, _ScaledTime):
        raise MotoContractError(f"{_RETRIER}.time is not the time module")
    setattr(importlib.import_module(_RETRIER), "time", _ScaledTime(factor))  # noqa: B010


def _scale_wait_states(factor: float) -> None:
    wait_function = require(_WAIT_FUNCTION, "WaitFunction")
    require(_WAIT_FUNCTION, "WaitFunction._get_wait_seconds")
    original = require(_WAIT_FUNCTION, "WaitFunction._eval_body")
    if getattr(original, "_mlops_scaled", False):
        return

    @functools.wraps(original)
    def _eval_body(self: Any, env: Any) -> None:
        seconds = self._get_wait_seconds(env=env)
        scaled = max(seconds, 0) * factor
        _record("wait state", seconds, scaled)
        deadline = time.monotonic() + scaled
        # the event pulses when the execution's state changes (stopped, failed): re-check then
        while env.is_running() and (remaining := deadline - time.monotonic()) > 0:
            env.program_state_event.wait(remaining)

    _eval_body._mlops_scaled = True  # type: ignore[attr-defined]
    wait_function._eval_body = _eval_body


@run_once
def install() -> None:
    """Call in the server process before it serves its first request."""
    factor = scale()
    _scale_retries(factor)
    _scale_wait_states(factor)
    logger.info("Step Functions waits run at %s of real time (%s)", factor, ENV_VAR)
