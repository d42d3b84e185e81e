"""The overview page as one self-contained HTML file (inline CSS and SVG, no scripts).

Every string from data or config goes through `html.escape`."""

from __future__ import annotations

from html import escape

from mlops.overview.charts import Chart, Point, Series
from mlops.overview.charts import render as chart
from mlops.overview.models import DatasetOverview, Overview
from mlops.pipeline.records import RunRecord
from mlops.serving.models import DeploymentRecord

GOOD, BAD, WARN, MUTED, ACCENT = "#2e8b57", "#c0392b", "#e0863a", "#8a8a8a", "#5b7db8"
OUTCOME_COLORS = {
    "registered": GOOD,
    "deployed": GOOD,
    "ok": GOOD,
    "no_drift": GOOD,
    "rejected": WARN,
    "rolled_back": WARN,
    "unchanged": MUTED,
    "in_progress": ACCENT,
    "insufficient_data": MUTED,
    "failed": BAD,
    "drifted": BAD,
}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:24px;margin:0 0 2px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #222}
h3{font-size:14px;margin:0 0 4px}.meta{color:#555}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:140px}
.kpi b{display:block;font-size:20px}.kpi span{color:#666;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(660px,1fr));gap:16px}
.chart{border:1px solid #ddd;border-radius:6px;padding:10px 12px}.chart.empty p{color:#888}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;color:#fff;font-size:12px;white-space:nowrap}
.problem{color:#c0392b}.legend{margin:2px 0 0;font-size:12px;color:#444}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:5px}
svg text{font-size:10px;fill:#444}
"""


def _badge(status: str) -> str:
    color = OUTCOME_COLORS.get(status, MUTED)
    return f'<span class="badge" style="background:{color}">{escape(status.replace("_", " "))}</span>'


def _num(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def _time(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def render(overview: Overview) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(overview.project)} / {escape(overview.environment)}: platform overview</title>",
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(overview.project)} <small>/ {escape(overview.environment)}</small></h1>",
        f'<div class="meta">platform overview, generated {_time(overview.generated_at)} UTC; quality gate on '
        f"<b>{escape(overview.gate_metric)}</b> ({escape(overview.gate_direction)})</div>",
    ]
    if not overview.datasets:
        parts.append("<p>No datasets are configured.</p>")
    parts += [_dataset(overview, d) for d in overview.datasets]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _dataset(overview: Overview, d: DatasetOverview) -> str:
    metric = overview.gate_metric
    latest_drift = d.drift_checks[-1] if d.drift_checks else None
    rollbacks = sum(1 for r in d.deployments if r.status == "rolled_back" or r.trigger == "rollback")
    kpis = [
        ("data versions", str(len(d.data_versions))),
        ("training runs", str(len(d.runs))),
        ("model versions", str(len(d.models))),
        ("serving", f"v{d.serving.model_version}" if d.serving else "nothing"),
        ("deployments / rollbacks", f"{len(d.deployments)} / {rollbacks}"),
        ("last drift check", latest_drift.verdict.replace("_", " ") if latest_drift else "none yet"),
    ]
    out = [
        f'<section id="dataset-{escape(d.name)}"><h2>{escape(d.name)}</h2>',
        '<div class="kpis">'
        + "".join(f'<div class="kpi"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for k, v in kpis)
        + "</div>",
    ]
    out += [f'<p class="problem">{escape(p)}</p>' for p in d.problems]
    out.append('<div class="grid">')
    out.append(chart(_training_chart(d.runs, metric)))
    out.append(chart(_deployment_chart(d.deployments)))
    out.append(chart(_drift_chart(d)))
    out.append(chart(_quality_chart(d)))
    out.append("</div>")
    out.append(_data_versions_table(d))
    out.append(_leaderboard_table(d.runs, metric))
    out.append(_models_table(d, metric))
    out.append(_deployments_table(d.deployments))
    out.append(_drift_table(d))
    out.append("</section>")
    return "\n".join(out)


def _training_chart(runs: list[RunRecord], metric: str) -> Chart:
    points = [
        Point(
            r.started_at,
            r.metrics[metric],
            OUTCOME_COLORS.get(r.outcome, MUTED),
            f"{r.execution_name}: {metric} {r.metrics[metric]:.4g}, {r.outcome}",
        )
        for r in runs
        if metric in r.metrics
    ]
    return Chart(
        title=f"training runs: {metric} (green registered, orange rejected by the gate)",
        series=[Series(metric, ACCENT, points)],
    )


def _deployment_chart(deployments: list[DeploymentRecord]) -> Chart:
    serving: list[Point] = []
    attempts: list[Point] = []
    for r in deployments:
        at = r.finished_at or r.started_at
        tip = f"{r.deployment_id}: v{r.model_version} {r.status}" + (f" ({r.reason})" if r.reason else "")
        attempts.append(Point(at, r.model_version, OUTCOME_COLORS.get(r.status, MUTED), tip))
        if r.status == "deployed":
            serving.append(Point(at, r.model_version, GOOD, tip))
    return Chart(
        title="deployments: the version serving over time (orange: rolled back, red: failed)",
        series=[Series("serving", GOOD, serving, step=True), Series("attempts", MUTED, attempts, line=False)],
        integer_axis=True,
    )


def _drift_chart(d: DatasetOverview) -> Chart:
    points = [
        Point(
            c.checked_at, c.drifted_share, OUTCOME_COLORS.get(c.verdict, MUTED), f"{c.verdict}: {c.drifted_share:.0%}"
        )
        for c in d.drift_checks
        if c.drifted_share is not None
    ]
    return Chart(
        title="drift: share of drifted features per check",
        series=[Series("drifted share", WARN, points)],
        value_format="{:.0%}",
    )


def _quality_chart(d: DatasetOverview) -> Chart:
    points = [
        Point(c.checked_at, c.quality_value, ACCENT, f"{c.quality_metric} {c.quality_value:.4g}")
        for c in d.drift_checks
        if c.quality_value is not None
    ]
    name = next((c.quality_metric for c in d.drift_checks if c.quality_metric), None) or "model quality"
    return Chart(title=f"model quality on labelled traffic: {name}", series=[Series(name, ACCENT, points)])


def _table(head: list[str], rows: list[list[str]], *, title: str, numeric: set[int] | None = None) -> str:
    if not rows:
        return f"<h3>{escape(title)}</h3><p class=meta>none yet</p>"
    numeric = numeric or set()
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<h3>{escape(title)}</h3><table><tr>{cells}</tr>{body}</table>"


def _data_versions_table(d: DatasetOverview) -> str:
    rows = [
        [
            escape(v.name),
            f"{v.rows:,}",
            f"{v.objects:,}",
            f"{v.bytes / 1e6:.2f}",
            _time(v.created_at),
            escape(v.created_by),
            f"<code>{escape(v.version_id[:12])}</code>",
        ]
        for v in sorted(d.data_versions, key=lambda v: v.sequence, reverse=True)
    ]
    return _table(
        ["version", "rows", "objects", "MB", "created", "by", "content id"],
        rows,
        title="data versions",
        numeric={1, 2, 3},
    )


def _leaderboard_table(runs: list[RunRecord], metric: str) -> str:
    rows = [
        [
            str(i),
            escape(r.execution_name),
            escape(r.data_version or "-"),
            _badge(r.outcome),
            _num(r.metrics.get(metric)),
            "-" if r.cost_usd is None else f"{r.cost_usd:.4f}",
            escape(r.gate.reason or r.error or ""),
        ]
        for i, r in enumerate(runs, 1)
    ]
    return _table(
        ["#", "run", "data", "outcome", metric, "cost $", "gate decision / error"],
        rows,
        title=f"training leaderboard (best {metric} first)",
        numeric={0, 4, 5},
    )


def _models_table(d: DatasetOverview, metric: str) -> str:
    serving = d.serving.model_version if d.serving else None
    rows = [
        [
            f"v{m.version}",
            _badge("deployed") + " serving" if m.version == serving else "",
            escape(m.approval_status),
            _num(m.metrics.get(metric)),
            escape(m.data_version or "-"),
            _time(m.created_at),
        ]
        for m in sorted(d.models, key=lambda m: m.version, reverse=True)
    ]
    return _table(
        ["model", "", "approval", metric, "trained on", "registered"], rows, title="model versions", numeric={3}
    )


def _deployments_table(deployments: list[DeploymentRecord]) -> str:
    rows = [
        [
            _time(r.started_at),
            f"v{r.model_version}" + (f" (from v{r.previous_model_version})" if r.previous_model_version else ""),
            _badge(r.status),
            escape(r.strategy),
            escape(f"{r.trigger}: {r.triggered_by}"),
            escape(r.reason or ""),
        ]
        for r in reversed(deployments)
    ]
    return _table(
        ["started", "version", "outcome", "strategy", "triggered by", "reason"],
        rows,
        title="deployment history (newest first)",
    )


def _drift_table(d: DatasetOverview) -> str:
    rows = [
        [
            _time(c.checked_at),
            _badge(c.verdict),
            "-" if c.drifted_share is None else f"{c.drifted_share:.0%}",
            escape(", ".join(c.drifted_features) or "-"),
            "-" if c.quality_value is None else f"{escape(c.quality_metric or '')} {c.quality_value:.4g}",
            escape(c.report_uri or ""),
        ]
        for c in reversed(d.drift_checks[-20:])
    ]
    return _table(
        ["checked", "verdict", "drifted", "drifted features", "model quality", "report"],
        rows,
        title="drift checks (newest first)",
    )
