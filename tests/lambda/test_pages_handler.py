"""The browser pages and their assets through Mangum, under an API Gateway stage."""

import base64
import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from gateway.main import create_app, lambda_adapter
from gateway.pages import STATIC_DIR

# `lambda` is a keyword, so the sibling module is imported by name.
events = importlib.import_module("tests.lambda.test_handler")
CONTEXT = events.CONTEXT
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ASSETS = ["swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css"]


@pytest.fixture
def handler(s3: Any, make_settings: Callable[..., Any]) -> Handler:
    return lambda_adapter(create_app(make_settings()))


def http_api_get(path: str) -> dict[str, Any]:
    event: dict[str, Any] = events.http_api_event("GET", path, stage="prod")
    return event


@pytest.mark.parametrize("page", ["/docs", "/"])
def test_pages_under_a_stage_load_everything_below_the_stage(
    handler: Handler, page: str
) -> None:
    response = handler(http_api_get(page), CONTEXT)

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    assert '<base href="/prod/">' in response["body"]
    assert "<script>" not in response["body"]


def test_docs_page_reads_the_openapi_document_of_the_stage(handler: Handler) -> None:
    docs = handler(http_api_get("/docs"), CONTEXT)["body"]
    script = handler(http_api_get("/static/docs.js"), CONTEXT)["body"]
    openapi = handler(http_api_get("/openapi.json"), CONTEXT)

    assert 'src="static/swagger-ui/swagger-ui-bundle.js"' in docs
    assert 'new URL("openapi.json", document.baseURI)' in script
    assert json.loads(openapi["body"])["servers"] == [{"url": "/prod"}]


def test_rest_api_custom_domain_base_path_reaches_the_upload_page(
    s3: Any, make_settings: Callable[..., Any]
) -> None:
    handler = lambda_adapter(create_app(make_settings(base_path="files-api")))
    event = events.rest_api_event("GET", "/", base_path="files-api")

    response = handler(event, CONTEXT)

    assert '<base href="/files-api/">' in response["body"]


@pytest.mark.parametrize("asset", ASSETS)
@pytest.mark.parametrize("payload", events.PAYLOADS)
def test_script_and_style_assets_arrive_as_exact_text(
    handler: Handler, payload: str, asset: str
) -> None:
    event = events.PAYLOADS[payload]("GET", f"/static/{asset}")

    response = handler(event, CONTEXT)

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    assert response["body"].encode() == (STATIC_DIR / asset).read_bytes()


def test_binary_assets_arrive_base64_encoded(handler: Handler) -> None:
    response = handler(http_api_get("/static/favicon.png"), CONTEXT)

    assert response["isBase64Encoded"] is True
    assert (
        base64.b64decode(response["body"]) == (STATIC_DIR / "favicon.png").read_bytes()
    )
