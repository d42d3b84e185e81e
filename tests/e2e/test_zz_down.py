"""Runs last in the e2e session (file order): stops the session's local cloud."""

import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalCloud

pytestmark = pytest.mark.e2e


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    # a zombie waiting for a parent that never reaps it is gone, too
    return stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] in {"Z", "X"}


def test_status_then_down(local_cloud: LocalCloud) -> None:
    status = json.loads(local_cloud.mlops("local", "status", "--json").stdout)
    assert status["running"] is True
    assert status["endpoint"] == local_cloud.endpoint
    assert status["pid"] == local_cloud.up["pid"]

    local_cloud.mlops("local", "down")

    status = json.loads(local_cloud.mlops("local", "status", "--json").stdout)
    assert status == {"running": False, "stale": False}
    assert _process_gone(local_cloud.up["pid"])
    # down is safe when nothing runs
    assert "no local cloud is running" in local_cloud.mlops("local", "down").stdout
