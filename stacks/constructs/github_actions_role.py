"""A role that GitHub Actions jobs assume with their OIDC token, never with stored keys.

It trusts tokens of exactly one subject (a repository's branch, GitHub environment or pull
requests) and the STS audience, and it may do one thing: assume the named roles. For a CDK
deploy those are the bootstrap roles, which already hold what a deploy needs, so this role
carries no service permissions of its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

#: GitHub's OIDC issuer (the `iss` of every Actions token) and the audience
#: aws-actions/configure-aws-credentials asks for
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"

#: the bootstrap roles a `cdk deploy` assumes; `cdk diff` reads deployed templates with the lookup role
DEPLOY_BOOTSTRAP_ROLES = ("deploy", "file-publishing", "lookup")
DIFF_BOOTSTRAP_ROLES = ("lookup",)


def branch_subject(repository: str, branch: str) -> str:
    return f"repo:{repository}:ref:refs/heads/{branch}"


def environment_subject(repository: str, environment: str) -> str:
    """A job with `environment:` gets this subject whatever branch it runs on."""
    return f"repo:{repository}:environment:{environment}"


def pull_request_subject(repository: str) -> str:
    return f"repo:{repository}:pull_request"


def bootstrap_role_arn(stack: Stack, purpose: str) -> str:
    """`cdk-<qualifier>-<purpose>-role-<account>-<region>` of the stack's own account and region,
    with the qualifier its synthesizer uses (cdk.json may set another than the default)."""
    qualifier = stack.synthesizer.bootstrap_qualifier or "hnb659fds"
    return (
        f"arn:{stack.partition}:iam::{stack.account}:role/cdk-{qualifier}-{purpose}-role-{stack.account}-{stack.region}"
    )


@dataclass(frozen=True, kw_only=True)
class GitHubActionsRoleProps:
    provider: iam.IOidcProvider
    #: the token's exact `sub` claim (StringEquals: no wildcards)
    subject: str
    role_name: str
    description: str
    assumable_role_arns: Sequence[str]
    max_session: Duration


class GitHubActionsRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: GitHubActionsRoleProps) -> None:
        super().__init__(scope, id_)
        self.subject = props.subject
        self.role = iam.Role(
            self,
            "Role",
            role_name=props.role_name,
            description=props.description,
            max_session_duration=props.max_session,
            assumed_by=iam.WebIdentityPrincipal(
                props.provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": props.subject,
                    }
                },
            ),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkBootstrapRoles",
                actions=["sts:AssumeRole"],
                resources=list(props.assumable_role_arns),
            )
        )
