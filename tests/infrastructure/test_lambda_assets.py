"""Lambda assets are built without Docker and import cleanly from a fresh directory."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.infrastructure.conftest import Synthesized


def function_assets(synth: Synthesized) -> dict[str, tuple[Path, str]]:
    """Function name -> its asset directory in the cloud assembly, and its handler."""
    assets: dict[str, tuple[Path, str]] = {}
    for stack in (synth.stacks.data, synth.stacks.pipeline, synth.stacks.serving, synth.stacks.monitoring):
        for resource in synth.template(stack).to_json()["Resources"].values():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            props = resource["Properties"]
            asset_hash = props["Code"]["S3Key"].removesuffix(".zip")
            assets[props["FunctionName"]] = (synth.outdir / f"asset.{asset_hash}", props["Handler"])
    return assets


def test_every_function_uses_one_runtime_architecture_and_the_managed_layers(dev: Synthesized) -> None:
    template = dev.template(dev.stacks.data).to_json()
    functions = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) >= 3
    assert {f["Runtime"] for f in functions} == {"python3.14"}
    assert {tuple(f["Architectures"]) for f in functions} == {(dev.config.lambdas.architecture,)}
    for f in functions:
        assert f["TracingConfig"] == {"Mode": "Active"}
        assert any("AWSLambdaPowertoolsPythonV3-python314" in json.dumps(layer) for layer in f["Layers"])
        assert "LoggingConfig" in f  # its own log group, with retention and KMS (see test_security)


def test_reserved_concurrency_comes_from_config(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        template = synth.template(synth.stacks.data).to_json()
        for r in template["Resources"].values():
            if r["Type"] == "AWS::Lambda::Function":
                assert r["Properties"].get("ReservedConcurrentExecutions") == synth.config.lambdas.reserved_concurrency


@pytest.mark.parametrize(
    "package",
    [
        "ingest_plan",
        "ingest_validate",
        "ingest_conclude",
        "pipeline_resolve",
        "pipeline_gate",
        "pipeline_register",
        "pipeline_record",
        "batch_resolve",
        "batch_record",
    ],
)
def test_asset_imports_its_handler_from_a_fresh_directory(dev: Synthesized, tmp_path: Path, package: str) -> None:
    name = f"{dev.config.prefix}-{package.replace('_', '-')}"
    asset_dir, handler = function_assets(dev)[name]
    fresh = tmp_path / "unpacked"
    shutil.copytree(asset_dir, fresh)
    assert not (fresh / "mlops" / "cli").exists(), "CLI code must not ship in Lambda assets"
    assert not (fresh / "mlops" / "local").exists(), "the local emulator must not ship in Lambda assets"
    module, _, attribute = handler.rpartition(".")
    probe = (
        "import sys, json, importlib; sys.path.insert(0, sys.argv[1]);"
        f"m = importlib.import_module({module!r}); assert callable(getattr(m, {attribute!r}));"
        "import mlops, mlops.runtime as r;"
        "c = r.packaged_config(sys.argv[1]);"
        "print(json.dumps({'mlops': mlops.__file__, 'project': c.project}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(fresh)],
        cwd=fresh,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true"},
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(loaded["mlops"]).is_relative_to(fresh), "imported mlops from the repo, not from the asset"
    assert loaded["project"] == dev.config.project


def test_registration_approval_comes_from_the_environment_config(dev: Synthesized, prod: Synthesized) -> None:
    """The register function reads `settings.model_approval` from the config packaged with it."""
    for synth, expected in ((dev, "Approved"), (prod, "PendingManualApproval")):
        asset_dir, _ = function_assets(synth)[f"{synth.config.prefix}-pipeline-register"]
        packaged = json.loads((asset_dir / "project_config.json").read_text())
        assert packaged["settings"]["model_approval"] == synth.config.settings.model_approval == expected
