"""ASGI middleware that makes every runtime look alike to the routes.

`ExternalPathMiddleware` lets the same routes serve under uvicorn, an API Gateway
stage (`/prod/files`) and a custom-domain base path (`/files-api/files`): it sets
`root_path` to what the client sees before the app's own path, so links such as the
docs page's OpenAPI URL point at the right place.
"""

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import GatewayError, RequestTooLarge, problem_body


class ExternalPathMiddleware:
    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            prefix, path = self.split_path(scope["path"], scope.get("aws.event"))
            scope = {**scope, "root_path": prefix, "path": prefix + path}
        await self.app(scope, receive, send)

    def split_path(self, path: str, event: Mapping[str, Any] | None) -> tuple[str, str]:
        """Split a request path into the client's prefix and the app's own path."""
        prefix = ""
        stage = _stage_prefix(event)
        for known in (stage, self.base_path):
            if known and (path == known or path.startswith(known + "/")):
                prefix, path = prefix + known, path[len(known) :] or "/"
        if event is not None and not prefix:
            prefix = _rest_api_prefix(event, path)

        return prefix, path


def _stage_prefix(event: Mapping[str, Any] | None) -> str:
    if event is None:
        return ""
    stage = (event.get("requestContext") or {}).get("stage")

    return f"/{stage}" if stage and stage != "$default" else ""


def _rest_api_prefix(event: Mapping[str, Any], path: str) -> str:
    """REST APIs leave the stage out of `path` but the client's URL still has it."""
    visible = (event.get("requestContext") or {}).get("path")
    if isinstance(visible, str) and visible.endswith(path) and visible != path:
        return visible[: len(visible) - len(path)].rstrip("/")

    return ""


class BodyLimitMiddleware:
    """Reads a request body up to a limit, refusing it with 413 past that.

    Bodies here are small JSON documents, so holding one whole costs nothing, and the
    refusal comes before the app sees any of it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        body = await self._read_body(receive)
        if body is None:
            error = RequestTooLarge(
                f"Request bodies are limited to {self.max_bytes} bytes."
            )
            await send_problem(send, error)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return (
        b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def send_problem(send: Send, error: GatewayError) -> None:
    response = JSONResponse(
        problem_body(error),
        status_code=error.status,
        headers=error.headers,
        media_type="application/problem+json",
    )
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
