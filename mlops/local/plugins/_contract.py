"""Checked access to the moto internals our plugins patch."""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from typing import Any, ParamSpec

import moto

PINNED_MOTO = "5.2.5"
P = ParamSpec("P")


def run_once(install: Callable[P, None]) -> Callable[P, None]:
    """A plugin's `install`: patches moto once per process, whoever calls it and how often
    (thread-safe; a failed install is not marked done, so it fails loudly again)."""
    lock = threading.Lock()
    done = False

    @functools.wraps(install)
    def once(*args: P.args, **kwargs: P.kwargs) -> None:
        nonlocal done
        with lock:
            if done:
                return
            install(*args, **kwargs)
            done = True

    return once


class MotoContractError(RuntimeError):
    """A moto internal that a plugin patches is missing or changed shape."""


def require(module_name: str, attribute: str) -> Any:
    """`module_name.attribute`, or a MotoContractError naming what moved."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MotoContractError(
            f"moto {moto.__version__} (plugins written for {PINNED_MOTO}): cannot import {module_name}"
        ) from exc
    owner: Any = module
    for part in attribute.split("."):
        if not hasattr(owner, part):
            raise MotoContractError(
                f"moto {moto.__version__} (plugins written for {PINNED_MOTO}): {module_name}.{attribute} is gone"
            )
        owner = getattr(owner, part)
    return owner
