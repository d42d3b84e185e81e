"""CiAccessStack: what GitHub Actions needs to deploy this environment (examples/ci/).

GitHub's OIDC provider (created here, or the account's existing one imported by ARN) and a deploy
role trusted for one branch or one GitHub environment of one repository, allowed only to assume
the CDK bootstrap roles; optionally a lookup-only role for `cdk diff` on pull requests. Built only
when the config has a `ci:` section."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from mlops.config import CiConfig
from stacks.common import StackSettings
from stacks.constructs.github_actions_role import (
    DEPLOY_BOOTSTRAP_ROLES,
    DIFF_BOOTSTRAP_ROLES,
    GITHUB_OIDC_HOST,
    STS_AUDIENCE,
    GitHubActionsRole,
    GitHubActionsRoleProps,
    bootstrap_role_arn,
    branch_subject,
    environment_subject,
    pull_request_subject,
)


@dataclass(frozen=True, kw_only=True)
class CiAccessStackProps:
    ci: CiConfig
    #: names the roles (`<prefix>-ci-deploy`, `<prefix>-ci-diff`)
    name_prefix: str


class CiAccessStack(Stack):
    def __init__(self, scope: Construct, id_: str, *, props: CiAccessStackProps, stack: StackSettings) -> None:
        super().__init__(scope, id_, **stack.as_kwargs())
        ci = props.ci
        # an account holds one provider per URL: a second environment in the same account imports it
        self.provider: iam.IOidcProvider = (
            iam.OidcProviderNative.from_oidc_provider_arn(self, "GitHubOidc", ci.oidc_provider_arn)
            if ci.oidc_provider_arn
            else iam.OidcProviderNative(
                self, "GitHubOidc", url=f"https://{GITHUB_OIDC_HOST}", client_ids=[STS_AUDIENCE]
            )
        )
        if ci.deploy_branch is not None:
            subject = branch_subject(ci.repository, ci.deploy_branch)
        else:
            assert ci.deploy_environment is not None  # the config requires exactly one
            subject = environment_subject(ci.repository, ci.deploy_environment)
        max_session = Duration.hours(ci.max_session_hours)
        self.deploy = GitHubActionsRole(
            self,
            "DeployRole",
            props=GitHubActionsRoleProps(
                provider=self.provider,
                subject=subject,
                role_name=f"{props.name_prefix}-ci-deploy",
                description=f"{props.name_prefix}: cdk deploy from GitHub Actions ({subject})",
                assumable_role_arns=[bootstrap_role_arn(self, purpose) for purpose in DEPLOY_BOOTSTRAP_ROLES],
                max_session=max_session,
            ),
        )
        CfnOutput(self, "DeployRoleArn", value=self.deploy.role.role_arn)
        self.diff: GitHubActionsRole | None = None
        if ci.pull_request_diff:
            self.diff = GitHubActionsRole(
                self,
                "DiffRole",
                props=GitHubActionsRoleProps(
                    provider=self.provider,
                    subject=pull_request_subject(ci.repository),
                    role_name=f"{props.name_prefix}-ci-diff",
                    description=f"{props.name_prefix}: read-only cdk diff for pull requests of {ci.repository}",
                    assumable_role_arns=[bootstrap_role_arn(self, purpose) for purpose in DIFF_BOOTSTRAP_ROLES],
                    max_session=max_session,
                ),
            )
            CfnOutput(self, "DiffRoleArn", value=self.diff.role.role_arn)
        CfnOutput(self, "OidcProviderArn", value=self.provider.oidc_provider_arn)
