import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# jsii prints a multi-line end-of-life banner on Node 20 for every process otherwise.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", os.environ.get("NODE_MAJOR", "20"))
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
