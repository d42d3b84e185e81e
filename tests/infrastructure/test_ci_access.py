"""The CI access stack (`ci:` in the config): GitHub's OIDC provider and deploy roles that trust
one repository's branch, environment or pull requests, and may only assume the CDK bootstrap
roles of their own account and region."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import App, DefaultStackSynthesizer, Duration, Environment, Validations
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from mlops import config as config_module
from mlops.config import CiConfig
from stacks.app_builder import feature_flags
from stacks.ci_access_stack import CiAccessStack, CiAccessStackProps
from stacks.common import StackSettings
from tests.infrastructure.conftest import Synthesized, synthesize

EXAMPLE = Path(__file__).resolve().parents[2] / "mlops.yaml"
REPOSITORY = "acme-ml/tumor-platform"
OIDC = "token.actions.githubusercontent.com"
EXISTING_PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{OIDC}"


def _with_ci(environment: str) -> config_module.ProjectConfig:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["ci"] = {"repository": REPOSITORY}
    document["environments"]["dev"]["ci"] = {"deploy_branch": "main", "pull_request_diff": True}
    document["environments"]["prod"]["ci"] = {"deploy_environment": "prod", "oidc_provider_arn": EXISTING_PROVIDER}
    return config_module.resolve(document, environment)


@pytest.fixture(scope="module")
def dev_with_ci(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The whole app, cdk-nag included, with the CI stack: synth raises on any finding."""
    yield synthesize("dev", tmp_path_factory.mktemp("cdk-dev-ci"), _with_ci("dev"))


def _standalone(ci: CiConfig, outdir: Path, *, account: str | None = None) -> tuple[CiAccessStack, Template]:
    """The stack alone in an app of its own (a second full synth would cost a minute), nag on."""
    app = App(outdir=str(outdir), context=feature_flags())
    stack = CiAccessStack(
        app,
        "CiAccess",
        props=CiAccessStackProps(ci=ci, name_prefix="tumor-classifier-prod"),
        stack=StackSettings(
            env=Environment(account=account, region="eu-west-1"),
            stack_name="tumor-classifier-prod-ci",
            description="test",
            termination_protection=False,
        ),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    template = Template.from_stack(stack)
    app.synth()
    return stack, template


def _render(value: Any) -> str:
    """An ARN as CloudFormation builds it, pseudo parameters as `${AWS::...}`."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    raise AssertionError(f"unexpected intrinsic {value!r}")


def _bootstrap_role(purpose: str, *, region: str, account: str = "${AWS::AccountId}") -> str:
    """The ARN the CDK CLI assumes, from the synthesizer's own defaults (default qualifier)."""
    template = {
        "deploy": DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN,
        "file-publishing": DefaultStackSynthesizer.DEFAULT_FILE_ASSET_PUBLISHING_ROLE_ARN,
        "lookup": DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN,
    }[purpose]
    return (
        template.replace("${Qualifier}", DefaultStackSynthesizer.DEFAULT_QUALIFIER)
        .replace("${AWS::AccountId}", account)
        .replace("${AWS::Region}", region)
    )


def _role(template: Template, name: str) -> tuple[str, dict[str, Any]]:
    roles = template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": name}})
    [(logical_id, role)] = roles.items()
    return logical_id, role["Properties"]


def _statements_of(template: Template, logical_id: str) -> list[dict[str, Any]]:
    """Every identity-policy statement attached to one role, inline or as AWS::IAM::Policy."""
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": logical_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _trust(subject: str, provider: Any) -> dict[str, Any]:
    return {
        "Statement": [
            {
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Condition": Match.object_equals(
                    {"StringEquals": {f"{OIDC}:aud": "sts.amazonaws.com", f"{OIDC}:sub": subject}}
                ),
            }
        ],
        "Version": "2012-10-17",
    }


def test_without_a_ci_section_there_is_no_ci_stack(dev: Synthesized) -> None:
    assert dev.config.ci is None
    assert dev.stacks.ci_access is None
    assert not any(stack.stack_name.endswith("-ci") for stack in dev.stacks.all())


def test_the_provider_is_githubs_for_the_sts_audience(dev_with_ci: Synthesized) -> None:
    stack = dev_with_ci.stacks.ci_access
    assert stack is not None and stack in dev_with_ci.stacks.all()
    assert stack.stack_name == "tumor-classifier-dev-ci"
    template = dev_with_ci.template(stack)
    template.resource_count_is("AWS::IAM::OIDCProvider", 1)
    template.has_resource_properties(
        "AWS::IAM::OIDCProvider", {"Url": f"https://{OIDC}", "ClientIdList": ["sts.amazonaws.com"]}
    )
    # native CloudFormation, no custom-resource Lambda
    template.resource_count_is("AWS::Lambda::Function", 0)


def test_the_dev_deploy_role_trusts_pushes_to_main_of_the_repository_only(dev_with_ci: Synthesized) -> None:
    stack = dev_with_ci.stacks.ci_access
    assert stack is not None
    template = dev_with_ci.template(stack)
    provider = stack.resolve(stack.provider.oidc_provider_arn)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "tumor-classifier-dev-ci-deploy",
            "AssumeRolePolicyDocument": Match.object_equals(_trust(f"repo:{REPOSITORY}:ref:refs/heads/main", provider)),
            "MaxSessionDuration": 3600,
            "ManagedPolicyArns": Match.absent(),
            "Policies": Match.absent(),
        },
    )


def test_the_deploy_role_may_only_assume_the_three_bootstrap_roles(dev_with_ci: Synthesized) -> None:
    stack = dev_with_ci.stacks.ci_access
    assert stack is not None
    template = dev_with_ci.template(stack)
    logical_id, _ = _role(template, "tumor-classifier-dev-ci-deploy")
    [statement] = _statements_of(template, logical_id)
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert "Condition" not in statement and "NotAction" not in statement and "NotResource" not in statement
    region = dev_with_ci.config.settings.region
    assert sorted(_render(r) for r in statement["Resource"]) == sorted(
        _bootstrap_role(p, region=region) for p in ("deploy", "file-publishing", "lookup")
    )


def test_the_pull_request_role_trusts_pull_requests_and_may_only_look_up(dev_with_ci: Synthesized) -> None:
    stack = dev_with_ci.stacks.ci_access
    assert stack is not None
    template = dev_with_ci.template(stack)
    provider = stack.resolve(stack.provider.oidc_provider_arn)
    logical_id, properties = _role(template, "tumor-classifier-dev-ci-diff")
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "tumor-classifier-dev-ci-diff",
            "AssumeRolePolicyDocument": Match.object_equals(_trust(f"repo:{REPOSITORY}:pull_request", provider)),
            "MaxSessionDuration": 3600,
        },
    )
    assert "ManagedPolicyArns" not in properties and "Policies" not in properties
    [statement] = _statements_of(template, logical_id)
    assert statement["Action"] == "sts:AssumeRole"
    assert _render(statement["Resource"]) == _bootstrap_role("lookup", region=dev_with_ci.config.settings.region)


def test_no_statement_of_the_stack_grants_anything_else(dev_with_ci: Synthesized) -> None:
    stack = dev_with_ci.stacks.ci_access
    assert stack is not None
    template = dev_with_ci.template(stack)
    assert set(template.find_resources("AWS::IAM::ManagedPolicy")) == set()
    actions = {
        json.dumps(statement["Action"])
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    }
    assert actions == {'"sts:AssumeRole"'}
    outputs = template.find_outputs("*")
    assert {"DeployRoleArn", "DiffRoleArn", "OidcProviderArn"} <= set(outputs)


def test_the_ci_stack_is_nag_clean_without_acknowledgements(dev_with_ci: Synthesized) -> None:
    report = json.loads((dev_with_ci.outdir / "validation-report.json").read_text())
    assert [v for plugin in report["pluginReports"] for v in plugin["violations"]] == []
    stack = dev_with_ci.stacks.ci_access
    assert stack is not None
    metadata = json.loads((dev_with_ci.outdir / f"{stack.artifact_id}.metadata.json").read_text())
    acknowledged = [e for entries in metadata.values() for e in entries if e["type"] == "aws:cdk:acknowledged-rules"]
    assert acknowledged == []


def test_the_prod_role_trusts_the_prod_environment_and_imports_the_provider(tmp_path: Path) -> None:
    config = _with_ci("prod")
    assert config.ci is not None
    stack, template = _standalone(config.ci, tmp_path, account="210987654321")
    # the account's existing provider is referenced, never created a second time
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "tumor-classifier-prod-ci-deploy",
            "AssumeRolePolicyDocument": Match.object_equals(
                _trust(f"repo:{REPOSITORY}:environment:prod", EXISTING_PROVIDER)
            ),
            "MaxSessionDuration": 3600,
        },
    )
    assert (
        template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": "tumor-classifier-prod-ci-diff"}}) == {}
    )
    logical_id, _ = _role(template, "tumor-classifier-prod-ci-deploy")
    [statement] = _statements_of(template, logical_id)
    # a concrete account: the ARNs name it (and the stack's region), no wildcard anywhere
    expected = {
        _bootstrap_role(p, region="eu-west-1", account="210987654321") for p in ("deploy", "file-publishing", "lookup")
    }
    assert {_render(r) for r in statement["Resource"]} == expected
    assert all("*" not in arn for arn in expected)
    assert stack.resolve(stack.provider.oidc_provider_arn) == EXISTING_PROVIDER


def test_a_longer_session_is_a_config_choice(tmp_path: Path) -> None:
    ci = CiConfig(repository=REPOSITORY, deploy_branch="release/2026", max_session_hours=2)
    _, template = _standalone(ci, tmp_path)
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "MaxSessionDuration": int(Duration.hours(2).to_seconds()),
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Condition": {
                                "StringEquals": Match.object_like(
                                    {f"{OIDC}:sub": f"repo:{REPOSITORY}:ref:refs/heads/release/2026"}
                                )
                            }
                        }
                    )
                ]
            },
        },
    )
