"""`mlops model approve NAME@N`: approve a registered model package version.

In an environment that needs approval (`model_approval: PendingManualApproval`), approving a
version deploys it: SageMaker emits "SageMaker Model Package State Change", whose rule starts
the deploy workflow (stacks/serving_stack.py). Exit codes: 0 approved, 2 usage, 4 no such version.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from mlops.cli.aws import connect
from mlops.cli.serve_deploy_cmd import deployments, who
from mlops.errors import ConfigProblem, UsageError
from mlops.serving.deployments import parse_model_ref

app = typer.Typer(help="Model versions in the model registry.", no_args_is_help=True)
console = Console()


@app.command()
def approve(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="NAME@N", help="Dataset (or its model package group) and version.")],
    description: Annotated[str | None, typer.Option("--description", help="Why it is approved.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Approve model version N of dataset NAME (with an approval description)."""
    aws = connect(ctx.obj)
    ref = parse_model_ref(aws.config, model)
    if ref.version is None:
        raise UsageError([ConfigProblem("NAME@N", "name the version to approve: NAME@N")])
    client = deployments(aws)
    arn = client.package_arn(ref, approved=False)
    text = description or f"approved with mlops model approve by {who(aws)}"
    client.packages.approve(arn, text)
    if as_json:
        typer.echo(json.dumps({"model_package_arn": arn, "approval_status": "Approved", "description": text}, indent=2))
        return
    console.print(Text(f"approved {ref.dataset}@{ref.version} ({arn})"), soft_wrap=True)
    console.print(Text(f"its deployment starts now: mlops serve history {ref.dataset}"), soft_wrap=True)
