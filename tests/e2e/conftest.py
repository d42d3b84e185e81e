"""A local cloud of the test session's own: started through the real `mlops local up` command,
always stopped at the end through the real `mlops local down`, and the teardown checks that
it really went down (status, process, a second `down`): that path is asserted where it runs,
after every test, instead of in a test that would have to run last.

The cloud keeps its files in a temporary directory ($MLOPS_LOCAL_STATE_DIR), so a developer's
running cloud (under `.mlops/`) is neither reused nor stopped by the tests. Tests share the
cloud (one `up` per session keeps the suite fast) but never depend on each other: each one
creates the data and runs it asserts on.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlops.local import process
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
MLOPS = [sys.executable, "-m", "mlops.cli.main"]
UP_TIMEOUT_S = 600


def needs_node() -> None:
    if shutil.which("npx") is None or not (REPO_ROOT / "node_modules" / ".bin" / "cdk").exists():
        pytest.fail("the local cloud needs Node and the pinned CDK CLI: run ./scripts/dev install")


@dataclass
class LocalCloud:
    state_dir: Path
    env: dict[str, str]
    up: dict[str, Any]
    up_seconds: float
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return str(self.up["endpoint"])

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=self.up["region"],
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._clients[service]

    def mlops(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*MLOPS, *arguments], cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            pytest.fail(f"mlops {' '.join(arguments)} exited {result.returncode}:\n{result.stderr[-4000:]}")
        return result

    def templates(self) -> dict[str, dict[str, Any]]:
        """`{stack name: template}` of the assembly the cloud was deployed from."""
        assembly = self.state_dir / "cdk.out"
        manifest = json.loads((assembly / "manifest.json").read_text())
        templates = {}
        for artifact in manifest["artifacts"].values():
            if artifact["type"] == "aws:cloudformation:stack":
                properties = artifact["properties"]
                templates[properties["stackName"]] = json.loads((assembly / properties["templateFile"]).read_text())
        return templates

    def physical_ids(self, resource_type: str) -> dict[str, str]:
        """`{logical id: physical id}` of every resource of this type that the templates declare,
        as CloudFormation in the cloud reports it (missing ones map to "")."""
        cloudformation = self.client("cloudformation")
        found: dict[str, str] = {}
        for stack_name, template in self.templates().items():
            declared = [k for k, v in template["Resources"].items() if v["Type"] == resource_type]
            if not declared:
                continue
            actual = {
                r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                for r in cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
            }
            found |= {f"{stack_name}/{logical_id}": actual.get(logical_id, "") for logical_id in declared}
        return found


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    needs_node()
    state_dir = tmp_path_factory.mktemp("local-cloud")
    env = os.environ | {
        "MLOPS_LOCAL_STATE_DIR": str(state_dir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "COLUMNS": "200",
    }
    env.pop("MLOPS_LOCAL", None)
    started = time.perf_counter()
    result = subprocess.run(
        [*MLOPS, "local", "up", "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=UP_TIMEOUT_S,
        check=False,
    )
    elapsed = time.perf_counter() - started
    try:
        if result.returncode != 0:
            pytest.fail(f"mlops local up exited {result.returncode}:\n{result.stderr[-6000:]}")
        cloud = LocalCloud(state_dir=state_dir, env=env, up=json.loads(result.stdout), up_seconds=elapsed)
        print(f"\nmlops local up: {elapsed:.1f}s end to end; phases: {cloud.up['timings']}")
        yield cloud
    except BaseException:
        subprocess.run([*MLOPS, "local", "down"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
        raise
    try:
        down_and_check(cloud)
    finally:
        process.stop(int(cloud.up["pid"]))  # only if the checked `down` did not stop it


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    # a zombie waiting for a parent that never reaps it is gone, too
    return stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] in {"Z", "X"}


def down_and_check(cloud: LocalCloud) -> None:
    """`mlops local down` stops the cloud `up` started: status says so, the server process is
    gone, and a second `down` is safe."""
    cloud.mlops("local", "down")
    status = json.loads(cloud.mlops("local", "status", "--json").stdout)
    assert status == {"running": False, "stale": False}
    pid = int(cloud.up["pid"])
    wait_until(lambda: process_gone(pid), timeout=10, what=f"the local cloud's server (pid {pid}) to exit")
    assert "no local cloud is running" in cloud.mlops("local", "down").stdout
