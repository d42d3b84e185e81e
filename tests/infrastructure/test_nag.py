"""cdk-nag AwsSolutions runs on every stack and has nothing unacknowledged."""

import json
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk import aws_iam as iam

from mlops import config as config_module
from stacks import app_builder
from tests.infrastructure.conftest import Synthesized

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops.yaml"


def test_synth_has_no_unacknowledged_finding(dev: Synthesized, prod: Synthesized) -> None:
    # app.synth() in the fixtures raises on any finding; the report it writes must agree. A
    # missing report means the validation never ran, which is a failure, not a pass.
    for synth in (dev, prod):
        report = synth.outdir / "validation-report.json"
        assert report.is_file(), f"synth wrote no {report.name} in {synth.outdir}: cdk-nag did not run"
        body = json.loads(report.read_text())
        assert body["title"] == "Validation Report", body
        violations = [v for plugin in body["pluginReports"] for v in plugin["violations"]]
        assert violations == []


def test_a_new_finding_fails_synth(tmp_path: Path) -> None:
    """Proves the checks are really on: an over-broad grant must break synth."""
    app = App(outdir=str(tmp_path), context=app_builder.feature_flags())
    stacks = app_builder.build(app, config_module.load(EXAMPLE, "dev"))
    careless = iam.Role(stacks.data, "Careless", assumed_by=iam.AccountRootPrincipal())
    stacks.data.data_lake.grant_read_write(careless)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert any("IAM5" in rule for rule in rules), rules


def test_every_acknowledgement_carries_a_specific_reason(dev: Synthesized) -> None:
    acknowledged: list[tuple[str, str, str]] = []
    for metadata_file in dev.outdir.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    acknowledged.extend((path, rule, reason) for rule, reason in entry["data"].items())
    rules = {rule for _, rule, _ in acknowledged}
    assert any("AwsSolutions-S1" in rule for rule in rules)
    assert any("AwsSolutions-IAM5" in rule for rule in rules)
    for path, rule, reason in acknowledged:
        # names the resource (construct path) and says why in a sentence, not "ok" or "needed"
        assert path.count("/") >= 2, f"{rule} acknowledged on a whole stack: {path}"
        assert len(reason.split()) >= 6, f"{path} {rule}: reason too vague: {reason!r}"
