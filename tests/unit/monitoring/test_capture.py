"""Capture records parsed as SageMaker writes them; a bad record is reported, never a crash."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlops import config as config_module
from mlops.monitoring import capture
from mlops.monitoring.capture import CaptureFormatError, CaptureTally, parse_lines, parse_record
from tests import capture as files

FEATURES = ["a", "b", "c"]


def test_feature_columns_drop_the_target_and_id_columns(repo_root: Path) -> None:
    spec = config_module.load(repo_root / "mlops.yaml", "dev").datasets["breast-cancer"]
    features = capture.feature_columns(spec)
    assert "sample_id" not in features and "diagnosis" not in features
    assert features[0] == "mean_radius" and len(features) == 30


def test_csv_without_header_is_in_feature_order() -> None:
    parsed = parse_record(json.dumps(files.record([1.5, 2, ""], 0.9, inference_id="i-1")), FEATURES)
    assert parsed.rows == [{"a": "1.5", "b": "2", "c": None}]
    assert parsed.predictions == [0.9]
    assert parsed.join_key == "i-1"


def test_csv_with_header_names_its_columns() -> None:
    record = files.record([0], 0.1)
    record["captureData"]["endpointInput"]["data"] = "c,a\n3,1\n4,2"
    record["captureData"]["endpointOutput"]["data"] = json.dumps({"predictions": [0.1, 0.2]})
    parsed = parse_record(json.dumps(record), FEATURES)
    assert parsed.rows == [{"c": "3", "a": "1"}, {"c": "4", "a": "2"}]
    assert parsed.predictions == [0.1, 0.2]


def test_json_records_instances_and_base64() -> None:
    assert parse_record(json.dumps(files.record({"a": 1, "b": 2.5}, 0.3)), FEATURES).rows == [{"a": 1, "b": 2.5}]
    record = files.record([0], None)
    record["captureData"]["endpointInput"] = {
        "observedContentType": "application/json",
        "mode": "INPUT",
        "data": json.dumps({"instances": [[1, 2, 3], [4, 5, 6]]}),
        "encoding": "JSON",
    }
    parsed = parse_record(json.dumps(record), FEATURES)
    assert parsed.rows == [{"a": 1, "b": 2, "c": 3}, {"a": 4, "b": 5, "c": 6}]
    assert parsed.predictions == [] and parsed.join_key == record["eventMetadata"]["eventId"]
    encoded = parse_record(json.dumps(files.record([7, 8, 9], 0.5, encoding="BASE64")), FEATURES)
    assert encoded.rows == [{"a": "7", "b": "8", "c": "9"}]


def test_csv_output_one_probability_a_line() -> None:
    record = files.record([1, 2, 3])
    record["captureData"]["endpointOutput"] = {"observedContentType": "text/csv", "data": "0.25\n", "encoding": "CSV"}
    assert parse_record(json.dumps(record), FEATURES).predictions == [0.25]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json", "not JSON"),
        (json.dumps({"eventMetadata": {"eventId": "e"}}), "no captureData"),
        (json.dumps({"captureData": {}}), "eventId"),
    ],
)
def test_malformed_lines_raise_a_format_error(line: str, why: str) -> None:
    with pytest.raises(CaptureFormatError, match=why):
        parse_record(line, FEATURES)


def test_a_file_with_bad_records_reports_them_and_yields_the_rest() -> None:
    wrong_width = files.record([1, 2], 0.5)
    bad_base64 = files.record([1, 2, 3], 0.5)
    bad_base64["captureData"]["endpointInput"]["encoding"] = "BASE64"
    mismatch = files.record([1, 2, 3], 0.5)
    mismatch["captureData"]["endpointOutput"]["data"] = json.dumps({"predictions": [0.1, 0.2]})
    lines = files.jsonl(
        [files.record([1, 2, 3], 0.5), "{broken", wrong_width, "", bad_base64, mismatch, files.record([4, 5, 6])]
    ).splitlines()
    tally = CaptureTally()
    parsed = list(parse_lines("f.jsonl", lines, FEATURES, tally))
    assert len(parsed) == 2
    assert (tally.files, tally.records, tally.rows, tally.malformed) == (1, 2, 2, 4)
    assert [p.line for p in tally.problems] == [2, 3, 5, 6]
    assert "expected 3" in tally.problems[1].reason and "base64" in tally.problems[2].reason


def test_records_inferred_before_the_serving_model_began_are_counted_and_skipped() -> None:
    began = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)  # capture stamps whole seconds
    earlier = files.record([1, 2, 3], 0.1, inference_id="old", at=began - timedelta(seconds=1))
    same_second = files.record([1, 2, 3], 0.2, inference_id="same", at=began)
    later = files.record([1, 2, 3], 0.3, inference_id="new", at=began + timedelta(minutes=1))
    undated = files.record([1, 2, 3], 0.4, inference_id="undated")
    del undated["eventMetadata"]["inferenceTime"]
    naive_clock = began.replace(tzinfo=None)  # a naive time is UTC, as SageMaker stamps
    for not_before in (began, naive_clock):
        tally = CaptureTally()
        lines = files.jsonl([earlier, same_second, later, undated]).splitlines()
        parsed = list(parse_lines("f.jsonl", lines, FEATURES, tally, not_before=not_before))
        assert [p.inference_id for p in parsed] == ["same", "new", "undated"]
        assert (tally.records, tally.rows, tally.earlier_model, tally.malformed) == (3, 3, 1, 0)
    everything = list(parse_lines("f.jsonl", files.jsonl([earlier, later]).splitlines(), FEATURES, CaptureTally()))
    assert len(everything) == 2
