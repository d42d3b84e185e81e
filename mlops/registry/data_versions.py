"""Data-version records: content-addressed ids, per-dataset sequence names, no lost update.

Items (single-table, see stacks/constructs/registry.py):
  DATASET#<name> / COUNTER          seq: the last sequence number handed out
  DATASET#<name> / VERSION#<id>     the record, found by content id
  DATASET#<name> / SEQ#<000042>     the same record, found (and listed in order) by sequence
A new version is one transaction: bump the counter from the value read (condition), and
create both record items (condition: absent). Two concurrent different versions cannot take
the same number; two concurrent identical versions cannot both be created.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from mlops.errors import MlopsError
from mlops.registry import keys

MAX_ATTEMPTS = 8
SEQUENCE_WIDTH = keys.SEQUENCE_WIDTH


class DataVersionNotFoundError(MlopsError):
    error_name = "Mlops.DataVersionNotFound"


class RegistryConflictError(MlopsError):
    error_name = "Mlops.RegistryConflict"


class NewDataVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    dataset: str
    version_id: str
    manifest_uri: str
    schema_hash: str
    rows: int
    objects: int
    bytes: int
    created_at: datetime
    created_by: str
    upload_id: str


class DataVersionRecord(NewDataVersion):
    sequence: int

    @property
    def name(self) -> str:
        return f"v{self.sequence}"

    @property
    def ref(self) -> str:
        return f"{self.dataset}@{self.name}"


_pk = keys.dataset_pk
_seq_sk = keys.sequence_sk


def _to_item(record: DataVersionRecord, sk: str) -> dict[str, Any]:
    item: dict[str, Any] = {keys.PARTITION_KEY: {"S": _pk(record.dataset)}, keys.SORT_KEY: {"S": sk}}
    for name, value in record.model_dump(mode="json").items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    return item


def _from_item(item: dict[str, Any]) -> DataVersionRecord:
    values = {
        k: (v["N"] if "N" in v else v["S"]) for k, v in item.items() if k not in {keys.PARTITION_KEY, keys.SORT_KEY}
    }
    return DataVersionRecord.model_validate(values)


class DataVersionRegistry:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def register(self, candidate: NewDataVersion) -> tuple[DataVersionRecord, bool]:
        """Record `candidate`; (record, True) if new, (existing record, False) if already known."""
        for _ in range(MAX_ATTEMPTS):
            existing = self.find(candidate.dataset, candidate.version_id)
            if existing is not None:
                return existing, False
            current = self._counter(candidate.dataset)
            record = DataVersionRecord(**candidate.model_dump(), sequence=current + 1)
            counter_condition = "attribute_not_exists(seq)" if current == 0 else "seq = :current"
            values: dict[str, Any] = {":next": {"N": str(current + 1)}}
            if current:
                values[":current"] = {"N": str(current)}
            try:
                self._ddb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self._table,
                                "Key": {
                                    keys.PARTITION_KEY: {"S": _pk(candidate.dataset)},
                                    keys.SORT_KEY: {"S": keys.COUNTER},
                                },
                                "UpdateExpression": "SET seq = :next",
                                "ConditionExpression": counter_condition,
                                "ExpressionAttributeValues": values,
                            }
                        },
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": _to_item(record, keys.version_sk(record.version_id)),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": _to_item(record, _seq_sk(record.sequence)),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] in {
                    "TransactionCanceledException",
                    "ConditionalCheckFailedException",
                }:
                    continue  # somebody else registered first: re-read and try again
                raise
            return record, True
        raise RegistryConflictError(
            f"could not register {candidate.dataset} {candidate.version_id[:12]} after {MAX_ATTEMPTS} attempts"
        )

    def _counter(self, dataset: str) -> int:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={keys.PARTITION_KEY: {"S": _pk(dataset)}, keys.SORT_KEY: {"S": keys.COUNTER}},
            ConsistentRead=True,
        ).get("Item")
        return int(item["seq"]["N"]) if item else 0

    def find(self, dataset: str, version_id: str) -> DataVersionRecord | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={keys.PARTITION_KEY: {"S": _pk(dataset)}, keys.SORT_KEY: {"S": keys.version_sk(version_id)}},
            ConsistentRead=True,
        ).get("Item")
        return _from_item(item) if item else None

    def list(self, dataset: str) -> list[DataVersionRecord]:
        records: list[DataVersionRecord] = []
        paginator = self._ddb.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :seq)",
            ExpressionAttributeValues={":pk": {"S": _pk(dataset)}, ":seq": {"S": keys.SEQUENCE_PREFIX}},
        ):
            records.extend(_from_item(item) for item in page.get("Items", []))
        return records

    def resolve(self, dataset: str, ref: str = "latest") -> DataVersionRecord:
        """`latest`, `vN`, or a content id (a unique prefix of at least 8 characters)."""
        if ref == "latest":
            records = self.list(dataset)
            if not records:
                raise DataVersionNotFoundError(f"dataset {dataset!r} has no accepted version yet")
            return records[-1]
        if match := re.fullmatch(r"v(\d+)", ref):
            item = self._ddb.get_item(
                TableName=self._table,
                Key={keys.PARTITION_KEY: {"S": _pk(dataset)}, keys.SORT_KEY: {"S": _seq_sk(int(match.group(1)))}},
            ).get("Item")
            if item:
                return _from_item(item)
        elif len(ref) >= 8:
            candidates = [r for r in self.list(dataset) if r.version_id.startswith(ref)]
            if len(candidates) == 1:
                return candidates[0]
        raise DataVersionNotFoundError(f"{dataset}@{ref} is not a registered data version")
