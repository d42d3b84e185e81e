"""Which framework a SageMaker job's image would run, against what the local cloud runs it with.

The local job runner executes `training/` with this interpreter's xgboost, whatever image the
job names. A model trained here with xgboost 3.2 while the job names the `1.7-1` image would
pass the gate locally and then train (and serve) something else on AWS, so a job whose image's
framework major.minor differs from the installed library is refused before it runs.

Only the AWS XGBoost framework images (`.../sagemaker-xgboost:<major>.<minor>-<build>`) carry a
version we can compare; any other image (a processing job's own container, say) runs unchecked.
"""

from __future__ import annotations

import re
from importlib import metadata

#: repository of the AWS XGBoost framework images -> the Python distribution they ship
FRAMEWORK_REPOSITORIES = {"sagemaker-xgboost": "xgboost"}
_TAG = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)-\d+$")


class FrameworkMismatchError(ValueError):
    """The job's image runs another framework version than the one the local cloud has."""


def image_framework(image_uri: str) -> tuple[str, str, str] | None:
    """(repository, distribution, "major.minor") of an AWS framework image; None for other images."""
    path, _, tag = image_uri.rpartition(":")
    repository = path.rsplit("/", 1)[-1]
    distribution = FRAMEWORK_REPOSITORIES.get(repository)
    if not path or distribution is None:
        return None
    match = _TAG.match(tag)
    if match is None:
        raise FrameworkMismatchError(
            f"image {image_uri} has tag {tag!r}; {repository} tags are <major>.<minor>-<build> (e.g. 3.2-0)"
        )
    return repository, distribution, f"{match['major']}.{match['minor']}"


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def check_image(image_uri: str | None) -> None:
    """Raise `FrameworkMismatchError` (saying what and why) when `image_uri` is an AWS framework
    image whose major.minor is not the installed library's; return for anything else."""
    if not image_uri:
        return
    framework = image_framework(image_uri)
    if framework is None:
        return
    repository, distribution, wanted = framework
    installed = installed_version(distribution)
    if installed is None:
        raise FrameworkMismatchError(
            f"image {repository}:{image_uri.rpartition(':')[2]} needs {distribution} {wanted}, "
            f"which is not installed in the local cloud's environment"
        )
    have = ".".join(installed.split(".")[:2])
    if have != wanted:
        raise FrameworkMismatchError(
            f"image {repository}:{image_uri.rpartition(':')[2]} runs {distribution} {wanted}, but the local cloud "
            f"runs jobs with {distribution} {installed}: results here would not hold on AWS. "
            f"Use the image whose version matches (training.framework_version: {have}-<build>, "
            f"e.g. the newest {have}-* in the SageMaker SDK's table) or install {distribution}=={wanted}.*"
        )
