"""The errors the gateway answers with, and the one place botocore errors become them.

GatewayError                 base: an HTTP status, a stable code, a human sentence
├── InvalidJson              400  the body is not JSON
├── InvalidRequest           422  the body or the path breaks a rule
│   ├── InvalidObjectKey     422  a file name or key the gateway cannot issue or serve
│   └── InvalidParts         422  S3 refused a completion's parts (missing, wrong ETag)
├── Unauthorized             401  no credentials, or wrong ones
├── DeleteDisabled           403  deletes are switched off on this gateway
├── ObjectNotFound           404
├── UploadNotFound           404  no multipart upload with this id for this tenant's key
├── ObjectExists             409  create-only upload to a key that is taken
├── UploadTooLarge           413  declared size over the configured maximum
├── RequestTooLarge          413  request body over the gateway's limit
├── UnsupportedContentType   415
├── StorageRejected          502  S3 refused the gateway (missing bucket, access denied)
├── StorageUnavailable       503  S3 throttles or cannot be reached
└── StorageTimeout           504
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)


class GatewayError(Exception):
    """Base of every error the gateway answers with."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, detail={self.detail!r})"


class InvalidRequest(GatewayError):
    """Raised when the request body or path breaks a rule."""

    status = 422
    code = "invalid_request"
    title = "Invalid request"

    def __init__(
        self, detail: str, *, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.errors = errors


class InvalidJson(InvalidRequest):
    """Raised when the request body is not well-formed UTF-8 JSON."""

    status = 400
    code = "invalid_json"
    title = "Malformed JSON"


class InvalidObjectKey(InvalidRequest):
    """Raised when a file name or key cannot be issued or served safely."""

    code = "invalid_object_key"
    title = "Invalid object key"


class Unauthorized(GatewayError):
    """Raised when credentials are missing or wrong (the same answer for both)."""

    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class ObjectNotFound(GatewayError):
    """Raised when the named object does not exist for this caller."""

    status = 404
    code = "object_not_found"
    title = "Object not found"


class DeleteDisabled(GatewayError):
    """Raised on a delete when GATEWAY_ALLOW_DELETE is off."""

    status = 403
    code = "delete_disabled"
    title = "Deletes are switched off"


class UploadNotFound(GatewayError):
    """Raised when no multipart upload has this id for this key and tenant."""

    status = 404
    code = "upload_not_found"
    title = "Upload not found"


class InvalidParts(InvalidRequest):
    """Raised when S3 refuses a completion's parts: missing, wrong ETag, too small."""

    code = "invalid_parts"
    title = "Invalid parts"


class ObjectExists(GatewayError):
    """Raised when a create-only upload names a key that already holds an object."""

    status = 409
    code = "object_exists"
    title = "Object already exists"


class UploadTooLarge(GatewayError):
    """Raised when the declared upload size is over the configured maximum."""

    status = 413
    code = "upload_too_large"
    title = "Upload too large"


class RequestTooLarge(GatewayError):
    """Raised when the request body itself is over the gateway's limit."""

    status = 413
    code = "request_too_large"
    title = "Request body too large"


class UnsupportedContentType(GatewayError):
    """Raised when the declared content type is not on the allow-list."""

    status = 415
    code = "unsupported_content_type"
    title = "Unsupported content type"


class StorageRejected(GatewayError):
    """Raised when S3 refuses the gateway itself: missing bucket, access denied."""

    status = 502
    code = "storage_rejected"
    title = "Storage refused the gateway"


class StorageUnavailable(GatewayError):
    """Raised when S3 throttles the gateway or cannot be reached."""

    status = 503
    code = "storage_unavailable"
    title = "Storage unavailable"


class StorageTimeout(GatewayError):
    """Raised when S3 does not answer in time."""

    status = 504
    code = "storage_timeout"
    title = "Storage timed out"


_THROTTLING_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
}
_UNAVAILABLE_CODES = {"ServiceUnavailable", "InternalError", "503", "500"}
# S3 codes caused by the caller's request rather than the gateway. The gateway sends
# a condition only as If-None-Match: *, so a failed precondition means the key is taken.
_REQUEST_ERRORS: dict[str, Callable[[], GatewayError]] = {
    "NoSuchUpload": lambda: UploadNotFound(
        "No multipart upload has this id for this key; it may be completed or aborted."
    ),
    "PreconditionFailed": lambda: ObjectExists(
        "An object with this key exists; uploads never replace one unless overwrite "
        "is requested and allowed."
    ),
    "InvalidPart": lambda: InvalidParts(
        "A listed part was not uploaded, or its ETag or checksum does not match."
    ),
    "InvalidPartOrder": lambda: InvalidParts(
        "Parts must be listed in ascending order of part number."
    ),
    "EntityTooSmall": lambda: InvalidParts(
        "Every part but the last must be at least 5 MiB."
    ),
}


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn botocore failures into gateway errors that reveal no internals."""
    try:
        yield
    except ClientError as error:
        raise _from_client_error(error) from None
    except (ConnectTimeoutError, ReadTimeoutError):
        raise StorageTimeout("The storage service did not answer in time.") from None
    except (EndpointConnectionError, ConnectionError):
        raise StorageUnavailable("The storage service cannot be reached.") from None
    except BotoCoreError:
        raise StorageUnavailable("The storage service failed.") from None


def _from_client_error(error: ClientError) -> GatewayError:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in _REQUEST_ERRORS:
        return _REQUEST_ERRORS[code]()
    if code in _THROTTLING_CODES:
        return StorageUnavailable(
            "The storage service is throttling requests; retry later."
        )
    if code in _UNAVAILABLE_CODES:
        return StorageUnavailable("The storage service is unavailable; retry later.")
    return StorageRejected("The storage service refused the gateway's request.")


def client_error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def problem_body(error: GatewayError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:file-gateway:error:{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
    }
    if isinstance(error, InvalidRequest) and error.errors:
        body["errors"] = error.errors
    return body
