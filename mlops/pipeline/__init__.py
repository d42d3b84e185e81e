"""The training pipeline's pure decisions: the quality gate and the cost estimate."""

from mlops.pipeline.cost import PRICED_AT, CostEstimate, estimate
from mlops.pipeline.errors import MissingMetricError, UnknownInstanceTypeError
from mlops.pipeline.gate import GateDecision, decide, metrics_from_evaluation

__all__ = [
    "PRICED_AT",
    "CostEstimate",
    "GateDecision",
    "MissingMetricError",
    "UnknownInstanceTypeError",
    "decide",
    "estimate",
    "metrics_from_evaluation",
]
