"""The platform overview page in a real headless Chromium: self-contained, every section drawn,
charts present, hostile strings shown as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from mlops.overview.models import DatasetOverview, DriftCheck, ModelVersion, Overview
from mlops.overview.page import GOOD, WARN, render
from mlops.pipeline.records import GateSummary, RunRecord
from mlops.registry.data_versions import DataVersionRecord
from mlops.serving.models import DeploymentRecord, ServingPointer
from tests.integration.browser import headless
from tests.integration.png import decode

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _run(i: int, auc: float, outcome: str) -> RunRecord:
    return RunRecord(
        execution_arn=f"arn:aws:states:eu-west-1:123456789012:execution:p-training:run-{i}",
        execution_name=f"run-{i}",
        dataset="churn",
        outcome=outcome,
        started_at=T0 + timedelta(days=i),
        finished_at=T0 + timedelta(days=i, minutes=9),
        data_version=f"v{i}",
        code_version="abc123",
        metrics={"auc": auc},
        gate=GateSummary(passed=outcome == "registered", reason=f"auc {auc} vs champion"),
        instance_type="ml.g5.xlarge",
        instance_count=1,
        spot=True,
        cost_usd=0.0123 * i,
    )


def _deployment(i: int, version: int, status: str, reason: str | None = None) -> DeploymentRecord:
    return DeploymentRecord(
        deployment_id=f"deploy-{i}",
        dataset="churn",
        environment="dev",
        endpoint_name="p-dev-churn",
        model_version=version,
        model_package_arn=f"arn:aws:sagemaker:eu-west-1:123456789012:model-package/p-dev-churn/{version}",
        model_name=f"p-dev-churn-v{version}",
        endpoint_config_name=f"p-dev-churn-v{version}-0000000{i}",
        previous_model_version=version - 1 if version > 1 else None,
        strategy="canary",
        trigger="rollback" if reason == "manual" else "registration",
        triggered_by=HOSTILE if i == 2 else "pipeline",
        started_at=T0 + timedelta(days=i, hours=1),
        finished_at=T0 + timedelta(days=i, hours=1, minutes=12),
        status=status,
        reason=reason,
    )


@pytest.fixture(scope="module")
def overview() -> Overview:
    churn = DatasetOverview(
        name="churn",
        data_versions=[
            DataVersionRecord(
                dataset="churn",
                version_id=f"{i:064x}",
                manifest_uri=f"s3://data/versions/churn/{i}/manifest.json",
                schema_hash="s",
                rows=5000 * i,
                objects=1,
                bytes=400_000 * i,
                created_at=T0 + timedelta(days=i),
                created_by="alice",
                upload_id=f"u{i}",
                sequence=i,
            )
            for i in range(1, 5)
        ],
        runs=[
            _run(3, 0.91, "registered"),
            _run(1, 0.88, "registered"),
            _run(4, 0.80, "rejected"),
            _run(2, 0.5, "failed"),
        ],
        models=[
            ModelVersion(
                version=v,
                model_package_arn=f"arn:aws:sagemaker:eu-west-1:123456789012:model-package/p-dev-churn/{v}",
                approval_status="Approved",
                created_at=T0 + timedelta(days=v),
                metrics={"auc": 0.85 + v / 100},
                data_version=f"v{v}",
            )
            for v in (1, 2, 3)
        ],
        serving=ServingPointer(
            dataset="churn",
            endpoint_name="p-dev-churn",
            model_version=2,
            model_package_arn="arn:aws:sagemaker:eu-west-1:123456789012:model-package/p-dev-churn/2",
            endpoint_config_name="p-dev-churn-v2-00000004",
            deployment_id="deploy-4",
            since=T0 + timedelta(days=4),
        ),
        deployments=[
            _deployment(1, 1, "deployed"),
            _deployment(2, 2, "deployed"),
            _deployment(3, 3, "rolled_back", "alarm p-dev-churn-Invocation5XXErrors in ALARM"),
            _deployment(4, 2, "deployed", "manual"),
        ],
        drift_checks=[
            DriftCheck(
                checked_at=T0 + timedelta(days=i),
                verdict="drifted" if i == 3 else "no_drift",
                drifted_share=0.4 if i == 3 else 0.05 * i,
                drifted_features=[HOSTILE, "tenure"] if i == 3 else [],
                quality_metric="auc",
                quality_value=0.9 - 0.04 * i,
            )
            for i in range(1, 5)
        ],
    )
    empty = DatasetOverview(name="prices", problems=["the serving stack is not deployed"])
    return Overview(
        project="demo",
        environment="dev",
        generated_at=T0 + timedelta(days=5),
        gate_metric="auc",
        gate_direction="maximize",
        datasets=[churn, empty],
    )


@pytest.fixture(scope="module")
def page(overview: Overview, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("overview") / "index.html"
    path.write_text(render(overview), encoding="utf-8")
    return path


def test_the_page_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "<script" not in text.lower()


def test_chromium_draws_every_section_and_runs_nothing_from_the_data(page: Path) -> None:
    dom = headless("--dump-dom", page.as_uri()).stdout.decode()
    assert "<title>demo / dev: platform overview</title>" in dom  # the onerror handler never ran
    assert "<img" not in dom and "&lt;img src=x" in dom
    for heading in ("data versions", "training leaderboard", "model versions", "deployment history", "drift checks"):
        assert heading in dom
    churn = dom[dom.index('id="dataset-churn"') : dom.index('id="dataset-prices"')]
    assert churn.count("<svg") == 4  # training, deployments, drift, model quality
    assert churn.count("<circle") == 4 + 3 + 4 + 4 + 4  # scored runs, serving + attempts, drift, quality
    assert re.search(r"<b>v2</b><span>serving</span>", churn)
    assert "rolled back" in churn and "Invocation5XXErrors" in churn
    prices = dom[dom.index('id="dataset-prices"') :]
    assert "the serving stack is not deployed" in prices and "nothing recorded yet" in prices


def test_the_screenshot_shows_the_charts(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    headless(f"--screenshot={shot}", "--window-size=1400,1200", page.as_uri())
    image = decode(shot.read_bytes()).astype(np.int64)[:, :, :3]
    assert image.shape[:2] == (1200, 1400)
    assert (image.min(axis=2) < 230).mean() > 0.03

    def pixels_near(color: str) -> int:
        rgb = np.asarray([int(color[i : i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(image - rgb).sum(axis=2) < 40).sum())

    assert pixels_near(GOOD) > 300  # the serving line, registered runs, badges
    assert pixels_near(WARN) > 100  # the rejected run, the rollback, the drift line
