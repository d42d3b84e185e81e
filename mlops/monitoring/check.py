"""One drift and model-quality check of a dataset's endpoint.

The window: capture files stored after the dataset's watermark (the previous scheduled check's
end) up to a second before now. Files are streamed record by record into the drift engine's
summaries (accumulate.py), never concatenated; predictions are kept only where a label exists.
A check judges the model that serves: records inferred before it began serving (the
ServingPointer's `since`) are an earlier model's predictions, judged against another model's
evaluation and training data, and are counted and skipped.

The baseline: the profile of the data version the serving model was trained on (the
ServingPointer), else of the newest data version; `--baseline vN` overrides it. Quality is
judged against the serving model's evaluation (its package's `metrics`), else the champion's.

`evaluate` computes the report and touches nothing. `CheckRunner.run` (the scheduled Lambda)
then stores report.json and report.html, puts the CloudWatch metrics, records the check,
publishes DriftDetected / ModelQualityDegraded, and advances the watermark last, so a check that
fails halfway is simply repeated over the same window by the next one.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlops import layout, names
from mlops.adapters.events import DomainEventPublisher
from mlops.adapters.s3 import ObjectStore
from mlops.config import ProjectConfig
from mlops.drift import DriftPolicy, check
from mlops.drift.sources import version_profile
from mlops.monitoring import capture as capture_records
from mlops.monitoring import metrics, quality
from mlops.monitoring.accumulate import SummaryAccumulator
from mlops.monitoring.adapters import CaptureStore, LabelStore, MetricsPublisher, ReportStore, ServingLookup
from mlops.monitoring.labels import prediction_key
from mlops.monitoring.models import (
    DRIFT_DETECTED,
    MODEL_QUALITY_DEGRADED,
    AlertDetail,
    AlertType,
    CaptureSummary,
    CheckRecord,
    MonitoringReport,
    Watermark,
)
from mlops.monitoring.records import MonitorRecords
from mlops.monitoring.report_html import render_report
from mlops.registry.data_versions import DataVersionRegistry
from mlops.serving import naming

TARGET_NOT_CAPTURED = "the target: requests to the endpoint carry features only"


@dataclass(frozen=True)
class CheckSources:
    config: ProjectConfig
    registry: DataVersionRegistry
    store: ObjectStore
    capture: CaptureStore
    labels: LabelStore
    serving: ServingLookup
    records: MonitorRecords


def window_end(now: datetime) -> datetime:
    """A second before now, whole seconds: every file S3 stamped up to it is listed already."""
    return now.replace(microsecond=0) - timedelta(seconds=1)


def evaluate(
    sources: CheckSources, dataset: str, *, now: datetime, baseline: str | None = None
) -> tuple[MonitoringReport, Watermark | None]:
    config = sources.config
    spec = config.datasets[dataset]
    endpoint = naming.endpoint(config.prefix, dataset)
    previous = sources.records.watermark(dataset)
    start, end = (previous.until if previous else None), window_end(now)
    pointer = sources.serving.pointer(dataset)
    reference = version_profile(
        sources.registry, sources.store, dataset, baseline or (pointer.data_version if pointer else None) or "latest"
    )

    labels, _unreadable = sources.labels.load(dataset)
    features = capture_records.feature_columns(spec)
    accumulator = SummaryAccumulator(reference.profile, features)
    tally = capture_records.CaptureTally()
    predicted: dict[str, float] = {}
    predictions = 0
    serving_since = pointer.since if pointer else None
    for item in sources.capture.window(endpoint, start, end):
        lines = sources.capture.lines(item.key)
        for invocation in capture_records.parse_lines(item.key, lines, features, tally, not_before=serving_since):
            accumulator.add(invocation.rows)
            predictions += len(invocation.predictions)
            for row, score in enumerate(invocation.predictions):
                key = prediction_key(invocation.join_key, row)
                if key in labels:
                    predicted[key] = score
    since = f"{start:%Y-%m-%d %H:%M:%S}" if start else "the first capture"
    window = f"{endpoint} capture from {since} to {end:%Y-%m-%d %H:%M:%S}"
    policy = DriftPolicy.for_dataset(config.drift, spec)
    # an endpoint is sent features only: the target is never in the capture
    policy = dataclasses.replace(policy, excluded=policy.excluded | {spec.target: TARGET_NOT_CAPTURED})
    drift = check(
        reference.profile,
        accumulator.result(),
        policy,
        dataset=dataset,
        baseline=reference.name,
        current=window,
    )

    package_arn: str | None = None
    baseline_metrics: dict[str, float] = {}
    if pointer is not None:
        package_arn, baseline_metrics = (
            pointer.model_package_arn,
            sources.serving.package_metrics(pointer.model_package_arn),
        )
    else:
        champion = sources.serving.champion(names.model_package_group(config, dataset))
        if champion is not None:
            package_arn, baseline_metrics = champion
    gate = config.quality_gate
    truth, scores = quality.join(predicted, labels)
    assessed = quality.assess(
        truth,
        scores,
        metric=gate.metric,
        direction=gate.direction,
        baseline=baseline_metrics.get(gate.metric),
        tolerance=config.drift.quality_tolerance,
        min_labels=config.drift.min_labels,
        predictions=predictions,
        threshold=config.drift.decision_threshold,
        model_package_arn=package_arn,
    )
    alerts: list[AlertType] = []
    if drift.verdict == "drifted":
        alerts.append(DRIFT_DETECTED)
    if assessed.verdict == "degraded":
        alerts.append(MODEL_QUALITY_DEGRADED)
    report = MonitoringReport(
        check_id=f"{now:{layout.REPORT_STAMP_FORMAT}}-{secrets.token_hex(3)}",
        dataset=dataset,
        endpoint=endpoint,
        checked_at=now,
        window_start=start,
        window_end=end,
        model_version=pointer.model_version if pointer else None,
        model_package_arn=package_arn,
        capture=CaptureSummary(
            files=tally.files,
            records=tally.records,
            rows=tally.rows,
            malformed=tally.malformed,
            earlier_model=tally.earlier_model,
            problems=[f"{p.file} line {p.line}: {p.reason}" for p in tally.problems],
        ),
        drift=drift,
        quality=assessed,
        alerts=alerts,
    )
    return report, previous


@dataclass(frozen=True)
class CheckRunner:
    sources: CheckSources
    reports: ReportStore
    metrics: MetricsPublisher
    events: DomainEventPublisher

    def run(self, dataset: str, *, now: datetime) -> CheckRecord:
        report, previous = evaluate(self.sources, dataset, now=now)
        prefix = layout.drift_report_prefix(dataset, now)
        report_uri = self.reports.put(f"{prefix}report.json", report.model_dump_json(indent=2), "application/json")
        html_uri = self.reports.put(f"{prefix}report.html", render_report(report), "text/html; charset=utf-8")
        self.metrics.put(metrics.metric_data(report, now=now))
        record = check_record(report, report_uri=report_uri, html_uri=html_uri)
        self.sources.records.put_check(record)
        for alert in report.alerts:
            self.events.publish(alert, alert_detail(report, report_uri).model_dump(mode="json"))
        self.sources.records.advance_watermark(
            Watermark(dataset=dataset, until=report.window_end, check_id=report.check_id), previous
        )
        return record


def drifted_features(report: MonitoringReport) -> list[str]:
    return [f.feature for f in report.drift.features if f.status == "drifted"]


def check_record(report: MonitoringReport, *, report_uri: str, html_uri: str) -> CheckRecord:
    q = report.quality
    return CheckRecord(
        check_id=report.check_id,
        dataset=report.dataset,
        endpoint=report.endpoint,
        checked_at=report.checked_at,
        window_start=report.window_start,
        window_end=report.window_end,
        baseline=report.drift.baseline,
        model_version=report.model_version,
        verdict=report.drift.verdict,
        drifted_share=report.drift.drifted_share,
        drifted_features=drifted_features(report),
        captured_rows=report.capture.rows,
        malformed_records=report.capture.malformed,
        quality_verdict=q.verdict if q else None,
        quality_metric=q.metric if q else None,
        quality_value=q.value if q else None,
        quality_baseline=q.baseline if q else None,
        alerts=report.alerts,
        report_uri=report_uri,
        html_uri=html_uri,
    )


def alert_detail(report: MonitoringReport, report_uri: str) -> AlertDetail:
    q = report.quality
    extra: dict[str, Any] = {}
    if q is not None:
        extra = {
            "quality_metric": q.metric,
            "quality_value": q.value,
            "quality_baseline": q.baseline,
            "quality_drop": q.drop,
        }
    return AlertDetail(
        dataset=report.dataset,
        endpoint=report.endpoint,
        check_id=report.check_id,
        checked_at=report.checked_at,
        report_uri=report_uri,
        baseline=report.drift.baseline,
        drifted_share=report.drift.drifted_share,
        drifted_features=drifted_features(report),
        **extra,
    )
