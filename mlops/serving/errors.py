"""Typed errors of the serving context. Each carries the Step Functions error name the deploy
workflow's Lambdas raise it under (mlops/handler.py) and the CLI exit code it maps to."""

from __future__ import annotations

from mlops.errors import MlopsError


class DeploymentInProgressError(MlopsError):
    """Another deployment of the dataset holds the lock (refused, not queued)."""

    error_name = "Mlops.DeploymentInProgress"
    exit_code = 5


class ModelPackageNotFoundError(MlopsError):
    error_name = "Mlops.ModelPackageNotFound"
    exit_code = 4


class ModelPackageNotApprovedError(MlopsError):
    error_name = "Mlops.ModelPackageNotApproved"
    exit_code = 4


class NoApprovedModelError(MlopsError):
    """Nothing to deploy: the dataset's model package group has no approved package."""

    error_name = "Mlops.NoApprovedModel"
    exit_code = 4


class EndpointNotUpdatableError(MlopsError):
    """The endpoint exists but is in no state a deployment can start from."""

    error_name = "Mlops.EndpointNotUpdatable"
    exit_code = 4


class RollbackRefusedError(MlopsError):
    """`mlops serve rollback` has no (or no valid) earlier version to go back to."""

    error_name = "Mlops.RollbackRefused"
    exit_code = 4


class DeploymentNotFoundError(MlopsError):
    error_name = "Mlops.DeploymentNotFound"
    exit_code = 4


class ServingNotDeployedError(MlopsError):
    """The serving stack (its deploy workflow) is not deployed in this environment."""

    error_name = "Mlops.ServingNotDeployed"
    exit_code = 3
