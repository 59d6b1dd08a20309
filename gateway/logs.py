"""One JSON line per request, and the logging set-up the entry points call.

A line names the method, the route template (never the concrete path: it may hold a
file name), the status, the duration, the request id and the tenant. Query strings,
headers and URLs are never logged: pre-signed URLs and API keys are credentials.
"""

import json
import logging
import re
import time
import uuid
from functools import lru_cache
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
_FIELDS = ("method", "route", "status", "duration_ms", "request_id", "tenant")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _local_time(int(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attributes = record.__dict__
        line.update(
            {field: attributes[field] for field in _FIELDS if field in attributes}
        )
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__

        return json.dumps(line, ensure_ascii=False)


@lru_cache(maxsize=2)
def _local_time(epoch_second: int) -> str:
    """A log line's time; formatted once per second, not once per line."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch_second))


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send JSON lines to stderr; keep libraries that log URLs quiet."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Fields no line here uses; skipping them makes each record cheaper to build.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # botocore and urllib3 log request URLs and headers at DEBUG; Mangum logs each
    # request's concrete path, which names the file, at INFO.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "mangum"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class RequestLogMiddleware:
    """Gives each request an id, echoes it in `X-Request-Id`, and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": _route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "request_id": request_id,
                    "tenant": state.get("tenant"),
                },
            )


def _request_id(scope: Scope) -> str:
    context = scope.get("aws.context")
    lambda_id = getattr(context, "aws_request_id", None)
    if isinstance(lambda_id, str) and re.fullmatch(r"[A-Za-z0-9-]{1,64}", lambda_id):
        return lambda_id

    return uuid.uuid4().hex


def _route_template(scope: Scope) -> str | None:
    route = scope.get("route")
    path = getattr(route, "path", None)

    return path if isinstance(path, str) else None
