"""The upload page in a real browser: bytes go to a real S3 endpoint and come back."""

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import API_KEY, PageLog, Storage

# Large enough for the browser to report progress along the way.
FILE_SIZE = 3 * 1024 * 1024
# Over the threshold the test sets (5 MiB), and over S3's smallest part.
LARGE_FILE_SIZE = 12 * 1024 * 1024
HOSTILE_NAME = '<img src=x onerror="window.pwned=1">report.bin'
# Records every percentage the page shows, to check that progress only goes up.
WATCH_PROGRESS = """() => {
  window.percents = [];
  new MutationObserver(() => {
    for (const cell of document.querySelectorAll(".percent")) {
      window.percents.push(cell.textContent);
    }
  }).observe(document.getElementById("uploads"), {subtree: true, childList: true,
                                                  characterData: true});
}"""


def choose_files(page: Page, *files: tuple[str, str, bytes]) -> None:
    payloads: list[FilePayload] = [
        {"name": name, "mimeType": mime_type, "buffer": data}
        for name, mime_type, data in files
    ]
    page.set_input_files("#file-input", files=payloads)


@pytest.mark.parametrize("engine", ["moto", "seaweedfs"])
def test_uploaded_file_downloads_with_the_same_bytes_under_a_stage_prefix(
    page: Page,
    page_log: PageLog,
    start_gateway: Callable[..., str],
    screenshot: Callable[[str], Path],
    request: pytest.FixtureRequest,
    engine: str,
) -> None:
    storage: Storage = request.getfixturevalue(f"{engine}_storage")
    origin = start_gateway(storage, base_path="/prod")
    data = os.urandom(FILE_SIZE)
    page.goto(f"{origin}/prod")
    page.evaluate(WATCH_PROGRESS)

    page.fill("#api-key", API_KEY)
    choose_files(page, (HOSTILE_NAME, "application/octet-stream", data))

    row = page.locator(".upload")
    expect(row).to_have_class("upload done", timeout=20_000)
    expect(row.locator(".percent")).to_have_text("100%")
    expect(row.locator("progress")).to_have_js_property("value", 100)
    expect(row.locator(".file-name")).to_have_text(HOSTILE_NAME)
    object_key = row.locator(".object-key").inner_text()
    assert object_key.endswith("/" + HOSTILE_NAME)
    screenshot("upload")
    link = row.locator(".download-link").get_attribute("href") or ""
    assert urlsplit(link).netloc == urlsplit(storage.endpoint_url).netloc
    assert httpx.get(link).content == data
    percents = [int(text.rstrip("%")) for text in page.evaluate("window.percents")]
    assert percents == sorted(percents)
    loaded = page_log.paths_on(origin)
    assert "/prod/files" in loaded
    assert all(path == "/prod" or path.startswith("/prod/") for path in loaded), loaded
    assert page.evaluate("window.pwned") is None
    assert row.locator("img").count() == 0
    assert page_log.refused == []
    assert page_log.errors == []


def test_api_key_reaches_only_the_gateway_and_is_never_stored(
    page: Page,
    page_log: PageLog,
    moto_storage: Storage,
    start_gateway: Callable[..., str],
) -> None:
    origin = start_gateway(moto_storage, base_path="/prod")
    page.goto(f"{origin}/prod/")

    page.fill("#api-key", API_KEY)
    choose_files(page, ("notes.txt", "text/plain", b"hello"))

    expect(page.locator(".upload")).to_have_class("upload done")
    stored = page.evaluate(
        "() => [localStorage.length, sessionStorage.length, document.cookie]"
    )
    assert stored == [0, 0, ""]
    for url, headers in page_log.requests:
        assert API_KEY not in url
        carries_key = API_KEY in headers.get("authorization", "")
        assert carries_key == url.startswith(f"{origin}/prod/files"), url


def test_refusals_read_as_sentences_from_the_problem_documents(
    page: Page,
    page_log: PageLog,
    moto_storage: Storage,
    start_gateway: Callable[..., str],
    screenshot: Callable[[str], Path],
) -> None:
    origin = start_gateway(
        moto_storage,
        object_key_mode="original",
        allowed_content_types=["text/*"],
        max_upload_bytes=1024,
    )
    page.goto(origin)
    rows = page.locator(".upload")

    page.fill("#api-key", "fgw_not-a-key")
    choose_files(page, ("a.txt", "text/plain", b"a"))
    page.fill("#api-key", API_KEY)
    choose_files(
        page,
        ("photo.png", "image/png", b"\x89PNG"),
        ("big.txt", "text/plain", b"x" * 2048),
        ("taken.txt", "text/plain", b"first"),
    )
    expect(rows.nth(3)).to_have_class("upload done")
    choose_files(page, ("taken.txt", "text/plain", b"second"))

    expect(rows.locator(".status")).to_have_text(
        [
            "The API key was not accepted. A valid API key is required: send it as "
            "'Authorization: Bearer <key>' or 'X-Api-Key: <key>'. (unauthorized)",
            "This type of file is not accepted here. This content type is not "
            "accepted here; accepted: text/* (unsupported_content_type)",
            "The file is too large for this gateway. The upload is 2048 bytes; the "
            "most this gateway accepts is 1024. (upload_too_large)",
            "Done.",
            "An object with this name already exists. An object with this name "
            "exists; uploads never replace one unless overwrite is requested and "
            "allowed. (object_exists)",
        ]
    )
    screenshot("refusals")
    assert page_log.refused == []


def test_file_over_the_multipart_threshold_arrives_whole(
    page: Page,
    page_log: PageLog,
    moto_storage: Storage,
    start_gateway: Callable[..., str],
) -> None:
    origin = start_gateway(moto_storage)
    offers_multipart = "/uploads" in httpx.get(f"{origin}/openapi.json").json()["paths"]
    data = os.urandom(LARGE_FILE_SIZE)
    page.goto(origin)
    page.evaluate(f"document.body.dataset.multipartThreshold = '{5 * 1024 * 1024}'")

    page.fill("#api-key", API_KEY)
    choose_files(page, ("large.bin", "application/octet-stream", data))

    row = page.locator(".upload")
    expect(row).to_have_class("upload done", timeout=30_000)
    expect(row.locator(".percent")).to_have_text("100%")
    link = row.locator(".download-link").get_attribute("href") or ""
    assert httpx.get(link).content == data
    sent = page_log.paths_on(origin)
    if offers_multipart:
        assert any(path.endswith("/complete") for path in sent), sent
        assert page_log.errors == []
    else:
        # Without multipart routes the gateway answers 404 (the console reports it)
        # and one PUT carries the file.
        assert sent.index("/uploads") < sent.index("/files")
