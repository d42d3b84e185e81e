"""`up`, `status` and `down` of the local cloud: a moto server run by `mlops.local.server`,
bootstrapped and deployed into with the real CDK CLI.

`up` starts the server in the background (or reuses the healthy one recorded in
`.mlops/local.json`), synthesizes the app once into `.mlops/cdk.out`, seeds the AWS-managed
Lambda layers the templates reference (`mlops.local.layers`), bootstraps, deploys every
stack, and records what was created. A second `up` redeploys into the running cloud.

Where moto falls short of what our stacks need, the gap is bridged in the local runtime
only, never in the stack definitions; each workaround is documented where it lives:
- `mlops.local.plugins.cloudformation`: failures, rollbacks, exports on update, name limits;
- `mlops.local.plugins.resources`: resource types moto lacks or gets wrong;
- `mlops.local.layers`: AWS-managed layers;
- `mlops.local.cdk`: why deploys use `--method=direct` and a private assembly.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from mlops import config as config_module
from mlops.errors import LocalCloudError
from mlops.local import layers, process
from mlops.local.cdk import CdkCli, bootstrap_requirements, check_installed, stack_artifacts
from mlops.local.state import (
    DownResult,
    LocalCloudState,
    LocalCloudStatus,
    LocalPaths,
    ResourceSummary,
    StackSummary,
    Timings,
)
from mlops.local.state import load as load_state
from mlops.local.state import remove as remove_state
from mlops.local.state import save as save_state

HOST = "localhost"
SERVER_START_TIMEOUT_S = 60.0

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """Default progress reporter: say nothing."""


def status(root: Path | str | None = None) -> LocalCloudStatus:
    """Whether the recorded server is alive and answering; never changes anything."""
    paths = LocalPaths.at(root)
    state = load_state(paths)
    if state is None:
        return LocalCloudStatus(running=False)
    running = process.alive(state.pid) and process.answers(state.endpoint)
    return LocalCloudStatus(running=running, stale=not running, state=state)


def up(
    port: int | None = None,
    *,
    config_path: Path | str = config_module.DEFAULT_CONFIG_FILE,
    environment: str = config_module.DEFAULT_ENVIRONMENT,
    root: Path | str | None = None,
    progress: Progress = _quiet,
) -> LocalCloudState:
    """Start the local cloud (or reuse the running one) and deploy every stack into it."""
    paths = LocalPaths.at(root)
    started = time.perf_counter()
    region = config_module.load(paths.root / config_path, environment).settings.region
    check_installed(paths.root)
    current = status(paths.root)
    launched: _Launch | None = None
    if current.running and current.state is not None:
        state: LocalCloudState | None = current.state
        if port is not None and port != current.state.port:
            raise LocalCloudError(
                f"a local cloud is already running on port {current.state.port}: "
                f"run `mlops local down` first to use port {port}"
            )
        progress(f"local cloud already running on {current.state.endpoint} (pid {current.state.pid}); redeploying")
        endpoint = current.state.endpoint
    else:
        if current.stale and current.state is not None:
            # A recorded server that is alive but does not answer is hung: stop it first.
            if process.stop(current.state.pid, timeout=5.0):
                progress(f"stopped the unresponsive server of pid {current.state.pid}")
            progress(f"removing stale state of pid {current.state.pid} (no longer running)")
            remove_state(paths)
        state = None
        # The server starts while the app synthesizes: neither needs the other.
        launched = _launch_server(paths, port, progress)
        endpoint = launched.endpoint

    cli = CdkCli(paths.root, endpoint, region, paths.cdk_log)
    paths.directory.mkdir(parents=True, exist_ok=True)
    paths.cdk_log.write_text(f"# mlops local up, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n", encoding="utf-8")
    progress("synthesizing the app")
    try:
        synth_s = cli.synth(paths.assembly, config_path=str(config_path), environment=environment)
    except BaseException:  # also Ctrl-C: a server nobody recorded must not outlive `up`
        if launched is not None:
            process.stop(launched.process.pid)
        raise
    server_wait_start = time.perf_counter()
    if launched is not None:
        state = _await_server(paths, launched, region, environment, str(config_path))
    server_start_s = time.perf_counter() - server_wait_start
    assert state is not None

    try:
        stacks = stack_artifacts(paths.assembly)
        progress("seeding AWS-managed Lambda layers")
        seed_start = time.perf_counter()
        references = layers.referenced_layers(template for _, template in stacks.values())
        layers.seed(_client("lambda", endpoint, region), references)
        seed_s = time.perf_counter() - seed_start
        bootstrap_s = 0.0
        if _bootstrapped(endpoint, region, bootstrap_requirements(paths.assembly)):
            progress(f"aws://{state.account}/{region} is bootstrapped already")
        else:
            progress(f"bootstrapping aws://{state.account}/{region}")
            bootstrap_s = cli.bootstrap(paths.assembly)
        progress(f"deploying {len(stacks)} stack(s): {', '.join(name for name, _ in stacks.values())}")
        deploy_s = cli.deploy(paths.assembly, paths.outputs_file)
        inventory_start = time.perf_counter()
        deployed = _inventory(state.endpoint, region, stacks)
        inventory_s = time.perf_counter() - inventory_start
    except (LocalCloudError, BotoCoreError, ClientError) as exc:
        raise LocalCloudError(
            f"{exc}\nThe local cloud is still running on {endpoint}: fix the problem and run "
            f"`mlops local up` again to redeploy, or `mlops local down` (server log: {paths.server_log})."
        ) from exc

    kept = [s for s in state.stacks if s.name not in {d.name for d in deployed}]
    state = state.model_copy(
        update={
            "region": region,
            "environment": environment,
            "config_path": str(config_path),
            "deployed_at": datetime.now(UTC),
            "stacks": kept + deployed,
            "timings": Timings(
                server_start_s=round(server_start_s, 2),
                synth_s=round(synth_s, 2),
                bootstrap_s=round(bootstrap_s, 2),
                seed_layers_s=round(seed_s, 2),
                deploy_s=round(deploy_s, 2),
                inventory_s=round(inventory_s, 2),
                total_s=round(time.perf_counter() - started, 2),
            ),
        }
    )
    save_state(paths, state)
    return state


def down(root: Path | str | None = None, *, timeout: float = 10.0) -> DownResult:
    """Stop the server's process group and forget its state; safe when nothing runs."""
    paths = LocalPaths.at(root)
    state = load_state(paths)
    if state is None:
        return DownResult(stopped=False, message="no local cloud is running")
    stopped = process.stop(state.pid, timeout=timeout)
    remove_state(paths)
    if stopped:
        return DownResult(stopped=True, pid=state.pid, message=f"stopped the local cloud (pid {state.pid})")
    return DownResult(
        stopped=False, pid=state.pid, message=f"the local cloud (pid {state.pid}) was no longer running; state removed"
    )


@dataclass(frozen=True)
class _Launch:
    process: subprocess.Popen[bytes]
    port: int
    endpoint: str


def _launch_server(paths: LocalPaths, port: int | None, progress: Progress) -> _Launch:
    port = port or process.free_port(HOST)
    endpoint = process.endpoint_url(HOST, port)
    if process.answers(endpoint, timeout=0.5):
        raise LocalCloudError(f"port {port} is already in use by another server: choose another with --port")
    progress(f"starting the local cloud on {endpoint}")
    return _Launch(process.start(HOST, port, paths.server_log, cwd=paths.root), port, endpoint)


def _await_server(
    paths: LocalPaths, launched: _Launch, region: str, environment: str, config_path: str
) -> LocalCloudState:
    process.wait_until_answering(launched.process, launched.endpoint, paths.server_log, timeout=SERVER_START_TIMEOUT_S)
    state = LocalCloudState(
        pid=launched.process.pid,
        host=HOST,
        port=launched.port,
        endpoint=launched.endpoint,
        region=region,
        started_at=datetime.now(UTC),
        environment=environment,
        config_path=config_path,
        log_file=str(paths.server_log),
    )
    # Recorded before deploying, so that `down` can always stop what was started.
    save_state(paths, state)
    return state


def _bootstrapped(endpoint: str, region: str, requirements: dict[str, int]) -> bool:
    """Whether the bootstrap stack is there in a version every stack accepts (the CLI would
    answer "no changes", after a second or two)."""
    if not requirements:
        return False
    ssm = _client("ssm", endpoint, region)
    for parameter, version in requirements.items():
        try:
            current = int(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
        except (ssm.exceptions.ParameterNotFound, ValueError, KeyError):
            return False
        if current < version:
            return False
    return True


def _client(service: str, endpoint: str, region: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )


def _inventory(endpoint: str, region: str, stacks: Mapping[str, tuple[str, Path]]) -> list[StackSummary]:
    """What each deployed stack holds: the template's resources with moto's physical ids."""
    cloudformation = _client("cloudformation", endpoint, region)
    summaries = []
    for artifact_id, (name, template_path) in stacks.items():
        template = json.loads(template_path.read_text(encoding="utf-8"))
        description = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId") or None
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
            for r in page["StackResourceSummaries"]
            if r.get("LogicalResourceId")
        }
        resources = [
            ResourceSummary(logical_id=logical_id, type=resource["Type"], physical_id=physical.get(logical_id))
            for logical_id, resource in template.get("Resources", {}).items()
            if resource.get("Type") != "AWS::CDK::Metadata"
        ]
        summaries.append(
            StackSummary(
                id=artifact_id,
                name=name,
                status=description["StackStatus"],
                outputs={o["OutputKey"]: str(o.get("OutputValue", "")) for o in description.get("Outputs") or []},
                resources=resources,
            )
        )
    return summaries
