"""Framework image URIs, resolved offline at synth time from the SageMaker SDK's own tables.

`sagemaker.core.image_uris.retrieve` reads `sagemaker/core/image_uri_config/<framework>.json`;
importing `sagemaker.core` to call it costs ~2 s of every synth. This reads the same bundled
table without importing the package, for the frameworks the config allows (XGBoost, whose tag
is the framework version). tests/unit/test_images.py checks it against `retrieve` for every
version and region in the table, so an SDK upgrade that changes the rules fails loudly.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any


class ImageNotFoundError(LookupError):
    pass


@cache
def _table(framework: str) -> dict[str, Any]:
    spec = importlib.util.find_spec("sagemaker")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImageNotFoundError("the sagemaker SDK (sagemaker-core) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "core" / "image_uri_config" / f"{framework}.json"
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


def training_image_uri(framework: str, version: str, region: str) -> str:
    scope = _table(framework)["training"]
    version = scope.get("version_aliases", {}).get(version, version)
    try:
        entry = scope["versions"][version]
    except KeyError as exc:
        known = ", ".join(sorted(scope["versions"]))
        raise ImageNotFoundError(f"no {framework} training image {version!r} (known: {known})") from exc
    if {"processors", "py_versions"} & entry.keys():
        # old images whose tags also encode processor and Python version: not supported here
        raise ImageNotFoundError(f"{framework} {version} is too old for this platform: use 1.2-1 or newer")
    try:
        registry = entry["registries"][region]
    except KeyError as exc:
        raise ImageNotFoundError(f"{framework} {version} has no image in {region}") from exc
    return f"{registry}.dkr.{_ecr_hostname(region)}/{entry['repository']}:{version}"


@cache
def _ecr_hostname(region: str) -> str:
    """ECR's hostname in the region's partition (aws, aws-cn, the isolated ones), from
    botocore's endpoint data, as the SDK resolves it."""
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver

    endpoint = EndpointResolver(create_loader().load_data("endpoints")).construct_endpoint("ecr", region)
    return str(endpoint["hostname"]) if endpoint else f"ecr.{region}.amazonaws.com"
