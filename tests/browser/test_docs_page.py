"""The API docs page in a real browser: offline, under a stage prefix."""

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageLog, Storage

# Method and path of each operation as Swagger UI shows them.
READ_OPERATIONS = """() => [...document.querySelectorAll(".opblock")].map((block) => [
  block.querySelector(".opblock-summary-method").textContent,
  block.querySelector(".opblock-summary-path").dataset.path,
])"""


def test_docs_page_lists_every_operation_offline_under_a_stage_prefix(
    page: Page,
    page_log: PageLog,
    moto_storage: Storage,
    start_gateway: Callable[..., str],
    screenshot: Callable[[str], Path],
) -> None:
    origin = start_gateway(moto_storage, base_path="/prod")

    paths = httpx.get(f"{origin}/prod/openapi.json").json()["paths"]
    operations = sorted(
        [method.upper(), path] for path, item in paths.items() for method in item
    )

    page.goto(f"{origin}/prod/docs")

    expect(page.locator(".opblock")).to_have_count(len(operations))
    assert sorted(page.evaluate(READ_OPERATIONS)) == operations
    assert ["POST", "/files"] in operations
    assert ["GET", "/files/{objectKey}"] in operations
    expect(page.locator(".info .title")).to_contain_text("File gateway")
    screenshot("docs")
    loaded = page_log.paths_on(origin)
    assert "/prod/openapi.json" in loaded
    assert "/prod/static/swagger-ui/swagger-ui-bundle.js" in loaded
    assert all(path == "/prod" or path.startswith("/prod/") for path in loaded), loaded
    assert page_log.refused == []
    assert page_log.errors == []
