"""When a deployment's lock may be taken over, and what a refusal says."""

from datetime import UTC, datetime

from mlops.serving.history import in_progress_message, lock_is_stale
from mlops.serving.models import DeploymentLock

LOCK = DeploymentLock(
    dataset="bc",
    deployment_id="deploy-1",
    execution_arn="arn:aws:states:us-east-1:1:execution:tc-dev-deploy:deploy-1",
    started_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
)


def test_a_lock_whose_execution_still_runs_is_not_stale() -> None:
    assert not lock_is_stale(LOCK, lambda arn: True)


def test_a_lock_whose_execution_ended_is_stale() -> None:
    asked: list[str] = []

    def running(arn: str) -> bool:
        asked.append(arn)
        return False

    assert lock_is_stale(LOCK, running)
    assert asked == [LOCK.execution_arn]


def test_a_lock_without_an_execution_is_never_taken_over() -> None:
    assert not lock_is_stale(LOCK.model_copy(update={"execution_arn": None}), lambda arn: False)


def test_the_refusal_names_the_running_deployment_and_how_to_follow_it() -> None:
    message = in_progress_message(LOCK)
    assert "deploy-1" in message and str(LOCK.execution_arn) in message
    assert "2026-05-01 12:00:00" in message and "mlops serve history -d bc" in message
