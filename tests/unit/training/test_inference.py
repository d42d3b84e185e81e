import json
from types import ModuleType

import numpy as np
import pytest

from tests.unit.training.conftest import Container, load_entry_point, split_example_data


@pytest.fixture(scope="module")
def inference() -> ModuleType:
    return load_entry_point("inference")


@pytest.fixture(scope="module")
def model(inference: ModuleType, trained: Container) -> object:
    return inference.model_fn(str(trained.model_dir))


def _test_rows(count: int = 5):  # type: ignore[no-untyped-def]
    _, test = split_example_data()
    return test.head(count)


def test_model_fn_loads_the_booster_and_feature_order(model: object) -> None:
    assert model.features[0] == "mean_radius"  # type: ignore[attr-defined]
    assert len(model.features) == 30  # type: ignore[attr-defined]
    assert model.target == "diagnosis"  # type: ignore[attr-defined]


def test_csv_with_header_round_trip(inference: ModuleType, model: object) -> None:
    rows = _test_rows()
    # extra columns (id, label) are ignored and column order does not matter
    body = rows[list(reversed(rows.columns))].to_csv(index=False).encode()

    data = inference.input_fn(body, "text/csv; charset=utf-8")
    prediction = inference.predict_fn(data, model)
    payload, content_type = inference.output_fn(prediction, "application/json")

    assert content_type == "application/json"
    scores = json.loads(payload)["predictions"]
    assert len(scores) == 5
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert [round(s) for s in scores] == rows["diagnosis"].tolist()


def test_csv_without_header_uses_the_feature_order(inference: ModuleType, model: object) -> None:
    rows = _test_rows()
    with_header = inference.predict_fn(inference.input_fn(rows.to_csv(index=False), "text/csv"), model)
    features = rows[model.features]  # type: ignore[attr-defined]
    body = features.to_csv(index=False, header=False)

    prediction = inference.predict_fn(inference.input_fn(body, "text/csv"), model)
    payload, content_type = inference.output_fn(prediction, "text/csv")

    assert content_type == "text/csv"
    assert np.allclose([float(line) for line in payload.splitlines()], with_header)


def test_json_records_and_instances(inference: ModuleType, model: object) -> None:
    rows = _test_rows(3)
    records = json.loads(rows.to_json(orient="records"))
    expected = inference.predict_fn(inference.input_fn(rows.to_csv(index=False), "text/csv"), model)

    as_list = inference.predict_fn(inference.input_fn(json.dumps(records), "application/json"), model)
    as_instances = inference.predict_fn(
        inference.input_fn(json.dumps({"instances": records}), "application/json"), model
    )
    as_one = inference.predict_fn(inference.input_fn(json.dumps(records[0]), "application/json"), model)

    assert np.allclose(as_list, expected)
    assert np.allclose(as_instances, expected)
    assert np.allclose(as_one, expected[:1])


def test_default_accept_is_json(inference: ModuleType) -> None:
    payload, content_type = inference.output_fn(np.array([0.25]), "*/*")
    assert content_type == "application/json"
    assert json.loads(payload) == {"predictions": [0.25]}


def test_unsupported_formats_are_rejected(inference: ModuleType) -> None:
    with pytest.raises(inference.UnsupportedFormatError):
        inference.input_fn(b"x", "application/x-npy")
    with pytest.raises(inference.UnsupportedFormatError):
        inference.output_fn(np.array([0.5]), "application/xml")


def test_bad_input_is_rejected(inference: ModuleType, model: object) -> None:
    with pytest.raises(inference.InvalidInputError):
        inference.predict_fn(inference.input_fn('[{"mean_radius": 1.0}]', "application/json"), model)
    with pytest.raises(inference.InvalidInputError):
        inference.predict_fn(inference.input_fn("1,2,3\n", "text/csv"), model)
    with pytest.raises(inference.InvalidInputError):
        inference.input_fn("not json", "application/json")


def test_batch_rows_are_named_by_the_layout_the_job_names(
    inference: ModuleType, model: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split by line, only the first request carries the header; later ones hold whole input
    rows (key, target and all), named by MLOPS_INPUT_COLUMNS."""
    rows = _test_rows(6)
    monkeypatch.setenv(inference.INPUT_COLUMNS_ENV, json.dumps(list(rows.columns)))
    whole = inference.predict_fn(inference.input_fn(rows.to_csv(index=False), "text/csv"), model)
    first = rows.head(2).to_csv(index=False)
    rest = rows.iloc[2:].to_csv(index=False, header=False)

    parts = [inference.predict_fn(inference.input_fn(body, "text/csv"), model) for body in (first, rest)]

    assert np.allclose(np.concatenate(parts), whole)
    header_only = inference.input_fn(",".join(rows.columns) + "\n", "text/csv")
    assert len(inference.predict_fn(header_only, model)) == 0  # the header yields no prediction
    with pytest.raises(inference.InvalidInputError, match="values per row"):
        inference.input_fn(rows.drop(columns=["diagnosis"]).to_csv(index=False, header=False), "text/csv")


def test_parquet_bodies(inference: ModuleType, model: object) -> None:
    import io

    rows = _test_rows(4)
    body = io.BytesIO()
    rows.to_parquet(body, index=False)
    prediction = inference.predict_fn(inference.input_fn(body.getvalue(), "application/x-parquet"), model)
    assert [round(p) for p in prediction] == rows["diagnosis"].tolist()
    with pytest.raises(inference.InvalidInputError, match="Parquet"):
        inference.input_fn(b"not parquet", "application/x-parquet")
