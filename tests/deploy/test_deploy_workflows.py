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


def make_recipe(target: str) -> str:
    """The commands of one Makefile target."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return "\n".join(recipe)


def test_ci_runs_the_same_make_commands_as_the_ci_entry_point() -> None:
    commands = run_text(load("ci.yaml"))
    entry_point = [
        line
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.startswith("make ")
    ]

    assert entry_point == ["make lint", "make test"]
    assert "make lint" in commands
    assert "make test PYTEST_ARGS='-m \"not browser\"'" in commands
    assert "pip install" not in commands


def test_the_make_targets_ci_runs_cover_lint_types_tests_and_template_checks() -> None:
    lint, test = make_recipe("lint"), make_recipe("test")
    tools = make_recipe("$(TOOLS)/.installed")

    for command in ("ruff check .", "ruff format --check .", "mypy"):
        assert command in lint
    assert "-m pytest $(PYTEST_ARGS)" in test
    assert "$(TOOLS)/.installed" in (REPO / "Makefile").read_text().split("test:")[1]
    assert "aws-sam-cli==" in tools
    assert "cfn-lint==" in tools
    # The template, workflow and Dockerfile linters run inside `make test`.
    assert (REPO / "tests" / "deploy" / "test_deploy_linters.py").is_file()


def test_deploy_runs_only_after_ci_passes_on_a_push_to_main() -> None:
    ci = load("ci.yaml")
    deploy = load("deploy.yaml")

    job = ci["jobs"]["deploy"]
    assert job["uses"] == "./.github/workflows/deploy.yaml"
    assert job["needs"] == "checks"
    assert job["if"] == (
        "github.event_name == 'push' && github.ref == 'refs/heads/main' && "
        "vars.AWS_DEPLOY_ROLE_ARN != ''"
    )
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


def test_deploy_builds_and_deploys_the_template_into_sams_managed_bucket() -> None:
    commands = run_text(load("deploy.yaml"))

    assert "sam build --build-in-source --template-file template.yaml" in commands
    assert "--resolve-s3" in commands
    assert "--s3-bucket" not in commands
    assert "--capabilities CAPABILITY_IAM" in commands
    assert "${{" not in commands
