"""The real, pinned CDK CLI (`npx cdk`, aws-cdk from package.json) pointed at the local cloud.

How the local cloud calls it, and why:

- `synth` writes into `.mlops/cdk.out`, never the developer's `cdk.out`; `bootstrap` and
  `deploy` then read that assembly (`--app .mlops/cdk.out`) instead of running `app.py`
  again, so the app is synthesized once per `up`.
- `deploy --method=direct`: moto's change sets cannot carry cross-stack references (see
  `mlops.local.plugins.cloudformation`); CreateStack/UpdateStack can. Stacks deploy one at a
  time: moto is not built for concurrent stack operations, and each takes well under a second.
- The environment points every AWS SDK in the CLI at the server (`AWS_ENDPOINT_URL`, which
  must name `localhost`: moto resolves template URLs by host) with moto's dummy credentials,
  and drops profiles and session tokens so nothing can reach a real account.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.errors import LocalCloudError
from mlops.local.state import LOCAL_ACCOUNT

_DROPPED_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")
# Lines of CLI output that never explain a failure.
_NOISE = re.compile(
    r"^(npm warn|\(node:\d+\) Warning|\(Use `node --trace-warnings|versions published after|will require node|"
    r"To continue receiving|and security updates|More information can be found|\s*$)"
)


def app_command(python: str | None = None) -> str:
    """The CDK app run by the interpreter running `mlops` itself: cdk.json's `.venv/bin/python`
    serves `npx cdk ...` from a checkout, but `mlops` may live in any environment."""
    return f"{shlex.quote(python or sys.executable)} app.py"


@dataclass(frozen=True)
class CdkCli:
    root: Path
    endpoint: str
    region: str
    log_file: Path

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_VARIABLES}
        return env | {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DEFAULT_ACCOUNT": LOCAL_ACCOUNT,
            "CDK_DEFAULT_REGION": self.region,
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": env.get(
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
            ),
            "NO_PROXY": ",".join(filter(None, [env.get("NO_PROXY", ""), "localhost", "127.0.0.1"])),
        }

    def synth(self, assembly: Path, *, config_path: str, environment: str, timeout: float = 600) -> float:
        return self._run(
            "synth",
            [
                "synth",
                "--app",
                app_command(),
                "--quiet",
                "--output",
                str(assembly),
                "-c",
                f"env={environment}",
                "-c",
                f"config={config_path}",
            ],
            timeout=timeout,
        )

    def bootstrap(self, assembly: Path, *, timeout: float = 300) -> float:
        return self._run(
            "bootstrap",
            ["bootstrap", f"aws://{LOCAL_ACCOUNT}/{self.region}", "--app", str(assembly)],
            timeout=timeout,
        )

    def deploy(self, assembly: Path, outputs_file: Path, *, timeout: float = 600) -> float:
        return self._run(
            "deploy",
            [
                "deploy",
                "--all",
                "--app",
                str(assembly),
                "--require-approval",
                "never",
                "--method",
                "direct",
                "--outputs-file",
                str(outputs_file),
                "--progress",
                "events",
            ],
            timeout=timeout,
        )

    def _run(self, step: str, arguments: list[str], *, timeout: float) -> float:
        command = ["npx", "--no-install", "cdk", *arguments, "--no-notices"]
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            try:
                result = subprocess.run(
                    command,
                    cwd=self.root,
                    env=self.environment(),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise LocalCloudError(
                    f"cdk {step} did not finish within {timeout:.0f}s (log: {self.log_file})"
                ) from exc
            except FileNotFoundError as exc:
                raise LocalCloudError("npx not found: install Node >= 18 and npm, then run `npm ci`") from exc
            log.write(result.stdout)
            log.write(result.stderr)
        if result.returncode != 0:
            raise LocalCloudError(
                f"cdk {step} failed (exit {result.returncode}; full output in {self.log_file}):\n"
                + explain(result.stderr + "\n" + result.stdout)
            )
        return time.perf_counter() - start


def check_installed(root: Path) -> None:
    """Fail early, with the fix, when Node or the pinned CLI is missing."""
    if shutil.which("npx") is None:
        raise LocalCloudError("npx not found: install Node >= 18 and npm, then run `npm ci`")
    if not (root / "node_modules" / ".bin" / "cdk").exists():
        raise LocalCloudError(f"the pinned CDK CLI is not installed in {root / 'node_modules'}: run `npm ci` in {root}")


def explain(output: str, lines: int = 25) -> str:
    """The last lines of CLI output that say something."""
    meaningful = [line for line in output.splitlines() if not _NOISE.match(line)]
    failed = [i for i, line in enumerate(meaningful) if "❌" in line or "Failed resources" in line]
    if failed:
        meaningful = meaningful[failed[0] :]
    return "\n".join(meaningful[-lines:])


def _stack_properties(assembly: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    return {
        artifact_id: artifact.get("properties", {})
        for artifact_id, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }


def stack_artifacts(assembly: Path) -> Mapping[str, tuple[str, Path]]:
    """`{artifact id: (stack name, template path)}` of every stack in a cloud assembly."""
    return {
        artifact_id: (properties.get("stackName", artifact_id), assembly / properties["templateFile"])
        for artifact_id, properties in _stack_properties(assembly).items()
    }


def bootstrap_requirements(assembly: Path) -> dict[str, int]:
    """`{SSM parameter holding the bootstrap version: lowest version the stacks need}`."""
    needed: dict[str, int] = {}
    for properties in _stack_properties(assembly).values():
        parameter = properties.get("bootstrapStackVersionSsmParameter")
        if parameter:
            needed[parameter] = max(needed.get(parameter, 0), int(properties.get("requiresBootstrapStackVersion", 0)))
    return needed
