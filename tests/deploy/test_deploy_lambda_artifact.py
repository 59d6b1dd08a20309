"""`sam build` of template.yaml yields an artifact that serves the app on Lambda.

The function deploys as arm64, and this x86_64 host cannot import arm64 wheels such
as pydantic_core. So the test builds the SAME template with its Architecture
parameter (and the Makefile's LAMBDA_ARCHITECTURE) set to the host's, then runs the
artifact on the runtime's Python version, isolated from any other site-packages, with
moto in-process. It proves the build, the packaging and the handler on the runtime's
Python, not the arm64 wheels themselves. The build runs once per session (about 15 s
with a warm pip cache).
"""

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.support import (
    CREATED_SECRET_ARN,
    REPO,
    TEMPLATE,
    Stack,
    find_tool,
    offline_env,
)

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(600)]

HERE = Path(__file__).parent
API_KEY = "fgw_smoke-test-key-not-a-real-one-0123456789ab"
BUCKET = "file-gateway-smoke"
HOST_ARCHITECTURE = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine()
]
WHEEL_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}[HOST_ARCHITECTURE]


def runtime_version(template: dict[str, Any]) -> str:
    runtime = template["Resources"]["GatewayFunction"]["Properties"]["Runtime"]
    return runtime.removeprefix("python")


def find_runtime_python(wanted: str) -> str:
    """An interpreter of the runtime's version: $LAMBDA_TEST_PYTHON, PATH, or pyenv."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        os.environ.get("LAMBDA_TEST_PYTHON", ""),
        *sorted(
            str(p) for p in pyenv_root.glob(f"versions/{wanted}.*/bin/python{wanted}")
        ),
        f"python{wanted}",
    ]
    for candidate in filter(None, candidates):
        probe = (
            subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=False,
                env=offline_env(),
            )
            if _runnable(candidate)
            else None
        )
        if probe and probe.returncode == 0 and probe.stdout.strip() == wanted:
            return candidate
    pytest.fail(
        f"python{wanted} not found: set LAMBDA_TEST_PYTHON or install it "
        "(pyenv, actions/setup-python)"
    )


def _runnable(candidate: str) -> bool:
    return Path(candidate).is_file() or "/" not in candidate


@pytest.fixture(scope="session")
def build_dir(
    tmp_path_factory: pytest.TempPathFactory, template: dict[str, Any]
) -> Path:
    out = tmp_path_factory.mktemp("sam")
    command = [
        find_tool("sam", "aws-sam-cli"),
        "build",
        "--build-in-source",
        "--template-file",
        str(TEMPLATE),
        "--build-dir",
        str(out / "build"),
        "--cache-dir",
        str(out / "cache"),
        "--parameter-overrides",
        f"Architecture={HOST_ARCHITECTURE}",
    ]
    env = offline_env(
        LAMBDA_ARCHITECTURE=HOST_ARCHITECTURE,
        LAMBDA_PYTHON_VERSION=runtime_version(template),
        PYTHON=sys.executable,
    )
    result = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    return out / "build"


@pytest.fixture(scope="session")
def moto_dir(
    tmp_path_factory: pytest.TempPathFactory, template: dict[str, Any]
) -> Path:
    """moto for the runtime's Python, kept apart from the artifact."""
    target = tmp_path_factory.mktemp("moto")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        runtime_version(template),
        "--only-binary=:all:",
        "--platform",
        f"manylinux2014_{WHEEL_MACHINE}",
        f"moto[s3,secretsmanager]=={version('moto')}",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr

    return target


@pytest.fixture(scope="session")
def smoke(build_dir: Path, moto_dir: Path, template: dict[str, Any]) -> dict[str, Any]:
    """The artifact's answer to a POST /files event, configured as the template says."""
    key_hash = hashlib.sha256(API_KEY.encode()).hexdigest()
    stack = Stack(template, bucket=BUCKET)
    function_env = stack.properties("GatewayFunction")["Environment"]["Variables"]
    assert function_env["GATEWAY_API_KEYS_SECRET_ARN"] == CREATED_SECRET_ARN
    env = {
        **function_env,
        "PATH": os.environ["PATH"],
        "HOME": str(build_dir),
        "AWS_LAMBDA_FUNCTION_NAME": "file-gateway-smoke",
        "AWS_REGION": stack.region,
        "SMOKE_KEY_HASHES": f"smoke:{key_hash}",
        **{k: v for k, v in offline_env().items() if k.startswith("AWS_")},
    }
    python = find_runtime_python(runtime_version(template))
    command = [
        python,
        "-I",
        "-S",
        str(HERE / "lambda_smoke.py"),
        str(build_dir / "GatewayFunction"),
        str(moto_dir),
        str(HERE / "events" / "http_api_post_files.json"),
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_built_template_keeps_the_handler_and_the_runtime(build_dir: Path) -> None:
    built = (build_dir / "template.yaml").read_text()

    assert "CodeUri: GatewayFunction" in built
    assert "Handler: gateway.lambda_handler.handler" in built
    assert (build_dir / "GatewayFunction" / "gateway" / "lambda_handler.py").is_file()


def test_artifact_holds_wheels_for_the_runtime_python_and_architecture(
    build_dir: Path, template: dict[str, Any]
) -> None:
    tag = runtime_version(template).replace(".", "")
    extensions = list((build_dir / "GatewayFunction" / "pydantic_core").glob("*.so"))

    assert [e.name for e in extensions] == [
        f"_pydantic_core.cpython-{tag}-{WHEEL_MACHINE}-linux-gnu.so"
    ]
    assert not list((build_dir / "GatewayFunction").rglob("__pycache__"))


def test_artifact_imports_the_handler_from_itself_on_the_runtime_python(
    smoke: dict[str, Any], build_dir: Path, template: dict[str, Any]
) -> None:
    artifact = str(build_dir / "GatewayFunction")

    major, minor = smoke["python"]

    assert f"{major}.{minor}" == runtime_version(template)
    assert smoke["gateway"].startswith(artifact)
    assert smoke["pydantic_core"].startswith(artifact)


def test_artifact_answers_a_post_files_event_with_an_upload_url(
    smoke: dict[str, Any],
) -> None:
    response = smoke["response"]
    body = json.loads(response["body"])

    assert response["statusCode"] == 201, body
    assert body["uploadURL"].startswith(
        f"https://{BUCKET}.s3.eu-west-1.amazonaws.com/tenants/smoke/"
    )
    assert re.search(r"[?&]X-Amz-Signature=[0-9a-f]{64}", body["uploadURL"])
    assert body["objectKey"].endswith("report.pdf")
    assert body["headers"]["Content-Type"] == "application/pdf"
