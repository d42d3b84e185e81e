"""The local SageMaker plugin's pure parts: error names as Step Functions reports them, the
SDK's modelled errors, and the wait-scale setting (no server, no moto backend)."""

import botocore.session
import pytest

from mlops.local.plugins import clock
from mlops.local.plugins.sagemaker_step_functions import _MODELLED_ERRORS, step_functions_error


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("ResourceLimitExceeded", "SageMaker.ResourceLimitExceededException"),
        ("ResourceInUse", "SageMaker.ResourceInUseException"),
        ("ConflictException", "SageMaker.ConflictException"),
        ("ValidationException", "SageMaker.AmazonSageMakerException"),
        ("ThrottlingException", "SageMaker.AmazonSageMakerException"),
    ],
)
def test_sagemaker_api_errors_get_step_functions_names(code: str, name: str) -> None:
    assert step_functions_error(code) == name


def test_the_modelled_errors_are_the_sdks() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert {shape.name for shape in model.error_shapes} == _MODELLED_ERRORS


def test_wait_scale_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in (("", 0.02), ("1", 1.0), ("0.5", 0.5), ("7", 1.0), ("-1", 0.0), ("fast", 0.02)):
        monkeypatch.setenv("MLOPS_LOCAL_WAIT_SCALE", raw)
        assert clock.scale() == expected, raw
