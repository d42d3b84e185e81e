"""The model role SageMaker endpoints run with can read what a registered model needs: its
artifact and exactly the inference code archive the model package names."""

import json
from typing import Any

from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.test_training_pipeline import states


def _statements(synth: Synthesized) -> list[dict[str, Any]]:
    template = synth.template(synth.stacks.serving)
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def _flatten(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_the_model_role_reads_exactly_the_registered_inference_code(dev: Synthesized) -> None:
    training = dev.stacks.pipeline.training
    code_key = dev.stacks.pipeline.resolve(training.source_dir.s3_object_key)
    assert isinstance(code_key, str) and code_key.endswith(".gz")
    # the register step writes this URL as the model package's SAGEMAKER_SUBMIT_DIRECTORY
    register = states(dev)["RegisterModel"]["Parameters"]
    payload = register.get("Payload", register)
    assert f"/{code_key}" in payload["source_dir_uri"]
    reading_code = [s for s in _statements(dev) if code_key in _flatten(s.get("Resource")) and s["Effect"] == "Allow"]
    [statement] = reading_code
    assert statement["Action"] == "s3:GetObject"
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    assert len(resources) == 1
    rendered = _flatten(resources[0])
    assert rendered.count(code_key) == 1 and "*" not in rendered.replace(code_key, "")
