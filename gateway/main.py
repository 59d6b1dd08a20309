"""The app factory: one FastAPI application for Lambda, uvicorn and the container."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from gateway.auth import Authenticator
from gateway.catalog import Catalog
from gateway.errors import GatewayError, InvalidJson
from gateway.files import Files
from gateway.logs import REQUEST_ID_HEADER, RequestLogMiddleware
from gateway.middleware import (
    BodyLimitMiddleware,
    ExternalPathMiddleware,
    ProblemCORSMiddleware,
    problem_response,
)
from gateway.multipart import Multipart
from gateway.openapi import describe_api, use_docstring_summaries
from gateway.pages import add_pages
from gateway.routes import router
from gateway.settings import Settings, load_settings
from gateway.storage import Storage
from gateway.stored_keys import with_stored_api_keys
from gateway.uploads import router as uploads_router
from gateway.validation import JSON_BODY_RULE, describe_validation_error

logger = logging.getLogger(__name__)

TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]

# FastAPI raises a bare 400 when it cannot parse a JSON body (too deep, not UTF-8).
_STATUS_CODES = {400: "invalid_json", 404: "not_found", 405: "method_not_allowed"}


def create_app(
    settings: Settings | None = None, storage: Storage | None = None
) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    # Stored key hashes are fetched here, once per process, never per request.
    settings = with_stored_api_keys(settings or load_settings())
    storage = storage or Storage(settings)
    app = FastAPI(
        title="File gateway",
        summary="Short-lived pre-signed S3 URLs for uploads and downloads.",
        version="0.1.0",
        # Served by gateway.pages from the package itself, never from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.files = Files(settings, storage)
    app.state.authenticator = Authenticator(settings)
    app.state.multipart = Multipart(settings, storage)
    app.state.catalog = Catalog(settings, storage)
    for api_router in (router, uploads_router):
        use_docstring_summaries(api_router)
        app.include_router(api_router)
    add_pages(app)
    describe_api(app)
    add_error_handlers(app)
    add_middleware(app, settings)

    return app


def lambda_adapter(app: FastAPI) -> Mangum:
    """The app as a Lambda handler; problem documents travel as text, not base64."""
    return Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)


def add_middleware(app: FastAPI, settings: Settings) -> None:
    # Added innermost first: the body limit runs last, the path fix-up first.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    if settings.cors_allow_origins:  # no origins: no browser may call, nothing to add
        app.add_middleware(
            ProblemCORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-Api-Key", "Content-Type"],
            expose_headers=[REQUEST_ID_HEADER, "Location"],
            max_age=600,
        )
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(ExternalPathMiddleware, base_path=settings.base_path)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, _gateway_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)


async def _gateway_error(_: Request, error: GatewayError) -> JSONResponse:
    return problem_response(error)


async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
    return problem_response(describe_validation_error(error))


async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
    code = _STATUS_CODES.get(error.status_code, "http_error")
    if code == "invalid_json":
        return problem_response(InvalidJson(JSON_BODY_RULE))
    body: dict[str, Any] = {
        "type": f"urn:file-gateway:error:{code}",
        "title": str(error.detail),
        "status": error.status_code,
        "detail": f"{error.detail}.",
        "code": code,
    }

    return JSONResponse(
        body,
        status_code=error.status_code,
        headers=error.headers,
        media_type="application/problem+json",
    )


async def _unexpected_error(_: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error", exc_info=error)

    return problem_response(
        GatewayError("The gateway failed; the error has been logged.")
    )
