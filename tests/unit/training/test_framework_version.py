"""The framework image the example trains with, and the local runner's refusal of another version."""

import re
from importlib import metadata
from pathlib import Path

import pytest

from mlops import config as config_module
from mlops.local import frameworks
from mlops.local.frameworks import FrameworkMismatchError, check_image, image_framework
from stacks.images import training_image_uri

REPO_ROOT = Path(__file__).resolve().parents[3]
INSTALLED = metadata.version("xgboost")
INSTALLED_MINOR = ".".join(INSTALLED.split(".")[:2])
REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com"


def pinned_xgboost() -> str:
    for line in (REPO_ROOT / "constraints.txt").read_text().splitlines():
        if line.startswith("xgboost=="):
            return line.removeprefix("xgboost==").strip()
    raise AssertionError("xgboost is not pinned in constraints.txt")


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_example_trains_on_the_image_of_the_pinned_xgboost(environment: str) -> None:
    training = config_module.load(REPO_ROOT / "mlops.yaml", environment).training
    pinned = pinned_xgboost()
    assert training.framework_version.split("-")[0] == ".".join(pinned.split(".")[:2]), (
        training.framework_version,
        pinned,
    )
    uri = training_image_uri(training.framework, training.framework_version, "us-east-1")
    check_image(uri)  # the local runner accepts what the stacks deploy


def test_an_image_of_another_major_minor_is_refused_naming_both_versions() -> None:
    other = "1.7" if INSTALLED_MINOR != "1.7" else "3.2"
    with pytest.raises(FrameworkMismatchError) as caught:
        check_image(f"{REGISTRY}/sagemaker-xgboost:{other}-1")
    message = str(caught.value)
    assert f"sagemaker-xgboost:{other}-1 runs xgboost {other}" in message
    assert f"with xgboost {INSTALLED}" in message
    assert "would not hold on AWS" in message


def test_the_build_number_does_not_matter_only_major_minor() -> None:
    check_image(f"{REGISTRY}/sagemaker-xgboost:{INSTALLED_MINOR}-0")
    check_image(f"{REGISTRY}/sagemaker-xgboost:{INSTALLED_MINOR}-7")


@pytest.mark.parametrize(
    "image",
    [None, "", "python:3.11", f"{REGISTRY}/sagemaker-scikit-learn:1.2-1", "123.dkr.ecr.x/my-own-xgboost:1.0-1"],
)
def test_images_that_are_not_aws_xgboost_framework_images_are_not_checked(image: str | None) -> None:
    check_image(image)


def test_a_framework_image_with_an_unreadable_tag_is_refused() -> None:
    with pytest.raises(FrameworkMismatchError, match=re.escape("tags are <major>.<minor>-<build>")):
        check_image(f"{REGISTRY}/sagemaker-xgboost:latest")


def test_a_missing_library_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frameworks, "installed_version", lambda distribution: None)
    with pytest.raises(FrameworkMismatchError, match=re.escape("xgboost 3.2, which is not installed")):
        check_image(f"{REGISTRY}/sagemaker-xgboost:3.2-0")


def test_image_framework_reads_repository_and_version() -> None:
    assert image_framework(f"{REGISTRY}/sagemaker-xgboost:3.2-0") == ("sagemaker-xgboost", "xgboost", "3.2")
    assert image_framework("sagemaker-xgboost") is None  # no tag, no registry: not an image URI we know


def test_the_default_framework_version_is_the_installed_xgboost() -> None:
    """A config that leaves `training.framework_version` out trains, locally and on AWS, the
    XGBoost the project pins."""
    import xgboost

    from mlops.config import TrainingConfig

    major_minor = ".".join(xgboost.__version__.split(".")[:2])
    assert TrainingConfig().framework_version.split("-")[0] == major_minor
