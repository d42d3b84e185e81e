"""Estimated cost of a run's SageMaker jobs: the training job from its billable seconds, the
evaluation (processing) job from the time it ran.

The price tables are dated snapshots of SageMaker *training* and *processing* on-demand list
prices in us-east-1 (USD per instance-hour), written from memory of the published list: an
estimate, not a bill. List price, check the AWS pricing page
(https://aws.amazon.com/sagemaker/pricing/) before relying on it, and update the tables and
`PRICED_AT` together.

Spot savings are what SageMaker's own numbers show: on-demand price of the training time minus
the price of the billable time. The local cloud does not simulate managed spot (billable time
equals training time there), so locally they are not known; the CLI says so.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from mlops.pipeline.errors import UnknownInstanceTypeError

PRICED_AT = dt.date(2026, 11, 22)
REGION = "us-east-1"

#: SageMaker training, on-demand, us-east-1, USD per instance-hour (list price, check the AWS pricing page)
TRAINING_PRICES_USD_PER_HOUR: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.g4dn.xlarge": 0.736,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.g5.4xlarge": 2.03,
    "ml.p3.2xlarge": 3.825,
}


#: SageMaker processing, on-demand, us-east-1, USD per instance-hour (list price, check the AWS pricing page)
PROCESSING_PRICES_USD_PER_HOUR: dict[str, float] = {
    "ml.t3.medium": 0.05,
    "ml.t3.large": 0.1,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
}


class CostEstimate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: what the job's training time would cost on demand
    on_demand_usd: float
    #: what the billable time costs (spot jobs are billed fewer seconds than they ran)
    actual_usd: float
    spot_savings_usd: float
    price_per_hour: float
    priced_at: dt.date


def price_per_hour(instance_type: str, *, processing: bool = False) -> float:
    table = PROCESSING_PRICES_USD_PER_HOUR if processing else TRAINING_PRICES_USD_PER_HOUR
    try:
        return table[instance_type]
    except KeyError as exc:
        raise UnknownInstanceTypeError(instance_type, table) from exc


def estimate(
    instance_type: str, instance_count: int, training_seconds: float, billable_seconds: float, spot: bool
) -> CostEstimate:
    """Cost of one training job. SageMaker's `BillableTimeInSeconds` is per instance, so both
    durations are multiplied by `instance_count`. Without spot, the billable time is the cost."""
    if instance_count < 1:
        raise ValueError(f"instance_count must be at least 1, got {instance_count}")
    if training_seconds < 0 or billable_seconds < 0:
        raise ValueError("durations must not be negative")
    hourly = price_per_hour(instance_type)
    on_demand = hourly * instance_count * training_seconds / 3600
    actual = hourly * instance_count * billable_seconds / 3600
    savings = max(0.0, on_demand - actual) if spot else 0.0
    return CostEstimate(
        on_demand_usd=round(on_demand, 6),
        actual_usd=round(actual, 6),
        spot_savings_usd=round(savings, 6),
        price_per_hour=hourly,
        priced_at=PRICED_AT,
    )


def processing_estimate(instance_type: str, instance_count: int, seconds: float) -> CostEstimate:
    """Cost of one processing job: billed on demand for every second it ran, per instance."""
    if instance_count < 1:
        raise ValueError(f"instance_count must be at least 1, got {instance_count}")
    if seconds < 0:
        raise ValueError("durations must not be negative")
    hourly = price_per_hour(instance_type, processing=True)
    cost = round(hourly * instance_count * seconds / 3600, 6)
    return CostEstimate(
        on_demand_usd=cost, actual_usd=cost, spot_savings_usd=0.0, price_per_hour=hourly, priced_at=PRICED_AT
    )
