#!/usr/bin/env python3
"""The CDK app: all stacks of one environment (`-c env=NAME`, default dev) from mlops.yaml
(`-c config=PATH`). Offline and deterministic: no STS, git or network calls."""

from __future__ import annotations

import sys

from aws_cdk import App

from mlops import config as config_module
from mlops.errors import ConfigError
from stacks import app_builder


def main() -> None:
    app = App()
    environment = app.node.try_get_context("env") or config_module.DEFAULT_ENVIRONMENT
    path = app.node.try_get_context("config") or config_module.DEFAULT_CONFIG_FILE
    try:
        config = config_module.load(path, environment)
    except ConfigError as exc:
        print(f"invalid config: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    app_builder.build(app, config)
    app.synth()


if __name__ == "__main__":
    main()
