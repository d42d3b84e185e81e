"""report.html of a scheduled check: the drift report page (mlops/drift/report_html.py) with the
check's window, what was read from the capture, and the model quality on labelled traffic
above the feature table. Self-contained; every data string is escaped."""

from __future__ import annotations

from html import escape

from mlops.drift.report_html import render
from mlops.monitoring.models import MonitoringReport

QUALITY_COLORS = {"ok": "#2e8b57", "degraded": "#c0392b", "insufficient_data": "#8a8a8a"}


def _when(report: MonitoringReport) -> str:
    start = f"{report.window_start:%Y-%m-%d %H:%M:%S}" if report.window_start else "the first capture"
    return f"{start} to {report.window_end:%Y-%m-%d %H:%M:%S} UTC"


def sections(report: MonitoringReport) -> str:
    capture = report.capture
    parts = [
        f'<div class="meta">check <b>{escape(report.check_id)}</b> of endpoint <b>{escape(report.endpoint)}</b>'
        f"{f' (model version {report.model_version})' if report.model_version else ''}: capture stored from "
        f"{escape(_when(report))}; {capture.files:,} file(s), {capture.records:,} record(s), {capture.rows:,} row(s), "
        f"{capture.malformed:,} unreadable record(s) skipped"
        f"{f', {capture.earlier_model:,} of an earlier model skipped' if capture.earlier_model else ''}</div>"
    ]
    if capture.problems:
        items = "".join(f"<li>{escape(problem)}</li>" for problem in capture.problems)
        parts.append(f"<details><summary>unreadable records</summary><ul>{items}</ul></details>")
    q = report.quality
    if q is not None:
        value = "-" if q.value is None else f"{q.value:.4f}"
        baseline = "-" if q.baseline is None else f"{q.baseline:.4f}"
        parts.append(
            f'<h2>Model quality <span class="badge" style="background:{QUALITY_COLORS[q.verdict]}">'
            f"{escape(q.verdict.replace('_', ' '))}</span></h2>"
            f"<p>{escape(q.metric)} on {q.labelled:,} labelled of {q.predictions:,} captured prediction(s): "
            f"<b>{value}</b> (evaluation: {baseline}). {escape(q.reason)}</p>"
        )
        if q.metrics:
            cells = "".join(f"<td>{escape(k)} {v:.4f}</td>" for k, v in sorted(q.metrics.items()))
            parts.append(f"<table><tr>{cells}</tr></table>")
    if report.alerts:
        parts.append(f"<p>alerts published: <b>{escape(', '.join(report.alerts))}</b></p>")
    return "".join(parts)


def render_report(report: MonitoringReport) -> str:
    return render(report.drift, sections=sections(report))
