"""Fixtures that give integration tests a real, signature-checking SeaweedFS."""

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from gateway.main import create_app
from gateway.settings import Settings
from tests.integration.gateway_server import ACME_ENTRY, GLOBEX_ENTRY, Gateway, serve
from tests.integration.seaweedfs import (
    SeaweedFS,
    SeaweedFSError,
    find_weed,
    run_seaweedfs,
)

# boto3 must never find real credentials, a user's profile or the metadata service.
os.environ.update(
    {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "dummy-access-key",
        "AWS_SECRET_ACCESS_KEY": "dummy-secret-key",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "NO_PROXY": "127.0.0.1,localhost",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration as an integration test."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS shared by the session, verifying SigV4 signatures."""
    try:
        find_weed()
    except SeaweedFSError as error:
        # CI installs weed, so its absence is a broken setup, never a reason to skip.
        pytest.fail(str(error), pytrace=False)

    with run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def bucket(seaweedfs: SeaweedFS) -> str:
    """A fresh, empty bucket with a unique name."""
    return seaweedfs.create_bucket()


@pytest.fixture
def gateway(
    seaweedfs: SeaweedFS, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gateway]:
    """Starts gateways under uvicorn on the test's bucket; each call may change them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs.secret_key)
    with ExitStack() as servers:

        def start(**overrides: Any) -> str:
            values: dict[str, Any] = {
                "bucket_name": bucket,
                "s3_endpoint_url": seaweedfs.endpoint_url,
                "api_keys": [ACME_ENTRY, GLOBEX_ENTRY],
                **overrides,
            }
            return servers.enter_context(serve(create_app(Settings(**values))))

        yield start
