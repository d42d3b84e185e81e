"""The HTML drift report in a real headless Chromium (the Debian package `chromium`, which
`./scripts/dev install` installs on CI): it renders offline, draws every feature, and shows
hostile category names as text instead of running them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest

from mlops.drift.models import DriftReport
from mlops.drift.report_html import CURRENT_COLOR, REFERENCE_COLOR, render
from tests.integration.browser import headless
from tests.integration.png import decode
from tests.unit.drift.helpers import dataset, profile_of, run_check

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"
NUMERIC_FEATURES = 25
CATEGORICAL_FEATURES = 5


@pytest.fixture(scope="module")
def report() -> DriftReport:
    rng = np.random.default_rng(0)
    rows = 5_000
    specs: dict[str, str] = {f"num_{i}": "float" for i in range(NUMERIC_FEATURES)}
    specs |= {f"cat_{i}": "category" for i in range(CATEGORICAL_FEATURES)}
    schema = dataset(**specs)
    reference = pd.DataFrame(
        {f"num_{i}": rng.gamma(2 + i % 4, 1 + i % 3, rows) for i in range(NUMERIC_FEATURES)}
        | {f"cat_{i}": rng.choice([f"v{j}" for j in range(10 + 10 * i)], rows) for i in range(CATEGORICAL_FEATURES)}
    )
    current = reference.sample(frac=1.0, random_state=1, ignore_index=True)
    current["num_0"] += 2.0
    current.loc[:400, "cat_1"] = HOSTILE
    return run_check(profile_of(reference, schema), current, schema, numeric_method="ks")


@pytest.fixture(scope="module")
def page(report: DriftReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "drift.html"
    path.write_text(render(report), encoding="utf-8")
    return path


def test_the_report_is_self_contained_and_small(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert len(text.encode()) <= 300 * 1024  # 30 features; Evidently's reports start at ~3.6 MB
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}  # an XML namespace name, never fetched
    assert "<script" not in text.lower()


def test_chromium_draws_every_feature_and_runs_nothing_from_the_data(page: Path, report: DriftReport) -> None:
    dom = headless("--dump-dom", page.as_uri()).stdout.decode()
    assert "<title>Drift report: test</title>" in dom  # the onerror handler never ran
    assert "<img" not in dom and "&lt;img src=x" in dom
    for feature in report.features:
        assert f'id="f-{feature.feature}"' in dom and f">{feature.feature}<" in dom
    assert dom.count("<svg") == len([f for f in report.features if f.distribution is not None]) == 30


def test_the_screenshot_is_not_blank_and_shows_both_distributions(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    headless(f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri())
    image = decode(shot.read_bytes()).astype(np.int64)[:, :, :3]
    assert image.shape[:2] == (1400, 1000)
    assert (image.min(axis=2) < 230).mean() > 0.03  # text, table and charts, not a white page

    def pixels_near(color: str) -> int:
        rgb = np.asarray([int(color[i : i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(image - rgb).sum(axis=2) < 40).sum())

    assert pixels_near(REFERENCE_COLOR) > 500  # the baseline's bars
    # the current bars are drawn at 70% opacity over white or over the baseline's bars
    blended = "#" + "".join(f"{round(0.7 * int(CURRENT_COLOR[i : i + 2], 16) + 0.3 * 255):02x}" for i in (1, 3, 5))
    assert pixels_near(blended) > 200
