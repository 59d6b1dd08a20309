"""Headless Chromium (Debian's, driven by Playwright), storage servers and gateways.

Every server listens on loopback only, and every page request to any other host is
refused and recorded, so a page that needs the internet fails its test.
"""

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from gateway.auth import create_api_key
from gateway.main import create_app
from gateway.settings import Settings
from tests.integration.gateway_server import HOST, serve
from tests.integration.seaweedfs import (
    SeaweedFSError,
    find_weed,
    run_seaweedfs,
)

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium from calling home: no updates, sync, QUIC probes or GPU process.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
API_KEY, API_KEY_ENTRY = create_api_key("browser")
BUCKET = "browser-uploads"
REGION = "us-east-1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser as a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Storage:
    """An S3 endpoint on loopback, its credentials, and how to allow a page origin."""

    endpoint_url: str
    access_key: str
    secret_key: str
    allow_origin: Callable[[str, str], None]
    buckets: list[str] = field(default_factory=list)

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )


# Package scope: Playwright's sync API keeps an asyncio loop running in this thread,
# which would stop Mangum and TestClient in the tests that run after these.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # CI installs Debian's chromium, so its absence is a broken setup, not a skip.
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install chromium chromium-driver",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class PageLog:
    """What a page did: requests refused for leaving loopback, console errors, and
    every request it sent, with its headers."""

    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def paths_on(self, origin: str) -> list[str]:
        """The paths of the requests sent to `origin`, in order."""
        return [
            url.removeprefix(origin)
            for url, _ in self.requests
            if url.startswith(origin + "/")
        ]

    def record_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def record_page_error(self, error: Error) -> None:
        self.errors.append(str(error))


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(
    browser: Browser, page_log: PageLog, start_gateway: Callable[..., str]
) -> Iterator[Page]:
    # Depends on start_gateway so that the browser closes its connections first.
    context = browser.new_context(viewport={"width": 1200, "height": 900})

    def only_loopback(route: Route) -> None:
        request = route.request
        page_log.requests.append((request.url, request.headers))
        if urlsplit(request.url).hostname == HOST:
            route.continue_()
        else:
            page_log.refused.append(request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", page_log.record_console)
    page.on("pageerror", page_log.record_page_error)
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Saves a full-page screenshot under test-artifacts/, named after the test."""

    def take(label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{label}.png".replace("/", "_")
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture(scope="package")
def moto_storage() -> Iterator[Storage]:
    """moto's S3 server, as `make run` embeds it. It answers CORS preflights."""
    port = free_port()
    # Its request log would print every pre-signed URL, as in gateway.dev.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    storage = Storage(
        f"http://{HOST}:{port}",
        "AKIDTESTING",
        "test-secret",
        allow_origin=lambda *_: None,
    )

    def allow_origin(bucket: str, origin: str) -> None:
        storage.client().put_bucket_cors(Bucket=bucket, CORSConfiguration=cors(origin))

    storage.allow_origin = allow_origin
    yield storage
    server.stop()


@pytest.fixture(scope="package")
def seaweedfs_storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storage]:
    """SeaweedFS, which checks every signature. It allows any origin by default."""
    try:
        find_weed()
    except SeaweedFSError as error:
        pytest.fail(str(error), pytrace=False)
    with run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield Storage(
            server.endpoint_url,
            server.access_key,
            server.secret_key,
            allow_origin=lambda *_: None,
        )


def cors(origin: str) -> dict[str, Any]:
    """What a bucket needs for browser uploads from the gateway's pages."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": [origin],
                "AllowedMethods": ["GET", "PUT"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag"],
                "MaxAgeSeconds": 600,
            }
        ]
    }


@pytest.fixture
def start_gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """Starts a gateway under uvicorn on a storage server, with a fresh bucket; yields
    a function returning the gateway's origin."""
    with ExitStack() as servers:

        def start(storage: Storage, **overrides: Any) -> str:
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", storage.access_key)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", storage.secret_key)
            bucket = f"{BUCKET}-{len(storage.buckets)}-{os.getpid()}"
            storage.client().create_bucket(Bucket=bucket)
            storage.buckets.append(bucket)
            settings = Settings(
                bucket_name=bucket,
                bucket_region=REGION,
                s3_endpoint_url=storage.endpoint_url,
                api_keys=[API_KEY_ENTRY],
                **overrides,
            )
            origin = servers.enter_context(serve(create_app(settings)))
            storage.allow_origin(bucket, origin)
            return origin

        yield start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
