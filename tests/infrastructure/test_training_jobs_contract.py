"""What the deployed training state machine hands its SageMaker jobs, and what the jobs may write."""

from mlops.pipeline.job_contract import EVALUATION_ARGUMENTS
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.test_training_pipeline import states


def test_the_evaluation_job_gets_the_datasets_target_and_id_columns_from_the_run(dev: Synthesized) -> None:
    app = states(dev)["Evaluate"]["Parameters"]["AppSpecification"]
    assert app["ContainerArguments.$"] == EVALUATION_ARGUMENTS
    assert "$.run.hyperparameters.target" in app["ContainerArguments.$"]
    assert "$.run.hyperparameters.id_columns" in app["ContainerArguments.$"]
    # training gets them inside the run's hyperparameters (mlops/pipeline/job_contract.py)
    assert states(dev)["Train"]["Parameters"]["HyperParameters.$"] == "$.run.hyperparameters"
