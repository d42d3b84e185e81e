"""A real headless Chromium (the Debian package `chromium`, which `./scripts/dev install`
installs on CI) for the pages people look at: reports open offline and are drawn for real."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def chromium() -> str:
    for name in (os.environ.get("MLOPS_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    pytest.fail(
        "chromium is not installed: `./scripts/dev install` installs it on CI (CI=true); "
        "elsewhere run `apt-get install chromium` or point MLOPS_CHROMIUM at a Chromium binary"
    )


def headless(*args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # CI runs as root, where Chromium refuses its sandbox
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        # offline: any host lookup fails, so a report that needed the network would show it
        "--host-resolver-rules=MAP * ~NOTFOUND",
        *args,
    ]
    return subprocess.run(command, capture_output=True, timeout=120, check=True)
