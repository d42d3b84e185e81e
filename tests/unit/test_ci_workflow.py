"""The GitHub Actions template adopters copy (examples/ci/github-actions.yml) does what README.md
promises: checks on pull requests, a dev deploy on pushes to main and prod behind an approval,
AWS through OIDC only, least permissions, pinned actions, deploys that never overlap; and each
deploying job gets the OIDC subject the CI access stack's roles trust."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops import config as config_module
from stacks.constructs.github_actions_role import branch_subject, environment_subject, pull_request_subject

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_FILE = ROOT / "examples" / "ci" / "github-actions.yml"
TEXT = WORKFLOW_FILE.read_text(encoding="utf-8")
WORKFLOW: dict[Any, Any] = yaml.safe_load(TEXT)
JOBS: dict[str, dict[str, Any]] = WORKFLOW["jobs"]
CONFIGURE_CREDENTIALS = "aws-actions/configure-aws-credentials"
REPOSITORY = "acme/ml-platform"


def _triggers() -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean true
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))
    assert isinstance(triggers, dict), triggers
    return triggers


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(f"{action}@")]


def _assumes_a_role(job: dict[str, Any]) -> bool:
    return bool(_uses(job, CONFIGURE_CREDENTIALS))


def _oidc_subject(job: dict[str, Any], *, event: str, ref: str) -> str:
    """GitHub's `sub` claim for a job: the environment wins, then pull requests, then the ref."""
    environment = job.get("environment")
    if environment is not None:
        name = environment["name"] if isinstance(environment, dict) else environment
        return environment_subject(REPOSITORY, name)
    if event == "pull_request":
        return pull_request_subject(REPOSITORY)
    return f"repo:{REPOSITORY}:ref:{ref}"


def test_pull_requests_and_pushes_to_main_trigger_it() -> None:
    triggers = _triggers()
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["pull_request"]["branches"] == ["main"]
    assert triggers["push"]["branches"] == ["main"]


def test_pull_requests_get_lint_tests_config_validation_synth_and_a_diff_comment() -> None:
    checks = _runs(JOBS["checks"])
    assert "./scripts/dev lint" in checks
    assert "./scripts/dev test" in checks
    assert "mlops config validate --all" in checks
    # synth runs app.py, which adds cdk-nag's AwsSolutions checks: a finding fails the step
    assert re.search(r"npx cdk synth --quiet -c env=", checks)
    assert "if" not in JOBS["checks"]  # on every trigger
    diff = JOBS["diff"]
    assert "pull_request" in diff["if"] and "head.repo.full_name == github.repository" in diff["if"]
    assert diff["needs"] == "checks"
    # every stack (diff's default; it has no --all), through the lookup role only
    assert "npx cdk diff -c env=dev --method template" in _runs(diff)
    assert "gh api" in _runs(diff) and "/comments" in _runs(diff)
    assert diff["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


def test_pushes_to_main_deploy_dev_then_prod_behind_the_prod_environment() -> None:
    dev, prod = JOBS["deploy-dev"], JOBS["deploy-prod"]
    for job in (dev, prod):
        assert "github.event_name == 'push'" in job["if"] and "github.ref == 'refs/heads/main'" in job["if"]
    assert dev["needs"] == "checks" and prod["needs"] == "deploy-dev"
    assert "npx cdk deploy --all -c env=dev --require-approval never" in _runs(dev)
    assert "npx cdk deploy --all -c env=prod --require-approval never" in _runs(prod)
    # the required reviewers live on the GitHub environment: the job waits for them
    assert prod["environment"] == {"name": "prod"}
    assert "environment" not in dev  # its role trusts the subject of pushes to main


def test_the_environments_it_deploys_exist_in_the_example_config() -> None:
    deployed = set(re.findall(r"cdk (?:deploy --all|diff) -c env=(\w+)", TEXT))
    assert deployed == {"dev", "prod"}
    assert deployed <= set(config_module.environments(ROOT / "mlops.yaml"))


def test_aws_access_is_oidc_only_and_least_privilege() -> None:
    assert WORKFLOW["permissions"] == {}
    for name, job in JOBS.items():
        permissions = job["permissions"]
        assert permissions.get("contents") == "read", name
        assert set(permissions.values()) <= {"read", "write"}, name
        # a token for AWS only where a role is assumed; writes only where the job writes
        assert (permissions.get("id-token") == "write") == _assumes_a_role(job), name
        assert {k for k, v in permissions.items() if v == "write"} <= {"id-token", "pull-requests"}, name
        for step in _uses(job, CONFIGURE_CREDENTIALS):
            inputs = step["with"]
            assert re.fullmatch(r"\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}", inputs["role-to-assume"]), name
            assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(inputs), name
            assert int(inputs["role-duration-seconds"]) <= 3600  # the roles' default max_session_hours
    # no stored credentials of any kind
    assert "secrets." not in TEXT
    assert not re.search(r"AWS_(SECRET_)?ACCESS_KEY|aws-access-key-id|aws-secret-access-key", TEXT)
    for name, job in JOBS.items():
        for step in _uses(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, name


@pytest.mark.parametrize(
    ("job", "event", "ref", "trusted"),
    [
        ("deploy-dev", "push", "refs/heads/main", branch_subject(REPOSITORY, "main")),
        ("deploy-prod", "push", "refs/heads/main", environment_subject(REPOSITORY, "prod")),
        ("diff", "pull_request", "refs/pull/7/merge", pull_request_subject(REPOSITORY)),
    ],
)
def test_each_role_assuming_job_gets_the_subject_its_role_trusts(job: str, event: str, ref: str, trusted: str) -> None:
    """What README.md's `ci:` example configures (deploy_branch: main in dev, deploy_environment:
    prod in prod, pull_request_diff in dev) is what these jobs present."""
    assert _assumes_a_role(JOBS[job])
    assert _oidc_subject(JOBS[job], event=event, ref=ref) == trusted


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_release() -> None:
    uses_lines = [line for line in TEXT.splitlines() if re.match(r"\s*-?\s*uses:", line)]
    assert len(uses_lines) >= 10
    for line in uses_lines:
        assert re.fullmatch(r"\s*-?\s*uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line
    # one release per action throughout the file
    pins: dict[str, set[str]] = {}
    for action, sha in re.findall(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40})", TEXT):
        pins.setdefault(action, set()).add(sha)
    assert all(len(shas) == 1 for shas in pins.values()), pins


def test_deploys_of_one_environment_never_overlap_and_pull_requests_cancel_stale_runs() -> None:
    groups = [JOBS[name]["concurrency"] for name in ("deploy-dev", "deploy-prod")]
    # fixed names (not per run or per ref): every run's deploy of an environment queues in one group
    assert [g["group"] for g in groups] == ["mlops-deploy-dev", "mlops-deploy-prod"]
    assert all(g["cancel-in-progress"] is False for g in groups)  # a deploy is never cut off
    top = WORKFLOW["concurrency"]
    assert "github.event.pull_request.number" in top["group"]
    assert top["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_every_job_is_bounded_and_runs_bash_with_pipefail() -> None:
    assert WORKFLOW["defaults"]["run"]["shell"] == "bash"
    for name, job in JOBS.items():
        assert 0 < job["timeout-minutes"] <= 60, name
        assert str(job["runs-on"]).startswith("ubuntu-"), name


def test_untrusted_event_text_never_reaches_a_script() -> None:
    for name, job in JOBS.items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{name}: pass expressions through env:, not into run:"
