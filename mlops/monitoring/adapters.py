"""AWS access of the monitoring context: capture and labels in S3, reports, CloudWatch metrics,
what the endpoint serves (registry and model registry)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from mlops import layout
from mlops.monitoring import labels as label_files
from mlops.monitoring.labels import Label
from mlops.pipeline.records import RunRecords
from mlops.registry import keys
from mlops.registry.data_versions import DataVersionNotFoundError, DataVersionRegistry
from mlops.registry.model_packages import ModelPackages
from mlops.serving.models import ServingPointer

METRICS_NAMESPACE = "ServerlessMLOps/Drift"
_METRICS_PER_CALL = 500


@dataclass(frozen=True)
class CaptureObject:
    key: str
    last_modified: datetime
    size: int


class CaptureStore:
    """An endpoint's capture files by the time S3 stored them (files are written once)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def window(self, endpoint: str, start: datetime | None, end: datetime) -> list[CaptureObject]:
        """Files stored in (start, end], oldest first. A file's hour folder is that of its first
        record, which precedes its write: listing starts an hour before `start`."""
        prefix = layout.capture_prefix(endpoint)
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if start is not None:
            kwargs["StartAfter"] = layout.capture_hour_prefix(endpoint, start - timedelta(hours=1))
        found = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(**kwargs):
            for item in page.get("Contents", []):
                stored = item["LastModified"]
                if (start is None or stored > start) and stored <= end and item["Key"].endswith(".jsonl"):
                    found.append(CaptureObject(item["Key"], stored, int(item.get("Size") or 0)))
        return sorted(found, key=lambda o: (o.last_modified, o.key))

    def lines(self, key: str) -> Iterator[bytes]:
        """Stream one file's lines (never the whole file in memory)."""
        body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        yield from body.iter_lines()


class LabelStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def push(self, dataset: str, labels: list[Label], *, now: datetime) -> str:
        body = label_files.to_lines(labels)
        key = layout.labels_key(dataset, now, hashlib.sha256(body).hexdigest())
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        return key

    def load(self, dataset: str) -> tuple[dict[str, int], int]:
        """Every stored label of the dataset (key -> label, the newest file wins) and how many
        stored lines were unreadable."""
        found: dict[str, int] = {}
        bad = 0
        keys_found = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=layout.labels_prefix(dataset)
        ):
            keys_found += [item["Key"] for item in page.get("Contents", [])]
        for key in sorted(keys_found):  # keys sort by push time
            text = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode("utf-8", errors="replace")
            bad += label_files.read_stored(text, found)
        return found, bad


class ReportStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def put(self, key: str, body: str, content_type: str) -> str:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode(), ContentType=content_type)
        return layout.s3_uri(self.bucket, key)

    def list_reports(self, dataset: str) -> list[str]:
        """The report.json keys of the dataset's checks, newest first."""
        found = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=layout.drift_reports_prefix(dataset)
        ):
            found += [item["Key"] for item in page.get("Contents", []) if item["Key"].endswith("/report.json")]
        return sorted(found, reverse=True)

    def get_json(self, key: str) -> Any:
        return json.loads(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())


class MetricsPublisher:
    def __init__(self, client: Any, namespace: str = METRICS_NAMESPACE) -> None:
        self._cloudwatch = client
        self.namespace = namespace

    def put(self, data: list[dict[str, Any]]) -> None:
        for start in range(0, len(data), _METRICS_PER_CALL):
            self._cloudwatch.put_metric_data(
                Namespace=self.namespace, MetricData=data[start : start + _METRICS_PER_CALL]
            )


class ServingLookup:
    """What a dataset's endpoint serves (the ServingPointer) and that model's evaluation."""

    def __init__(self, ddb: Any, table: str, packages: ModelPackages, sagemaker: Any) -> None:
        self._ddb = ddb
        self._table = table
        self._packages = packages
        self._sagemaker = sagemaker

    def pointer(self, dataset: str) -> ServingPointer | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={keys.PARTITION_KEY: {"S": keys.serving_pk(dataset)}, keys.SORT_KEY: {"S": keys.SERVING_CURRENT}},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        values = {k: v.get("S", v.get("N")) for k, v in item.items() if k not in {keys.PARTITION_KEY, keys.SORT_KEY}}
        if "record" in values:  # stored as one JSON document
            return ServingPointer.model_validate_json(str(values["record"]))
        return ServingPointer.model_validate({k: v for k, v in values.items() if v is not None})

    def package_metrics(self, arn: str) -> dict[str, float]:
        """The evaluation metrics registered with a model package (empty when it has none)."""
        try:
            described = self._sagemaker.describe_model_package(ModelPackageName=arn)
        except ClientError:
            return {}
        raw = (described.get("CustomerMetadataProperties") or {}).get("metrics")
        try:
            return {str(k): float(v) for k, v in json.loads(raw).items()} if raw else {}
        except (ValueError, TypeError, AttributeError):
            return {}

    def champion(self, group: str) -> tuple[str, dict[str, float]] | None:
        """The newest approved package of the group and its metrics: the quality baseline
        before the serving workflow has recorded what the endpoint serves."""
        champion = self._packages.champion(group)
        return None if champion is None else (champion.model_package_arn, champion.metrics)


class LatestAccepted:
    """The newest accepted data version of a dataset, by name (what retraining trains on)."""

    def __init__(self, registry: DataVersionRegistry) -> None:
        self._registry = registry

    def latest(self, dataset: str) -> str | None:
        try:
            return self._registry.resolve(dataset, "latest").name
        except DataVersionNotFoundError:
            return None


class RecentRuns:
    """When the dataset's newest recorded training run started (any trigger)."""

    def __init__(self, records: RunRecords) -> None:
        self._records = records

    def last_started(self, dataset: str) -> datetime | None:
        newest = self._records.list(dataset, limit=1)
        return newest[0].started_at if newest else None
