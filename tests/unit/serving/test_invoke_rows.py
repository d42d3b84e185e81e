"""What `mlops serve invoke` reads and sends (mlops/serving/invoke_rows.py)."""

import json
from pathlib import Path

import pytest

from mlops.cli.serve_batch_cmd import batch_id, parse_dataset_ref
from mlops.cli.serve_endpoint_cmd import prediction_rows
from mlops.errors import UsageError
from mlops.serving.invoke_rows import CSV, JSON, EndpointAnswerError, RowsFileError, predictions_of, read_rows


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_with_a_header_is_sent_as_records(tmp_path: Path) -> None:
    rows = read_rows(write(tmp_path, "rows.csv", "sample_id,mean_radius,label\nS00001,1.5,1\nS00002,2,0\n"))
    assert rows.content_type == JSON and rows.count == 2
    assert rows.records == [
        {"sample_id": "S00001", "mean_radius": 1.5, "label": 1},
        {"sample_id": "S00002", "mean_radius": 2, "label": 0},
    ]
    assert json.loads(rows.body) == rows.records


def test_a_csv_without_header_is_sent_as_it_is_even_with_text_keys(tmp_path: Path) -> None:
    # a data row's key may be text: a header is a first row of which no cell is a number
    rows = read_rows(write(tmp_path, "rows.csv", "1.5,2.5\n3,4\n"))
    assert (rows.content_type, rows.body, rows.records, rows.count) == (CSV, "1.5,2.5\n3,4\n", None, 2)
    mixed = read_rows(write(tmp_path, "mixed.csv", "S00001,1.5\n"))
    assert mixed.content_type == CSV


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("rows.csv", "", "holds no rows"),
        ("rows.csv", "a,b\n", "a header and no rows"),
        ("rows.csv", "1,2\n3\n", "row 2 has 1 values"),
        ("rows.json", "{not json", "is not JSON"),
        ("rows.json", "[]", "non-empty list"),
        ("rows.json", "[1, 2]", "row 1 is not a record"),
    ],
)
def test_malformed_files_are_refused_naming_what_is_wrong(tmp_path: Path, name: str, text: str, complaint: str) -> None:
    with pytest.raises(RowsFileError, match=complaint) as caught:
        read_rows(write(tmp_path, name, text))
    assert caught.value.exit_code == 2


def test_json_records_instances_and_a_single_record(tmp_path: Path) -> None:
    record = {"mean_radius": 1.0}
    for text in (json.dumps([record]), json.dumps({"instances": [record]}), json.dumps(record)):
        rows = read_rows(write(tmp_path, "rows.json", text))
        assert (rows.content_type, rows.records, rows.count) == (JSON, [record], 1)


def test_predictions_must_answer_every_row() -> None:
    assert predictions_of(b'{"predictions": [0.25, 1]}', 2) == [0.25, 1.0]
    with pytest.raises(EndpointAnswerError, match="1 prediction"):
        predictions_of(b'{"predictions": [0.25]}', 2)
    with pytest.raises(EndpointAnswerError):
        predictions_of(b"<html>", 1)


def test_prediction_rows_carry_the_row_keys_the_file_named(tmp_path: Path) -> None:
    rows = read_rows(write(tmp_path, "rows.csv", "sample_id,mean_radius\nS1,1\nS2,2\n"))
    assert prediction_rows(rows, [0.1, 0.9], ["sample_id"]) == [
        {"row": 1, "sample_id": "S1", "prediction": 0.1},
        {"row": 2, "sample_id": "S2", "prediction": 0.9},
    ]
    headerless = read_rows(write(tmp_path, "plain.csv", "1,2\n"))
    assert prediction_rows(headerless, [0.5], ["sample_id"]) == [{"row": 1, "prediction": 0.5}]


def test_dataset_refs_and_batch_ids() -> None:
    assert parse_dataset_ref("breast-cancer@v3") == ("breast-cancer", "v3")
    assert parse_dataset_ref("breast-cancer") == ("breast-cancer", "latest")
    for bad in ("@v3", "a@b@c"):
        with pytest.raises(UsageError):
            parse_dataset_ref(bad)
    from datetime import UTC, datetime

    made = batch_id("breast cancer", "v3", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "ab12")
    assert made == "breast-cancer-v3-20260102T030405Z-ab12"
