"""boto3 clients for the CLI: the real AWS account, or the running local cloud (`--local`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import boto3

from mlops.cli.context import CliContext
from mlops.config import ProjectConfig

LOCAL_ACCOUNT = "123456789012"


@dataclass
class Aws:
    config: ProjectConfig
    local: bool
    endpoint_url: str | None
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = {"region_name": self.config.settings.region}
            if self.endpoint_url:
                kwargs |= {
                    "endpoint_url": self.endpoint_url,
                    "aws_access_key_id": "testing",
                    "aws_secret_access_key": "testing",
                }
            self._clients[service] = boto3.client(service, **kwargs)
        return self._clients[service]

    @functools.cached_property
    def account(self) -> str:
        if self.local:
            return LOCAL_ACCOUNT
        return str(self.config.settings.account or self.client("sts").get_caller_identity()["Account"])


def connect(cli: CliContext) -> Aws:
    config = cli.load_config()
    endpoint = None
    if cli.local:
        from mlops import local

        endpoint = local.endpoint()
    return Aws(config=config, local=cli.local, endpoint_url=endpoint)
