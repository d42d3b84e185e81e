"""The local cloud's recorded state when its server is gone: `status`, `endpoint` and `down`
report it and clear it without contacting anything."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops import local
from mlops.errors import LocalCloudError
from mlops.local.state import LocalCloudState, LocalPaths, save


def test_a_stale_state_is_reported_and_cleared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_LOCAL_STATE_DIR", raising=False)
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(finished.stdout)
    paths = LocalPaths.at(tmp_path)
    save(
        paths,
        LocalCloudState(
            pid=dead_pid,
            host="localhost",
            port=1,
            endpoint="http://localhost:1",
            region="us-east-1",
            started_at=datetime.now(UTC),
            environment="dev",
            config_path="mlops.yaml",
            log_file=str(paths.server_log),
        ),
    )
    current = local.status(tmp_path)
    assert (current.running, current.stale) == (False, True)
    with pytest.raises(LocalCloudError, match="no local cloud is running"):
        local.endpoint(tmp_path)
    result = local.down(tmp_path)
    assert result.stopped is False
    assert not paths.state_file.exists()
    assert local.down(tmp_path).message == "no local cloud is running"
