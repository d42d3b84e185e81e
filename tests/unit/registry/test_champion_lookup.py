"""A champion lookup that fails must fail the run, never read as "no champion" (a regression
would then pass the gate). moto answers every ListModelPackages, so the registry's refusal is
played by botocore's own Stubber on a real client."""

import boto3
import pytest
from botocore.stub import Stubber

from mlops.registry.model_packages import ChampionLookupError, ModelPackages


@pytest.mark.parametrize("code", ["ValidationException", "AccessDeniedException", "ThrottlingException"])
def test_a_failed_lookup_is_an_error_not_the_absence_of_a_champion(code: str) -> None:
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("list_model_packages", service_error_code=code, http_status_code=400)
        with pytest.raises(ChampionLookupError, match=code) as raised:
            ModelPackages(client).champion("tumor-classifier-dev-breast-cancer")
    assert raised.value.error_name == "Mlops.ChampionLookupFailed"
    assert "tumor-classifier-dev-breast-cancer" in str(raised.value)
