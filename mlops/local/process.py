"""The server process of the local cloud: start it detached, probe it, stop its process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from mlops.errors import LocalCloudError

SERVER_MODULE = "mlops.local.server"
HEALTH_PATH = "/moto-api/config"

# Never send probes of localhost through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def endpoint_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def answers(endpoint: str, *, timeout: float = 2.0) -> bool:
    """Whether a moto server answers on this endpoint."""
    try:
        with _opener.open(endpoint + HEALTH_PATH, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def alive(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) process that runs our server module."""
    with contextlib.suppress(ChildProcessError, OSError):
        # Reap it if it is our own exited child, so it stops looking alive.
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process took the pid over
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[-1].split()[0] in {"Z", "X"}:
                return False
            return SERVER_MODULE in (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
    return True


def start(host: str, port: int, log_file: Path, *, cwd: Path) -> subprocess.Popen[bytes]:
    """Start the server detached in its own session (so `down` can stop its whole group)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as log:  # one server, one log
        return subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, "--host", host, "--port", str(port)],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )


def wait_until_answering(process: subprocess.Popen[bytes], endpoint: str, log_file: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalCloudError(
                f"the local cloud server exited with code {process.returncode} before answering "
                f"on {endpoint}:\n{tail(log_file)}"
            )
        if answers(endpoint, timeout=1.0):
            return
        time.sleep(0.1)
    stop(process.pid, timeout=5.0)
    raise LocalCloudError(
        f"the local cloud server did not answer on {endpoint} within {timeout:.0f}s:\n{tail(log_file)}"
    )


def stop(pid: int, *, timeout: float = 10.0) -> bool:
    """SIGTERM the server's process group, SIGKILL it after `timeout`; True if it was running."""
    if not alive(pid):
        return False
    group = os.getpgid(pid)
    # The server leads its own session; never signal a group that is not its own (ours!).
    target = group if group == pid else None
    _signal(pid, target, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    _signal(pid, target, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        raise LocalCloudError(f"the local cloud server (pid {pid}) did not stop")
    return True


def _signal(pid: int, group: int | None, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        if group is not None:
            os.killpg(group, signum)
        else:
            os.kill(pid, signum)


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
