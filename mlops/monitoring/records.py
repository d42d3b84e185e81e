"""Monitoring records in the registry table: watermarks, checks, retraining triggers and the
claim on a dataset's last retraining start (keys in mlops/registry/keys.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from mlops.monitoring.models import CheckRecord, TriggerRecord, Watermark
from mlops.registry import keys

RecordT = TypeVar("RecordT", bound=BaseModel)
RETRAIN_CLAIM = "RETRAIN"


class MonitorRecords:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    def _key(self, dataset: str, sk: str) -> dict[str, Any]:
        return {keys.PARTITION_KEY: {"S": keys.monitor_pk(dataset)}, keys.SORT_KEY: {"S": sk}}

    def _put(self, dataset: str, sk: str, record: BaseModel) -> None:
        self._ddb.put_item(
            TableName=self._table, Item=self._key(dataset, sk) | {"record": {"S": record.model_dump_json()}}
        )

    # watermark ---------------------------------------------------------------------------
    def watermark(self, dataset: str) -> Watermark | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(dataset, keys.MONITOR_WATERMARK), ConsistentRead=True
        ).get("Item")
        return Watermark.model_validate_json(item["record"]["S"]) if item else None

    def advance_watermark(self, watermark: Watermark, previous: Watermark | None) -> bool:
        """Move the watermark from `previous` to `watermark`; False when another check moved it
        first (then that check read the window, and this one's report must not advance it)."""
        condition = "attribute_not_exists(pk)" if previous is None else "attribute_exists(pk) AND #record = :previous"
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Item": self._key(watermark.dataset, keys.MONITOR_WATERMARK)
            | {"record": {"S": watermark.model_dump_json()}},
            "ConditionExpression": condition,
        }
        if previous is not None:
            kwargs["ExpressionAttributeValues"] = {":previous": {"S": previous.model_dump_json()}}
            kwargs["ExpressionAttributeNames"] = {"#record": "record"}  # a reserved word
        try:
            self._ddb.put_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # checks and triggers -----------------------------------------------------------------
    def put_check(self, record: CheckRecord) -> None:
        self._put(record.dataset, keys.check_sk(record.checked_at.isoformat(), record.check_id), record)

    def checks(self, dataset: str, *, limit: int | None = None) -> list[CheckRecord]:
        """Newest first."""
        return self._newest(dataset, keys.CHECK_PREFIX, CheckRecord, limit)

    def put_trigger(self, record: TriggerRecord) -> None:
        self._put(record.dataset, keys.trigger_sk(record.at.isoformat(), record.trigger_id), record)

    def triggers(self, dataset: str, *, limit: int | None = None) -> list[TriggerRecord]:
        """Newest first."""
        return self._newest(dataset, keys.TRIGGER_PREFIX, TriggerRecord, limit)

    def _newest(self, dataset: str, prefix: str, model: type[RecordT], limit: int | None) -> list[RecordT]:
        found: list[RecordT] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": keys.monitor_pk(dataset)}, ":prefix": {"S": prefix}},
            "ScanIndexForward": False,
        }
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                found.append(model.model_validate_json(item["record"]["S"]))
                if limit is not None and len(found) >= limit:
                    return found
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # the retraining claim ----------------------------------------------------------------
    def last_started(self, dataset: str) -> datetime | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=self._key(dataset, RETRAIN_CLAIM), ConsistentRead=True
        ).get("Item")
        return datetime.fromisoformat(item["started_at"]["S"]) if item else None

    def claim_start(self, dataset: str, at: datetime, cooldown: timedelta) -> bool:
        """Record `at` as the dataset's last retraining start unless one is recorded within
        `cooldown` before it (ISO-8601 UTC strings compare in time order)."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=self._key(dataset, RETRAIN_CLAIM) | {"started_at": {"S": at.isoformat()}},
                ConditionExpression="attribute_not_exists(pk) OR started_at <= :since",
                ExpressionAttributeValues={":since": {"S": (at - cooldown).isoformat()}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
