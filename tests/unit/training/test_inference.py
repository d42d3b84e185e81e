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
