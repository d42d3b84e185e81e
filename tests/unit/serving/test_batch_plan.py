"""Batch inference planning and records (mlops/serving/batch.py): pure, no AWS."""

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from mlops.serving.batch import (
    FORMATS,
    INPUT_COLUMNS_ENV,
    BatchInputError,
    BatchPlan,
    InputObject,
    PartName,
    RecordRequest,
    build_record,
    group_objects,
    input_layout,
    job_environment,
    prediction_uri,
    sagemaker_manifest,
    transform_job_name,
)

SHA = "ab" * 32
LAKE = "s3://lake/objects/breast-cancer/"
OUT = "s3://artifacts/batch/breast-cancer/b-1/predictions/"


def obj(name: str, rows: int = 10) -> InputObject:
    return InputObject(key=f"objects/breast-cancer/{name}", sha256=SHA, rows=rows, bytes=100)


def test_objects_are_grouped_by_the_transform_job_that_reads_their_format() -> None:
    groups = group_objects([obj("b.parquet"), obj("c.csv.gz"), obj("z.csv"), obj("a.csv")])
    assert list(groups) == ["csv", "csv-gz", "parquet"]
    assert [o.key.rsplit("/", 1)[1] for o in groups["csv"]] == ["a.csv", "z.csv"]
    assert FORMATS["csv"].split_type == FORMATS["csv-gz"].split_type == "Line"
    assert FORMATS["csv-gz"].compression_type == "Gzip"
    assert (FORMATS["parquet"].split_type, FORMATS["parquet"].batch_strategy) == ("None", "SingleRecord")


@pytest.mark.parametrize("objects", [[], [obj("a.json")]])
def test_a_version_no_transform_job_can_read_is_refused(objects: list[InputObject]) -> None:
    with pytest.raises(BatchInputError):
        group_objects(objects)


def test_job_names_fit_sagemaker_and_keep_batches_apart() -> None:
    long_a, long_b = "x" * 70 + "-a", "x" * 70 + "-b"
    names = [transform_job_name("tumor-classifier-dev", batch, "csv-gz") for batch in (long_a, long_b, "b 1")]
    for name in names:
        assert len(name) + len("-r99") <= 63
        assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", name), name
        assert name.startswith("tumor-classifier-dev-") and name.endswith("-csv-gz")
    assert len(set(names)) == 3


def test_the_layout_is_the_objects_one_header() -> None:
    header = ["sample_id", "mean_radius", "diagnosis"]
    assert input_layout({"a.csv": header, "b.csv": list(header)}) == header
    assert input_layout({}) == []
    with pytest.raises(BatchInputError, match=r"a\.csv.*b\.csv"):
        input_layout({"a.csv": header, "b.csv": list(reversed(header))})


def test_the_environment_names_the_layout_within_sagemakers_limit() -> None:
    assert json.loads(job_environment(["a", "b"])[INPUT_COLUMNS_ENV]) == ["a", "b"]
    assert job_environment([]) == {}
    with pytest.raises(BatchInputError, match="10240"):
        job_environment([f"column_{i:05d}" for i in range(1000)])


def plan(parts: dict[PartName, list[InputObject]]) -> BatchPlan:
    return BatchPlan.model_validate(
        {
            "batch_id": "b-1",
            "dataset": "breast-cancer",
            "data_version": "v3",
            "data_version_id": "f" * 64,
            "data_manifest_uri": "s3://lake/versions/breast-cancer/fff.json",
            "model_version": 2,
            "model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/g/2",
            "model_name": "tumor-classifier-dev-breast-cancer-v2",
            "model_created": True,
            "input_prefix": LAKE,
            "output_uri": OUT,
            "record_uri": "s3://artifacts/batch/breast-cancer/b-1/record.json",
            "environment": {},
            "parts": [
                {
                    "name": n,
                    "job_name": f"j-{n}",
                    "manifest_uri": f"s3://m/{n}",
                    "objects": o,
                    **FORMATS[n].model_dump(),
                }
                for n, o in parts.items()
            ],
        }
    )


def test_manifests_and_outputs_are_named_relative_to_the_datasets_objects() -> None:
    a = obj("a.csv")
    assert sagemaker_manifest(LAKE, [a]) == [{"prefix": LAKE}, "a.csv"]
    assert prediction_uri(plan({"csv": [a]}), a) == f"{OUT}a.csv.out"


def request(outcome: str, state: dict[str, Any]) -> RecordRequest:
    return RecordRequest.model_validate(
        {
            "outcome": outcome,
            "state": state,
            "execution_id": "arn:aws:states:us-east-1:1:execution:m:b-1",
            "execution_name": "b-1",
            "started_at": "2026-01-01T00:00:00Z",
        }
    )


FINISHED = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)


def test_a_succeeded_batch_records_its_model_data_version_and_what_was_written() -> None:
    the_plan = plan({"csv": [obj("a.csv", 7)], "parquet": [obj("b.parquet", 5)]})
    jobs = [{"job_name": "j-csv-r0", "status": "Completed", "started_at": 1767225600000, "ended_at": 1767225660000}]
    state = {"dataset": "breast-cancer", "data_version": "v3", "plan": the_plan.model_dump(), "jobs": jobs}

    record = build_record(request("succeeded", state), {f"{OUT}a.csv.out"}, FINISHED)

    assert record.status == "succeeded" and record.error is None
    assert record.dataset == "breast-cancer"
    assert (record.model_version, record.data_version, record.rows) == (2, "v3", 12)
    assert record.model_package_arn == the_plan.model_package_arn
    assert [(o.input_uri, o.output_uri, o.rows, o.written) for o in record.outputs] == [
        (f"{LAKE}a.csv", f"{OUT}a.csv.out", 7, True),
        (f"{LAKE}b.parquet", f"{OUT}b.parquet.out", 5, False),
    ]
    assert record.jobs[0].ended_at == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def test_a_failed_transform_job_is_recorded_with_sagemakers_failure_reason() -> None:
    the_plan = plan({"csv": [obj("a.csv")]})
    described = {"TransformJobStatus": "Failed", "FailureReason": "ClientError: s3://x (records 1-3): missing"}
    state = {
        "dataset": "breast-cancer",
        "plan": the_plan.model_dump(),
        "failure": {"Error": "States.TaskFailed", "Cause": json.dumps(described)},
    }

    record = build_record(request("failed", state), set(), FINISHED)

    assert (record.error, record.cause) == ("Mlops.TransformJobFailed", described["FailureReason"])
    assert record.failure_reason == described["FailureReason"]
    assert record.model_version == 2 and not any(o.written for o in record.outputs)


def test_a_batch_that_failed_before_planning_keeps_what_was_asked_and_the_error() -> None:
    state = {
        "dataset": "breast-cancer",
        "data_version": "v9",
        "model_version": 4,
        "failure": {"Error": "Mlops.DataVersionNotFound", "Cause": "breast-cancer@v9 is not a registered data version"},
    }
    record = build_record(request("failed", state), set(), FINISHED)
    assert (record.error, record.data_version, record.model_version) == ("Mlops.DataVersionNotFound", "v9", 4)
    assert record.outputs == [] and record.failure_reason is None


def test_other_reserved_errors_are_renamed_with_their_name_kept_in_the_cause() -> None:
    state = {"dataset": "d", "failure": {"Error": "States.Runtime", "Cause": "boom"}}
    record = build_record(request("failed", state), set(), FINISHED)
    assert (record.error, record.cause) == ("Mlops.BatchFailed", "States.Runtime: boom")
