from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlops import config as config_module
from mlops.ingest.manifest import content_version_id
from mlops.ingest.models import ObjectCreatedEvent, S3ObjectRef, upload_id
from mlops.ingest.planning import plan

CONFIG = config_module.load(Path(__file__).resolve().parents[3] / "mlops.yaml", "dev")


def event(key: str, version: str = "v1") -> ObjectCreatedEvent:
    return ObjectCreatedEvent(
        time=datetime(2026, 11, 22, tzinfo=UTC), bucket="b", key=key, version_id=version, size=10, requester="me"
    )


def no_listing(bucket: str, prefix: str) -> list[S3ObjectRef]:
    raise AssertionError("a single-file upload must not list the bucket")


def test_a_file_directly_under_the_dataset_is_a_single_upload() -> None:
    result = plan(event("incoming/breast-cancer/day1.csv.gz"), CONFIG, no_listing)
    assert result.mode == "single" and result.problems == []
    assert result.items == [S3ObjectRef(key="incoming/breast-cancer/day1.csv.gz", version_id="v1", size=10)]
    assert result.upload_id == upload_id("incoming/breast-cancer/day1.csv.gz", "v1")
    assert result.requester == "me"


@pytest.mark.parametrize(
    "key",
    [
        "elsewhere/breast-cancer/x.csv",  # not under incoming/
        "incoming/x.csv",  # no dataset folder
        "incoming/breast-cancer/batch/part-1.csv",  # batch part, waiting for _COMMIT
        "incoming/breast-cancer/.hidden.csv",
        "incoming/breast-cancer/_COMMIT",  # a marker without a batch folder
    ],
)
def test_objects_that_start_nothing_are_skipped_with_a_reason(key: str) -> None:
    result = plan(event(key), CONFIG, no_listing)
    assert result.mode == "skip" and result.reason


def test_unknown_dataset_is_a_problem_not_a_silent_drop() -> None:
    unknown = plan(event("incoming/nope/x.csv"), CONFIG, no_listing)
    assert [p["check"] for p in unknown.problems] == ["dataset.unknown"]
    assert "breast-cancer" in unknown.problems[0]["message"]
    assert unknown.items, "the object is still carried so it can be quarantined"


@pytest.mark.parametrize("name", ["x.xlsx", "x.json", "x.txt", "x"])
def test_any_name_is_planned_for_validation_which_judges_bytes_and_name(name: str) -> None:
    """The validate step decides by the bytes (and then checks the name), like `data validate`."""
    planned = plan(event(f"incoming/breast-cancer/{name}"), CONFIG, no_listing)
    assert planned.mode == "single" and planned.problems == []
    assert [i.key for i in planned.items] == [f"incoming/breast-cancer/{name}"]


def test_commit_marker_plans_every_latest_part_of_its_batch_in_key_order() -> None:
    listed = [
        S3ObjectRef(key="incoming/breast-cancer/b7/part-2.csv", version_id="x2"),
        S3ObjectRef(key="incoming/breast-cancer/b7/part-1.csv", version_id="x1"),
        S3ObjectRef(key="incoming/breast-cancer/b7/_COMMIT", version_id="m"),
        S3ObjectRef(key="incoming/breast-cancer/b7/notes.txt", version_id="n"),
    ]
    result = plan(event("incoming/breast-cancer/b7/_COMMIT"), CONFIG, lambda bucket, prefix: listed)
    assert result.mode == "batch"
    assert [i.key for i in result.items] == [
        "incoming/breast-cancer/b7/notes.txt",
        "incoming/breast-cancer/b7/part-1.csv",
        "incoming/breast-cancer/b7/part-2.csv",
    ]
    assert result.problems == []  # notes.txt is validated and judged there


def test_an_empty_batch_is_a_problem() -> None:
    result = plan(event("incoming/breast-cancer/b8/_COMMIT"), CONFIG, lambda bucket, prefix: [])
    assert [p["check"] for p in result.problems] == ["batch.empty"]


def test_version_id_depends_on_content_and_schema_not_on_order() -> None:
    a = content_version_id(["h1", "h2"], "schema")
    assert a == content_version_id(["h2", "h1"], "schema")
    assert a != content_version_id(["h1", "h2"], "other-schema")
    assert a != content_version_id(["h1", "h3"], "schema")
    assert len(a) == 64


def test_upload_id_is_stable_and_distinguishes_versions() -> None:
    assert upload_id("k", "1") == upload_id("k", "1") != upload_id("k", "2")
