"""The deployment history, the serving pointer and the deployment lock in the registry table
(the records of mlops/serving/models.py, under the keys of mlops/registry/keys.py).

The lock is one item written with a condition: `acquire` succeeds when no lock exists, when
this deployment already holds it (a retried step), or when the holder is stale (its execution
is no longer RUNNING: it was stopped, timed out, or died without releasing). Whether a holder
is stale is asked of Step Functions through `is_running`, so the adapter stays testable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from mlops.registry import keys
from mlops.serving.errors import DeploymentInProgressError, DeploymentNotFoundError
from mlops.serving.models import DeploymentLock, DeploymentRecord, ServingPointer

#: is the execution (ARN) still running? None: unknown (no ARN recorded)
RunningProbe = Callable[[str], bool]


def _conditional_failure(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def lock_is_stale(lock: DeploymentLock, is_running: RunningProbe) -> bool:
    """A lock may be taken over when its execution no longer runs. A lock without an execution
    ARN (written by hand, or by a client that died before starting one) is never stale: only
    a person can judge it (`mlops serve history` shows it; delete the item to clear it)."""
    return lock.execution_arn is not None and not is_running(lock.execution_arn)


def in_progress_message(lock: DeploymentLock) -> str:
    execution = f" (execution {lock.execution_arn})" if lock.execution_arn else ""
    return (
        f"deployment {lock.deployment_id}{execution} of {lock.dataset} is in progress since "
        f"{lock.started_at:%Y-%m-%d %H:%M:%S} UTC; wait for it to end (mlops serve history {lock.dataset}) "
        "or stop its execution"
    )


class DeploymentHistory:
    """Every item keeps its record as one JSON document in its `record` attribute (what
    other readers of the pointer, e.g. mlops/monitoring, parse)."""

    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    # -- history ---------------------------------------------------------------------------

    def _record_item(self, record: DeploymentRecord) -> dict[str, Any]:
        return {
            keys.PARTITION_KEY: {"S": keys.deployments_pk(record.dataset)},
            keys.SORT_KEY: {"S": keys.deployment_sk(record.started_at.isoformat(), record.deployment_id)},
            "deployment_id": {"S": record.deployment_id},
            "status": {"S": record.status},
            "model_version": {"N": str(record.model_version)},
            "record": {"S": record.model_dump_json()},
        }

    def begin(self, record: DeploymentRecord) -> None:
        """Store an `in_progress` record (idempotent: a retried step writes the same item)."""
        self._ddb.put_item(TableName=self._table, Item=self._record_item(record))

    def finish(self, record: DeploymentRecord) -> None:
        """Store the record's end (it replaces the `in_progress` one: same key)."""
        self._ddb.put_item(TableName=self._table, Item=self._record_item(record))

    def list(self, dataset: str, *, limit: int | None = None) -> list[DeploymentRecord]:
        """Newest first."""
        found: list[DeploymentRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": f"{keys.PARTITION_KEY} = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.deployments_pk(dataset)}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                found.append(DeploymentRecord.model_validate_json(item["record"]["S"]))
                if limit is not None and len(found) >= limit:
                    return found
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def record(self, dataset: str, started_at: datetime, deployment_id: str) -> DeploymentRecord | None:
        """One record by its key (the step that began it knows its start time)."""
        item = self._ddb.get_item(
            TableName=self._table,
            Key={
                keys.PARTITION_KEY: {"S": keys.deployments_pk(dataset)},
                keys.SORT_KEY: {"S": keys.deployment_sk(started_at.isoformat(), deployment_id)},
            },
            ConsistentRead=True,
        ).get("Item")
        return DeploymentRecord.model_validate_json(item["record"]["S"]) if item else None

    def find(self, dataset: str, deployment_id: str) -> DeploymentRecord | None:
        return next((r for r in self.list(dataset) if r.deployment_id == deployment_id), None)

    def get(self, dataset: str, deployment_id: str) -> DeploymentRecord:
        record = self.find(dataset, deployment_id)
        if record is None:
            raise DeploymentNotFoundError(f"no deployment {deployment_id!r} of {dataset} in the history")
        return record

    # -- the serving pointer ---------------------------------------------------------------

    def _key(self, dataset: str, sort_key: str) -> dict[str, Any]:
        return {keys.PARTITION_KEY: {"S": keys.serving_pk(dataset)}, keys.SORT_KEY: {"S": sort_key}}

    def current(self, dataset: str) -> ServingPointer | None:
        """What the dataset's endpoint serves after its last successful deployment."""
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(dataset, keys.SERVING_CURRENT), ConsistentRead=True
        ).get("Item")
        return ServingPointer.model_validate_json(item["record"]["S"]) if item else None

    def set_current(self, pointer: ServingPointer) -> None:
        item = self._key(pointer.dataset, keys.SERVING_CURRENT) | {"record": {"S": pointer.model_dump_json()}}
        self._ddb.put_item(TableName=self._table, Item=item)

    # -- the lock --------------------------------------------------------------------------

    def lock(self, dataset: str) -> DeploymentLock | None:
        """The lock of the deployment in progress, if any."""
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(dataset, keys.SERVING_LOCK), ConsistentRead=True
        ).get("Item")
        return DeploymentLock.model_validate_json(item["record"]["S"]) if item else None

    def acquire(self, lock: DeploymentLock, is_running: RunningProbe) -> DeploymentLock | None:
        """Take the dataset's lock for `lock.deployment_id`. Returns the stale lock it took over
        (None when there was none); raises DeploymentInProgressError naming the running one."""
        item = self._key(lock.dataset, keys.SERVING_LOCK) | {
            "deployment_id": {"S": lock.deployment_id},
            "record": {"S": lock.model_dump_json()},
        }
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk) OR deployment_id = :mine",
                ExpressionAttributeNames={"#pk": keys.PARTITION_KEY},
                ExpressionAttributeValues={":mine": {"S": lock.deployment_id}},
            )
            return None
        except ClientError as exc:
            if not _conditional_failure(exc):
                raise
        held = self.lock(lock.dataset)
        if held is None:  # released between the put and the read: try once more
            return self.acquire(lock, is_running)
        if not lock_is_stale(held, is_running):
            raise DeploymentInProgressError(in_progress_message(held))
        try:  # take over exactly the stale lock read, not one another deployment wrote since
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="deployment_id = :stale",
                ExpressionAttributeValues={":stale": {"S": held.deployment_id}},
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                newer = self.lock(lock.dataset) or held
                raise DeploymentInProgressError(in_progress_message(newer)) from exc
            raise
        return held

    def release(self, dataset: str, deployment_id: str) -> bool:
        """Release the lock if `deployment_id` holds it (never another deployment's); True if released."""
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=self._key(dataset, keys.SERVING_LOCK),
                ConditionExpression="deployment_id = :mine",
                ExpressionAttributeValues={":mine": {"S": deployment_id}},
            )
        except ClientError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True
