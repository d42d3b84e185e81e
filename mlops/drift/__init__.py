"""Drift: the current data against a data version's stored profile, never its rows.

`check_frame` / `check_profile` decide per feature and for the dataset (verdicts.py) from the
statistics of features.py and statistics.py, on summaries (summaries.py); `report_html.render`
draws the result."""

from mlops.drift.models import DriftInputError, DriftPolicy, DriftReport, FeatureDrift
from mlops.drift.verdicts import check, check_frame, check_profile

__all__ = ["DriftInputError", "DriftPolicy", "DriftReport", "FeatureDrift", "check", "check_frame", "check_profile"]
