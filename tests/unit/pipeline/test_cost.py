import datetime as dt

import pytest

from mlops.pipeline import PRICED_AT, UnknownInstanceTypeError, estimate
from mlops.pipeline.cost import TRAINING_PRICES_USD_PER_HOUR

REQUIRED = [
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.c5.xlarge",
    "ml.g4dn.xlarge",
    "ml.g5.xlarge",
    "ml.g5.2xlarge",
    "ml.p3.2xlarge",
]


def test_the_table_prices_the_instance_types_we_use() -> None:
    for instance_type in REQUIRED:
        assert TRAINING_PRICES_USD_PER_HOUR[instance_type] > 0
    assert isinstance(PRICED_AT, dt.date)


def test_on_demand_job_costs_its_billable_time() -> None:
    cost = estimate("ml.m5.xlarge", 1, 3600, 3600, spot=False)
    assert cost.price_per_hour == TRAINING_PRICES_USD_PER_HOUR["ml.m5.xlarge"]
    assert cost.on_demand_usd == pytest.approx(cost.price_per_hour)
    assert cost.actual_usd == pytest.approx(cost.price_per_hour)
    assert cost.spot_savings_usd == 0
    assert cost.priced_at == PRICED_AT


def test_spot_job_shows_its_savings() -> None:
    cost = estimate("ml.g5.xlarge", 2, 1800, 600, spot=True)
    hourly = TRAINING_PRICES_USD_PER_HOUR["ml.g5.xlarge"]
    assert cost.on_demand_usd == pytest.approx(hourly * 2 * 0.5)
    assert cost.actual_usd == pytest.approx(hourly * 2 / 6)
    assert cost.spot_savings_usd == pytest.approx(cost.on_demand_usd - cost.actual_usd)


def test_unknown_instance_type_is_a_typed_error() -> None:
    with pytest.raises(UnknownInstanceTypeError) as caught:
        estimate("ml.x99.huge", 1, 60, 60, spot=False)
    assert caught.value.instance_type == "ml.x99.huge"
    assert "ml.m5.large" in caught.value.known


@pytest.mark.parametrize(("count", "training", "billable"), [(0, 60, 60), (1, -1, 0), (1, 60, -5)])
def test_impossible_inputs_are_rejected(count: int, training: float, billable: float) -> None:
    with pytest.raises(ValueError):
        estimate("ml.m5.large", count, training, billable, spot=True)


def test_a_processing_job_is_billed_on_demand_for_the_time_it_ran() -> None:
    from mlops.pipeline.cost import PROCESSING_PRICES_USD_PER_HOUR, processing_estimate

    cost = processing_estimate("ml.m5.large", 1, 90)
    hourly = PROCESSING_PRICES_USD_PER_HOUR["ml.m5.large"]  # the evaluation step's instance type
    assert cost.price_per_hour == hourly
    assert cost.actual_usd == cost.on_demand_usd == pytest.approx(hourly * 90 / 3600)
    assert cost.spot_savings_usd == 0
    assert processing_estimate("ml.m5.large", 2, 90).actual_usd == pytest.approx(2 * cost.actual_usd)
    with pytest.raises(UnknownInstanceTypeError) as caught:
        processing_estimate("ml.x99.huge", 1, 60)
    assert "ml.m5.large" in caught.value.known
    with pytest.raises(ValueError):
        processing_estimate("ml.m5.large", 1, -1)
