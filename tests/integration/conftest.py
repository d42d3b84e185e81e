"""AWS resources of the data flow in an in-process moto, with the real adapters on top."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mlops import config as config_module
from mlops import names
from mlops.adapters.events import DomainEventPublisher
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.ingest.conclusion import Concluder
from mlops.ingest.models import ObjectCreatedEvent, ObjectResult, Outcome, Plan, ValidateItem
from mlops.ingest.planning import plan
from mlops.ingest.validation import validate_object
from mlops.registry import keys
from mlops.registry.data_versions import DataVersionRegistry

ACCOUNT = "123456789012"
EXAMPLE = Path(__file__).resolve().parents[2] / "mlops.yaml"


class AtomicRequests:
    """DynamoDB and S3 execute each request atomically; in-process moto does not when called from
    several threads. Serialising each *request* (not the whole registration) restores what
    the service guarantees, while threads still interleave between the requests of one
    registration: read the counter, somebody else commits, our transaction fails, retry."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name == "get_paginator":
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@dataclass
class DataLake:
    config: ProjectConfig
    s3: Any
    ddb: Any
    sqs: Any
    bucket: str
    table: str
    queue_url: str
    store: ObjectStore
    registry: DataVersionRegistry
    concluder: Concluder

    def upload(self, key: str, body: bytes) -> ObjectCreatedEvent:
        response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return ObjectCreatedEvent(
            time=datetime.now(UTC),
            bucket=self.bucket,
            key=key,
            version_id=response["VersionId"],
            size=len(body),
            requester="alice",
        )

    def ingest(self, event: ObjectCreatedEvent) -> tuple[Plan, Outcome | None]:
        """What the ingestion state machine does, step by step, with the real step functions."""
        the_plan = plan(event, self.config, self.store.list_latest)
        if the_plan.mode == "skip":
            return the_plan, None
        results: list[ObjectResult] = []
        if not the_plan.problems:
            results = [
                validate_object(
                    ValidateItem(
                        dataset=the_plan.dataset, bucket=the_plan.bucket, upload_id=the_plan.upload_id, object=o
                    ),
                    self.config,
                    self.store,
                )
                for o in the_plan.items
            ]
        return the_plan, self.concluder.conclude(the_plan, results)

    def events(self) -> list[dict[str, Any]]:
        """The domain events delivered so far. In-process moto delivers synchronously, during
        PutEvents, so this drains what is there and never waits."""
        received: list[dict[str, Any]] = []
        receive = self.sqs.receive_message
        while messages := receive(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return received

    def body(self, key: str, version_id: str | None = None) -> bytes:
        kwargs = {"VersionId": version_id} if version_id else {}
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key, **kwargs)["Body"].read()
        return body


@pytest.fixture
def lake(monkeypatch: pytest.MonkeyPatch) -> Iterator[DataLake]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    config = config_module.load(EXAMPLE, "dev")
    with mock_aws():
        s3 = boto3.client("s3")
        ddb = boto3.client("dynamodb")
        events = boto3.client("events")
        sqs = boto3.client("sqs")
        bucket = names.data_bucket(config, ACCOUNT)
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        table = names.registry_table(config)
        ddb.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": keys.PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": keys.SORT_KEY, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in (keys.PARTITION_KEY, keys.SORT_KEY, keys.RUNS_INDEX_PARTITION_KEY, keys.RUNS_INDEX_SORT_KEY)
            ],
            # as stacks/constructs/registry.py declares it
            GlobalSecondaryIndexes=[
                {
                    "IndexName": keys.RUNS_INDEX,
                    "KeySchema": [
                        {"AttributeName": keys.RUNS_INDEX_PARTITION_KEY, "KeyType": "HASH"},
                        {"AttributeName": keys.RUNS_INDEX_SORT_KEY, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        bus = names.event_bus(config)
        events.create_event_bus(Name=bus)
        queue_url = sqs.create_queue(QueueName="domain-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [names.event_source(config)]}))
        events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
        store = ObjectStore(AtomicRequests(s3))
        registry = DataVersionRegistry(AtomicRequests(ddb), table)
        publisher = DomainEventPublisher(events, bus_name=bus, source=names.event_source(config))
        yield DataLake(
            config=config,
            s3=s3,
            ddb=ddb,
            sqs=sqs,
            bucket=bucket,
            table=table,
            queue_url=queue_url,
            store=store,
            registry=registry,
            concluder=Concluder(config, store, registry, publisher),
        )
