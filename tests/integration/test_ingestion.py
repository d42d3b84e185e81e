"""The ingestion steps against moto: versions, manifests, quarantine, idempotency, concurrency."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from mlops.ingest.manifest import Manifest
from mlops.registry.data_versions import DataVersionRegistry, NewDataVersion
from tests.datasets import csv_bytes, frame
from tests.integration.conftest import DataLake

DATASET = "breast-cancer"


def good(lake: DataLake, rows: int = 200, seed: int = 0, id_offset: int = 0) -> bytes:
    return csv_bytes(frame(lake.config.datasets[DATASET], rows, seed, id_offset))


def bad(lake: DataLake) -> bytes:
    df = frame(lake.config.datasets[DATASET], 200, seed=1)
    df.loc[3, "mean_radius"] = -5.0  # below min 0
    df.loc[7, "diagnosis"] = 7  # not an allowed value
    df.loc[9, "sample_id"] = df.loc[8, "sample_id"]  # duplicate in a unique column
    return csv_bytes(df)


def s3_key(uri: str | None) -> str:
    assert uri is not None, "no S3 URI"
    return uri.split("/", 3)[3]


def test_accepted_upload_becomes_a_version_with_manifest_profile_record_and_event(lake: DataLake) -> None:
    body = good(lake)
    upload = lake.upload(f"incoming/{DATASET}/2026-11-22.csv", body)
    _, outcome = lake.ingest(upload)
    assert outcome is not None and outcome.verdict == "accepted", outcome
    assert outcome.version == "v1" and outcome.created and outcome.rows == 200

    manifest = Manifest.model_validate_json(lake.body(s3_key(outcome.manifest_uri)))
    assert manifest.version_id == outcome.version_id
    [obj] = manifest.objects
    assert obj.key == upload.key and obj.version_id == upload.version_id
    assert obj.sha256 == hashlib.sha256(body).hexdigest() and obj.bytes == len(body) and obj.rows == 200
    assert manifest.created_by == "alice" and manifest.profile, "the profile is part of the manifest"

    record = lake.registry.resolve(DATASET, "v1")
    assert record.version_id == outcome.version_id and record.manifest_uri == outcome.manifest_uri
    assert lake.registry.resolve(DATASET, "latest") == record

    [event] = lake.events()
    assert event["detail-type"] == "DataVersionCreated"
    assert event["detail"]["version_id"] == outcome.version_id and event["detail"]["name"] == "v1"
    outcome_doc = json.loads(lake.body(s3_key(outcome.report_uri)))
    assert outcome_doc["verdict"] == "accepted"


def test_rejected_upload_is_quarantined_with_a_report_and_the_original_is_untouched(lake: DataLake) -> None:
    body = bad(lake)
    upload = lake.upload(f"incoming/{DATASET}/broken.csv", body)
    _, outcome = lake.ingest(upload)
    assert outcome is not None and outcome.verdict == "rejected"
    assert outcome.version is None and lake.registry.list(DATASET) == []

    report = json.loads(lake.body(s3_key(outcome.report_uri)))
    checks = {(e["check"], e["column"]) for e in report["errors"]}
    assert len(checks) >= 3, checks
    assert any(col == "mean_radius" for _, col in checks) and any(col == "diagnosis" for _, col in checks)
    quarantined = lake.body(f"quarantine/{DATASET}/{outcome.upload_id}/broken.csv")
    assert quarantined == body
    # the uploaded version is still there, byte for byte, under its key and by its VersionId
    assert lake.body(upload.key) == body
    assert lake.body(upload.key, upload.version_id) == body
    versions = lake.s3.list_object_versions(Bucket=lake.bucket, Prefix=upload.key)
    assert len(versions["Versions"]) == 1 and not versions.get("DeleteMarkers")
    [event] = lake.events()
    assert event["detail-type"] == "DataRejected"


def test_identical_bytes_give_the_same_version_and_no_duplicate_record(lake: DataLake) -> None:
    body = good(lake)
    _, first = lake.ingest(lake.upload(f"incoming/{DATASET}/monday.csv", body))
    _, again = lake.ingest(lake.upload(f"incoming/{DATASET}/tuesday.csv", body))
    assert first is not None and again is not None
    assert again.version_id == first.version_id and again.version == "v1"
    assert first.created and not again.created
    assert len(lake.registry.list(DATASET)) == 1
    assert [e["detail-type"] for e in lake.events()] == ["DataVersionCreated"]


def test_concurrent_uploads_of_different_data_get_distinct_versions(lake: DataLake) -> None:
    uploads = [
        lake.upload(f"incoming/{DATASET}/part-{i}.csv", good(lake, seed=i, id_offset=i * 1000)) for i in range(4)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = [o for _, o in pool.map(lake.ingest, uploads)]
    assert all(o is not None and o.verdict == "accepted" and o.created for o in outcomes)
    records = lake.registry.list(DATASET)
    assert sorted(r.sequence for r in records) == [1, 2, 3, 4]
    assert len({r.version_id for r in records}) == 4


def test_a_registration_that_read_a_stale_counter_retries_instead_of_losing_an_update(
    lake: DataLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic interleaving: B reads the counter, A commits, then B writes."""
    registry = lake.registry
    template = NewDataVersion(
        dataset=DATASET,
        version_id="a" * 64,
        manifest_uri="s3://b/k",
        schema_hash="s",
        rows=1,
        objects=1,
        bytes=1,
        created_at=datetime.now(UTC),
        created_by="t",
        upload_id="u",
    )
    real_counter = DataVersionRegistry._counter
    reads = []

    def stale_then_real(self: DataVersionRegistry, dataset: str) -> int:
        reads.append(dataset)
        if len(reads) == 1:  # B's first read happens before A commits ...
            registry.register(template)  # ... A commits v1 now
            return 0  # ... and B still believes the counter is 0
        return real_counter(self, dataset)

    monkeypatch.setattr(DataVersionRegistry, "_counter", stale_then_real)
    record_b, created = registry.register(template.model_copy(update={"version_id": "b" * 64}))
    assert created and record_b.sequence == 2
    assert [r.sequence for r in registry.list(DATASET)] == [1, 2]


def test_manifest_reads_back_the_exact_bytes_after_the_key_is_overwritten(lake: DataLake) -> None:
    key = f"incoming/{DATASET}/daily.csv"
    original = good(lake, seed=1)
    _, first = lake.ingest(lake.upload(key, original))
    _, second = lake.ingest(lake.upload(key, good(lake, seed=2)))
    assert first is not None and second is not None and first.version_id != second.version_id
    manifest = Manifest.model_validate_json(lake.body(s3_key(first.manifest_uri)))
    [obj] = manifest.objects
    assert lake.body(obj.key, obj.version_id) == original  # provenance: the upload's own version
    assert obj.content_key is not None and lake.body(obj.content_key) == original  # what training reads
    assert hashlib.sha256(lake.body(obj.key, obj.version_id)).hexdigest() == obj.sha256


def test_a_batch_becomes_one_version_when_its_commit_marker_lands(lake: DataLake) -> None:
    prefix = f"incoming/{DATASET}/batch-7/"
    parts = [lake.upload(f"{prefix}part-{i}.csv", good(lake, seed=i, id_offset=i * 1000)) for i in range(3)]
    for part in parts:
        waiting, outcome = lake.ingest(part)
        assert waiting.mode == "skip" and outcome is None
    the_plan, outcome = lake.ingest(lake.upload(f"{prefix}_COMMIT", b""))
    assert the_plan.mode == "batch" and len(the_plan.items) == 3
    assert outcome is not None and outcome.verdict == "accepted" and outcome.rows == 600
    manifest = Manifest.model_validate_json(lake.body(s3_key(outcome.manifest_uri)))
    assert [o.key for o in manifest.objects] == [p.key for p in parts]


def test_a_batch_with_one_bad_part_is_quarantined_whole(lake: DataLake) -> None:
    prefix = f"incoming/{DATASET}/batch-8/"
    lake.upload(f"{prefix}good.csv", good(lake))
    lake.upload(f"{prefix}bad.csv", bad(lake))
    _, outcome = lake.ingest(lake.upload(f"{prefix}_COMMIT", b""))
    assert outcome is not None and outcome.verdict == "rejected"
    for name in ("good.csv", "bad.csv"):
        assert lake.body(f"quarantine/{DATASET}/{outcome.upload_id}/batch-8/{name}") == lake.body(prefix + name)


def test_unknown_dataset_is_quarantined_not_dropped(lake: DataLake) -> None:
    upload = lake.upload("incoming/no-such-dataset/x.csv", good(lake))
    _, outcome = lake.ingest(upload)
    assert outcome is not None and outcome.verdict == "rejected"
    report = json.loads(lake.body(s3_key(outcome.report_uri)))
    assert report["errors"][0]["check"] == "dataset.unknown"
    assert lake.body(f"quarantine/no-such-dataset/{outcome.upload_id}/x.csv") == lake.body(upload.key)
