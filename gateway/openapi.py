"""The OpenAPI document: route docstrings as summaries, and how callers authenticate."""

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API key."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
}
PUBLIC_PATHS = {"/health"}


def use_docstring_summaries(router: APIRouter) -> None:
    """Make each route's one-line docstring its summary, as Swagger UI shows it."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.summary is None and route.description:
            route.summary = route.description.strip().splitlines()[0]


def describe_api(app: FastAPI) -> None:
    """Serve an OpenAPI document that declares how callers authenticate."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=app.routes,
        servers=app.servers,
    )
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    anyone: list[dict[str, list[str]]] = []
    keyed: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            operation["security"] = anyone if path in PUBLIC_PATHS else keyed

    return document
