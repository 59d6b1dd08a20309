"""The browser pages' headers, templates and packaging, in-process."""

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.pages import STATIC_DIR, TEMPLATES_DIR, content_security_policy

ROOT = Path(__file__).parents[2]


def policy_of(client: TestClient, path: str) -> dict[str, str]:
    header = client.get(path).headers["content-security-policy"]
    directives = (part.strip().partition(" ") for part in header.split(";"))
    return {name: value for name, _, value in directives}


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_allow_scripts_only_from_the_app(client: TestClient, path: str) -> None:
    policy = policy_of(client, path)

    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


def test_upload_page_may_reach_only_the_app_and_the_bucket_region(
    client: TestClient,
) -> None:
    policy = policy_of(client, "/")

    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == (
        "'self' https://s3.us-east-1.amazonaws.com https://*.s3.us-east-1.amazonaws.com"
    )


def test_custom_endpoint_is_the_only_storage_origin(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(s3_endpoint_url="http://127.0.0.1:8333")

    assert policy_of(client, "/")["connect-src"] == "'self' http://127.0.0.1:8333"


def test_policy_lists_every_directive_once() -> None:
    names = [part.split()[0] for part in content_security_policy("x", "y").split(";")]

    assert len(names) == len(set(names))


def test_pages_are_not_operations_of_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "/" not in paths
    assert "/docs" not in paths


def test_redoc_is_not_served(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404


def test_templates_load_nothing_from_another_origin() -> None:
    for page in TEMPLATES_DIR.glob("*.html"):
        text = page.read_text()
        assert "http://" not in text
        assert "https://" not in text
        assert "<script>" not in text


def test_wheel_ships_the_pages_and_the_swagger_ui_license(tmp_path: Path) -> None:
    # Built from a scratch copy, as the Lambda build does, to keep the tree clean.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "gateway", source / "gateway")
    shutil.copy(ROOT / "pyproject.toml", source)
    (source / "README.md").write_text("File gateway\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"gateway/{path.relative_to(STATIC_DIR.parent)}"
        for path in [*STATIC_DIR.rglob("*"), *TEMPLATES_DIR.glob("*.html")]
        if path.is_file()
    }
    assert shipped <= names
    assert "gateway/static/swagger-ui/LICENSE" in names
