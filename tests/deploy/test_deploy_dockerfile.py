"""The Dockerfile's shape, read as text.

No Docker engine runs here, so these tests build no image; hadolint checks the file
in test_deploy_linters.
"""

import re

import pytest

from tests.deploy.support import REPO

pytestmark = pytest.mark.deploy

DOCKERFILE = (REPO / "Dockerfile").read_text()


def stages() -> dict[str, list[str]]:
    """Instructions of each stage, keyed by stage name, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            current = [line]
            found[line.split(" AS ")[-1].strip()] = current
        elif line and not line.startswith("#") and current:
            current.append(line)
    return found


def final_stage() -> list[str]:
    return list(stages().values())[-1]


def index_of(stage: list[str], pattern: str) -> int:
    return next(i for i, line in enumerate(stage) if re.search(pattern, line))


def test_default_target_runs_uvicorn_with_the_app_factory() -> None:
    stage = final_stage()

    assert stage[-1].startswith("CMD [")
    assert '"uvicorn", "--factory", "gateway.main:create_app"' in stage[-1]
    assert any(line.startswith("HEALTHCHECK") and "/health" in line for line in stage)


def test_default_target_runs_as_a_non_root_user() -> None:
    users = [line for line in final_stage() if line.startswith("USER ")]

    assert users
    assert users[-1].split()[1].split(":")[0] not in {"root", "0"}


def test_final_stage_installs_nothing_and_carries_no_pip() -> None:
    stage = final_stage()

    assert not any(
        re.search(r"pip |apt-get|apk |gcc|build-essential", line) for line in stage
    )
    assert "RUN python -m venv --without-pip /opt/venv" in stages()["build"]
    assert any(line.startswith("COPY --from=build /opt/venv") for line in stage)


@pytest.mark.parametrize("stage_name", ["build", "lambda-build"])
def test_dependencies_are_installed_before_the_source_is_copied(
    stage_name: str,
) -> None:
    stage = stages()[stage_name]

    dependencies = index_of(stage, r"-r requirements\.txt")
    source = index_of(stage, r"^COPY gateway ")
    assert index_of(stage, r"^COPY pyproject\.toml ") < dependencies < source


def test_lambda_target_serves_the_same_handler_as_the_sam_function() -> None:
    stage = stages()["lambda"]

    assert stage[0].startswith("FROM public.ecr.aws/lambda/python:")
    assert stage[-1] == 'CMD ["gateway.lambda_handler.handler"]'
    assert "COPY --from=lambda-build /opt/task ${LAMBDA_TASK_ROOT}" in stage
