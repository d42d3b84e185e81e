import json
from importlib.util import find_spec
from pathlib import Path

import pytest
from sagemaker.core import image_uris

from stacks.images import ImageNotFoundError, training_image_uri


def _sagemaker_package() -> Path:
    spec = find_spec("sagemaker")
    assert spec is not None and spec.submodule_search_locations, "the sagemaker SDK is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


TABLE = _sagemaker_package() / "core/image_uri_config/xgboost.json"


TRAINING = json.loads(TABLE.read_text())["training"]
OLD = {v for v, entry in TRAINING["versions"].items() if {"processors", "py_versions"} & entry.keys()}


def cases() -> list[tuple[str, str]]:
    return [
        (version, region)
        for version, entry in TRAINING["versions"].items()
        if version not in OLD
        for region in entry["registries"]
        # one region per partition and a few commercial ones (the SDK reads this table per call)
        if region in {"us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "us-iso-east-1"}
    ]


def test_matches_the_sdk_for_every_version_and_region_of_the_table() -> None:
    checked = 0
    for version, region in cases():
        for instance in ("ml.g5.xlarge", "ml.m5.large"):
            expected = image_uris.retrieve("xgboost", region=region, version=version, instance_type=instance)
            assert training_image_uri("xgboost", version, region) == expected, (version, region, instance)
            checked += 1
    assert checked > 40


def test_unknown_version_and_region_are_clear_errors() -> None:
    with pytest.raises(ImageNotFoundError, match="known: "):
        training_image_uri("xgboost", "0.1-0", "us-east-1")
    with pytest.raises(ImageNotFoundError, match="no image in mars-north-1"):
        training_image_uri("xgboost", "1.7-1", "mars-north-1")
    for old in OLD:
        with pytest.raises(ImageNotFoundError, match="too old"):
            training_image_uri("xgboost", old, "us-east-1")
