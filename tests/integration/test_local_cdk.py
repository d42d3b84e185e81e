"""`mlops local up` synthesizes with the interpreter running `mlops`, not cdk.json's
`.venv/bin/python`: a checkout without `.venv` (mlops installed in another environment) still
synthesizes, through the real pinned CDK CLI."""

import os
import shutil
from pathlib import Path

import pytest

from mlops.local.cdk import CdkCli, app_command, stack_artifacts

REPO_ROOT = Path(__file__).resolve().parents[2]
#: what `app.py` needs from a checkout (`.venv` deliberately absent)
CHECKOUT = ("app.py", "cdk.json", "mlops.yaml", "package.json", "mlops", "stacks", "functions", "training")


def test_the_app_command_quotes_the_interpreter() -> None:
    assert app_command("/opt/my envs/py/bin/python") == "'/opt/my envs/py/bin/python' app.py"


def test_synth_works_in_a_checkout_without_dot_venv(tmp_path: Path) -> None:
    if shutil.which("npx") is None or not (REPO_ROOT / "node_modules" / ".bin" / "cdk").exists():
        pytest.fail("needs Node and the pinned CDK CLI: run ./scripts/dev install")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in (*CHECKOUT, "node_modules"):
        os.symlink(REPO_ROOT / name, checkout / name)
    assert not (checkout / ".venv").exists()
    cli = CdkCli(root=checkout, endpoint="http://localhost:1", region="us-east-1", log_file=tmp_path / "cdk.log")
    assembly = tmp_path / "cdk.out"
    cli.synth(assembly, config_path=str(checkout / "mlops.yaml"), environment="dev")
    names = {name for name, _ in stack_artifacts(assembly).values()}
    assert names == {f"tumor-classifier-dev-{context}" for context in ("data", "pipeline", "serving", "monitoring")}
