"""Stand-ins for the AWS-managed Lambda layers our functions reference.

Our functions use layers that AWS publishes from its own accounts (Powertools from
017000801446, AWS SDK for pandas from 336392948345). moto 5.2.5 resolves a layer ARN by
*name and version in the calling function's own account and region* and ignores the
account in the ARN (`LambdaFunction._get_layers_data` -> `LayerStorage.get_layer_version_by_arn`),
so publishing in the owner accounts would not help. Before a deploy we therefore publish,
in the local account, layers with the same names until the version each template references
exists. Their content is a placeholder: locally, handlers run with the packages of this
project's environment. The ARNs to seed are read from the synthesized templates, so a
version bump in the config needs nothing here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops.local.state import LOCAL_ACCOUNT

_LAYER_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:(?P<name>[A-Za-z0-9_-]+):(?P<version>\d+)$"
)


@dataclass(frozen=True, order=True)
class LayerReference:
    name: str
    version: int
    account: str
    region: str
    arn: str


def referenced_layers(templates: Iterable[Path]) -> list[LayerReference]:
    """Every layer version of another account that a function in these templates uses."""
    found: set[LayerReference] = set()
    for template in templates:
        document = json.loads(template.read_text(encoding="utf-8"))
        for resource in document.get("Resources", {}).values():
            if resource.get("Type") not in {"AWS::Lambda::Function", "AWS::Serverless::Function"}:
                continue
            for arn in resource.get("Properties", {}).get("Layers", []) or []:
                match = _LAYER_ARN.match(arn) if isinstance(arn, str) else None
                if match and match["account"] != LOCAL_ACCOUNT:
                    found.add(
                        LayerReference(
                            name=match["name"],
                            version=int(match["version"]),
                            account=match["account"],
                            region=match["region"],
                            arn=arn,
                        )
                    )
    return sorted(found)


def seed(lambda_client: Any, references: Iterable[LayerReference]) -> int:
    """Publish placeholder versions until each referenced version exists; returns how many."""
    wanted: dict[str, LayerReference] = {}
    for reference in references:
        if reference.name not in wanted or reference.version > wanted[reference.name].version:
            wanted[reference.name] = reference
    published = 0
    for name, reference in sorted(wanted.items()):
        latest = _latest_version(lambda_client, name)
        while latest < reference.version:
            response = lambda_client.publish_layer_version(
                LayerName=name,
                Description=f"mlops local cloud stand-in for {reference.arn}",
                Content={"ZipFile": _placeholder_zip(reference)},
            )
            latest = int(response["Version"])
            published += 1
    return published


def _latest_version(lambda_client: Any, name: str) -> int:
    versions = [
        int(version["Version"])
        for page in lambda_client.get_paginator("list_layer_versions").paginate(LayerName=name)
        for version in page.get("LayerVersions", [])
    ]
    return max(versions, default=0)


def _placeholder_zip(reference: LayerReference) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "python/MLOPS_LOCAL_PLACEHOLDER.txt",
            f"Stand-in for {reference.arn}; the local cloud runs handlers with the project's packages.\n",
        )
    return buffer.getvalue()
