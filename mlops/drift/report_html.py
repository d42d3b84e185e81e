"""The drift report as one self-contained HTML file: inline CSS and SVG, no scripts, no fonts
or images from anywhere, so it opens offline and from an S3 download as it is.

Every string that comes from data or config (feature names, category values, reasons) goes
through `html.escape`: a category named `<script>` is shown, never run."""

from __future__ import annotations

from html import escape

from mlops.drift.models import DriftReport, FeatureDrift

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM = 560, 150, 40, 34
REFERENCE_COLOR, CURRENT_COLOR = "#5b7db8", "#e0863a"
STATUS_COLORS = {
    "drifted": "#c0392b",
    "missing": "#c0392b",
    "ok": "#2e8b57",
    "insufficient_data": "#8a8a8a",
    "skipped": "#8a8a8a",
}

CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0}
.meta{color:#555;margin-bottom:16px}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff;font-weight:600;font-size:16px}
table{border-collapse:collapse;margin:12px 0 24px;font-size:13px}
td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;color:#fff;font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:16px}
.card{border:1px solid #ddd;border-radius:6px;padding:12px 16px}
.card p{margin:4px 0}.stats{color:#444;font-size:13px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
svg text{font-size:10px;fill:#444}
"""


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 1e-3 and value != 0 else f"{value:.4g}"


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{STATUS_COLORS[status]}">{escape(status)}</span>'


def render(report: DriftReport, *, sections: str = "") -> str:
    """The report page; `sections`: already-escaped HTML shown above the feature table (the
    scheduled check adds its window, capture and model-quality sections there)."""
    verdict_color = STATUS_COLORS["drifted" if report.verdict == "drifted" else report.verdict]
    counts = report.counts
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Drift report: {escape(report.dataset)}</title>",
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<style>{CSS}</style></head><body>",
        f"<h1>Drift report: {escape(report.dataset)}</h1>",
        f'<div class="meta">baseline <b>{escape(report.baseline)}</b> ({report.reference_rows:,} rows) vs current '
        f"<b>{escape(report.current)}</b> ({report.current_rows:,} rows)</div>",
        f'<p><span class="verdict" style="background:{verdict_color}">{escape(report.verdict.replace("_", " "))}'
        f"</span> {counts.drifted} of {counts.drifted + counts.ok} compared features drifted "
        f"({report.drifted_share:.0%}; the dataset drifts at {report.drifted_share_threshold:.0%}). "
        f"{counts.missing} missing, {counts.insufficient_data} with insufficient data, {counts.skipped} skipped.</p>",
        sections,
        _summary_table(report),
    ]
    parts.append('<div class="cards">')
    parts += [_card(feature) for feature in report.features]
    parts.append("</div></body></html>")
    return "\n".join(parts) + "\n"


def _summary_table(report: DriftReport) -> str:
    rows = [
        "<table><tr><th>feature</th><th>status</th><th>method</th><th>score</th><th>threshold</th><th>why</th></tr>"
    ]
    for f in report.features:
        rows.append(
            f'<tr><td><a href="#f-{_anchor(f.feature)}">{escape(f.feature)}</a></td><td>{_badge(f.status)}</td>'
            f"<td>{escape(str(f.method or '-'))}</td><td class=num>{_number(f.score)}</td>"
            f"<td class=num>{_number(f.threshold)}</td><td>{escape(f.reason)}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _anchor(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else f".{ord(c):x}" for c in name)


def _card(feature: FeatureDrift) -> str:
    head = (
        f'<div class="card" id="f-{_anchor(feature.feature)}"><h2>{escape(feature.feature)} {_badge(feature.status)}'
        f' <small style="font-weight:normal;color:#666">{escape(feature.kind)}</small></h2>'
        f"<p>{escape(feature.reason)}</p>"
    )
    body = [head]
    if feature.distribution is not None:
        body.append(_chart(feature))
        body.append(
            f'<p class="legend"><span style="background:{REFERENCE_COLOR}"></span>baseline '
            f'<span style="background:{CURRENT_COLOR};opacity:.7"></span>current (share of non-missing values)</p>'
        )
    body.append(f'<p class="stats">{_statistics(feature)}</p></div>')
    return "".join(body)


def _statistics(feature: FeatureDrift) -> str:
    items = [f"values {feature.reference_count:,} / {feature.current_count:,}"]
    if feature.reference_missing_share is not None or feature.current_missing_share is not None:
        items.append(f"missing {_number(feature.reference_missing_share)} / {_number(feature.current_missing_share)}")
    if feature.numeric is not None:
        n = feature.numeric
        items += [
            f"mean {_number(n.mean[0])} / {_number(n.mean[1])}",
            f"std {_number(n.std[0])} / {_number(n.std[1])}",
            f"PSI {_number(n.psi)}{'' if n.psi_exact else ' (bins from the sketch)'}",
            f"KS D {_number(n.ks_statistic)} (+{_number(n.ks_error_bound)}), p {_number(n.ks_p_value)}",
            f"Wasserstein/std {_number(n.wasserstein)} (&plusmn;{_number(n.wasserstein_error_bound)})",
        ]
    if feature.categorical is not None:
        c = feature.categorical
        items += [
            f"chi-square {_number(c.chi2_statistic)} on {c.chi2_dof} dof, p {_number(c.chi2_p_value)}",
            f"Jensen-Shannon {_number(c.jensen_shannon)}",
            f"largest share change {_number(c.max_share_change)}",
        ]
        if c.new_categories:
            shown = ", ".join(escape(repr(v)) for v in c.new_categories)
            items.append(f"new values ({c.new_share:.2%} of current): {shown}")
        if c.vanished_categories:
            items.append("vanished: " + ", ".join(escape(repr(v)) for v in c.vanished_categories))
    return " &middot; ".join(items)


def _chart(feature: FeatureDrift) -> str:
    """Both distributions as bars over the same bins, the current one drawn over the baseline."""
    dist = feature.distribution
    assert dist is not None
    bins = len(dist.labels)
    peak = max([*dist.reference, *dist.current, 1e-12])
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - 8
    step = plot_w / max(bins, 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(feature.feature)}: baseline and current distributions">',
        f'<line x1="{PAD_LEFT}" y1="{8 + plot_h}" x2="{WIDTH - 8}" y2="{8 + plot_h}" stroke="#999"/>',
        f'<text x="{PAD_LEFT - 4}" y="14" text-anchor="end">{peak:.0%}</text>',
        f'<text x="{PAD_LEFT - 4}" y="{8 + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (ref, cur) in enumerate(zip(dist.reference, dist.current, strict=True)):
        x = PAD_LEFT + i * step
        for share, color, inset, opacity in ((ref, REFERENCE_COLOR, 0.08, 1.0), (cur, CURRENT_COLOR, 0.3, 0.7)):
            h = plot_h * share / peak
            out.append(
                f'<rect x="{x + step * inset:.1f}" y="{8 + plot_h - h:.1f}" width="{step * (1 - 2 * inset):.1f}" '
                f'height="{h:.1f}" fill="{color}" fill-opacity="{opacity}"/>'
            )
    base_y = HEIGHT - PAD_BOTTOM + 14
    if dist.edges is not None:
        # numeric: a few edge values under their positions (bin 0 is the underflow bin)
        edges = dist.edges
        for j in sorted({0, len(edges) // 4, len(edges) // 2, 3 * len(edges) // 4, len(edges) - 1}):
            out.append(
                f'<text x="{PAD_LEFT + (j + 1) * step:.1f}" y="{base_y}" text-anchor="middle">{edges[j]:.4g}</text>'
            )
    else:
        for i, label in enumerate(dist.labels):
            short = label if len(label) <= 12 else label[:11] + "…"
            x = PAD_LEFT + (i + 0.5) * step
            out.append(
                f'<text x="{x:.1f}" y="{base_y - 4}" text-anchor="end" transform="rotate(-25 {x:.1f} {base_y - 4})">'
                f"{escape(short)}</text>"
            )
    out.append("</svg>")
    return "".join(out)
