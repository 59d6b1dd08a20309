"""Shared fixtures: a clean environment, settings, moto in-process, an app, a client."""

import io
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from gateway.auth import create_api_key
from gateway.logs import configure_logging
from gateway.main import create_app
from gateway.settings import Settings

BUCKET = "test-bucket"
REGION = "us-east-1"
SettingsFactory = Callable[..., Settings]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's settings, and nothing can reach real AWS."""
    legacy = {
        "BUCKET_NAME",
        "UPLOAD_URL_EXPIRES_SECONDS",
        "DOWNLOAD_URL_EXPIRES_SECONDS",
        "REDIRECT_STATUS_CODE",
        "S3_ENDPOINT_URL",
    }
    for name in list(os.environ):
        if name.startswith(("GATEWAY_", "AWS_")) or name in legacy:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Everything any logger writes, as the entry points configure logging, at DEBUG."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    output = io.StringIO()
    configure_logging("DEBUG", stream=output)
    yield output
    root.handlers[:], root.level = saved


@pytest.fixture(scope="session")
def api_keys() -> dict[str, tuple[str, str]]:
    """Two tenants' keys: {tenant: (raw key, configuration entry)}."""
    return {tenant: create_api_key(tenant) for tenant in ("acme", "globex")}


@pytest.fixture
def make_settings(api_keys: dict[str, tuple[str, str]]) -> SettingsFactory:
    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bucket_name": BUCKET,
            "bucket_region": REGION,
            "api_keys": [entry for _, entry in api_keys.values()],
        }
        values.update(overrides)
        return Settings(**values)

    return factory


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def make_client(s3: Any, make_settings: SettingsFactory) -> Callable[..., TestClient]:
    def factory(**overrides: Any) -> TestClient:
        return TestClient(
            create_app(make_settings(**overrides)), follow_redirects=False
        )

    return factory


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def auth(api_keys: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_keys['acme'][0]}"}
