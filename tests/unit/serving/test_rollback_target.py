"""Which version `mlops serve rollback` goes back to, and what it refuses."""

from datetime import UTC, datetime, timedelta

import pytest

from mlops.serving.errors import RollbackRefusedError
from mlops.serving.models import DeploymentRecord, DeploymentStatus, ServingPointer
from mlops.serving.rollback import UnknownModelVersionError, rollback_target

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def record(n: int, version: int, status: DeploymentStatus) -> DeploymentRecord:
    return DeploymentRecord(
        deployment_id=f"d-{n}",
        dataset="bc",
        environment="dev",
        endpoint_name="e",
        model_version=version,
        model_package_arn=f"arn:aws:sagemaker:us-east-1:1:model-package/g/{version}",
        model_name=f"m-v{version}",
        endpoint_config_name=f"c-v{version}-{n}",
        strategy="canary",
        trigger="manual",
        triggered_by="me",
        started_at=T0 + timedelta(minutes=n),
        status=status,
    )


def serving(version: int) -> ServingPointer:
    return ServingPointer(
        dataset="bc",
        endpoint_name="e",
        model_version=version,
        model_package_arn=f"arn/{version}",
        endpoint_config_name="c",
        deployment_id="d",
        since=T0,
    )


HISTORY = [record(1, 1, "deployed"), record(2, 2, "deployed"), record(3, 4, "rolled_back"), record(4, 3, "deployed")]


def test_the_default_target_is_the_version_deployed_before_the_current_one() -> None:
    assert rollback_target(HISTORY, serving(3)).model_version == 2


def test_after_a_rollback_the_default_goes_further_back_only_past_the_current_version() -> None:
    history = [*HISTORY, record(5, 2, "deployed")]  # rolled back to 2: 3 is now the one before
    assert rollback_target(history, serving(2)).model_version == 3


def test_to_names_an_earlier_successfully_deployed_version() -> None:
    target = rollback_target(HISTORY, serving(3), to=1, known_versions=[1, 2, 3, 4])
    assert target.model_version == 1 and target.deployment_id == "d-1"


def test_a_version_never_deployed_successfully_is_refused() -> None:
    with pytest.raises(RollbackRefusedError, match="never deployed successfully") as raised:
        rollback_target(HISTORY, serving(3), to=4, known_versions=[1, 2, 3, 4])
    assert "1, 2, 3" in str(raised.value)


def test_an_unknown_version_is_refused_as_unknown() -> None:
    with pytest.raises(UnknownModelVersionError, match="no model version 9") as raised:
        rollback_target(HISTORY, serving(3), to=9, known_versions=[1, 2, 3, 4])
    assert raised.value.error_name == "Mlops.UnknownModelVersion"


def test_the_serving_version_and_an_empty_history_are_refused() -> None:
    with pytest.raises(RollbackRefusedError, match="serving already"):
        rollback_target(HISTORY, serving(3), to=3)
    with pytest.raises(RollbackRefusedError, match="nothing serves"):
        rollback_target([], None)
    with pytest.raises(RollbackRefusedError, match="only version"):
        rollback_target([record(1, 1, "deployed")], serving(1))
