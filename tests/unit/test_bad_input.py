"""A table of bad input over every route.

Each gets a 4xx with a stable code, never a 500, and nothing is written to the bucket.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

VALID = {"fileName": "a.txt", "contentType": "text/plain"}
JSON = {"Content-Type": "application/json"}


def field(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


BAD_BODIES: list[tuple[str, bytes | dict[str, Any] | list[Any], int, str]] = [
    ("malformed JSON", b'{"fileName": ', 400, "invalid_json"),
    (
        "not UTF-8",
        b'{"fileName": "\xff\xfe", "contentType": "text/plain"}',
        400,
        "invalid_json",
    ),
    ("deeply nested", b"[" * 5000 + b"]" * 5000, 400, "invalid_json"),
    ("array, not object", [VALID], 422, "invalid_request"),
    ("empty object", {}, 422, "invalid_request"),
    ("missing contentType", {"fileName": "a.txt"}, 422, "invalid_request"),
    ("unknown field", field(bucket="other"), 422, "invalid_request"),
    ("fileName not a string", field(fileName=5), 422, "invalid_request"),
    ("contentType null", field(contentType=None), 422, "invalid_request"),
    ("fileName traversal", field(fileName="../../x"), 422, "invalid_object_key"),
    ("fileName NUL", field(fileName="a\x00b"), 422, "invalid_object_key"),
    ("fileName CR/LF", field(fileName="a\r\nb"), 422, "invalid_object_key"),
    ("fileName 2,000 characters", field(fileName="x" * 2000), 422, "invalid_request"),
    ("fileName empty", field(fileName=""), 422, "invalid_request"),
    (
        "contentType CR/LF",
        field(contentType="text/plain\r\nX-Evil: 1"),
        422,
        "invalid_request",
    ),
    (
        "contentType stray parameter",
        field(contentType="text/plain; charset"),
        422,
        "invalid_request",
    ),
    ("contentType no subtype", field(contentType="text"), 422, "invalid_request"),
    ("size negative", field(size=-1), 422, "invalid_request"),
    ("size zero", field(size=0), 422, "invalid_request"),
    ("size fractional", field(size=1.5), 422, "invalid_request"),
    ("size as string", field(size="10"), 422, "invalid_request"),
    ("size too big", field(size=5 * 1024**3 + 1), 413, "upload_too_large"),
    (
        "checksum not base64",
        field(checksumSHA256="not base64!" * 4),
        422,
        "invalid_request",
    ),
    ("checksum wrong length", field(checksumSHA256="AAAA"), 422, "invalid_request"),
    ("overwrite not boolean", field(overwrite="yes"), 422, "invalid_request"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_bad_upload_requests_get_a_stable_4xx_and_write_nothing(
    client: TestClient,
    auth: dict[str, str],
    s3: Any,
    body: bytes | dict[str, Any],
    status: int,
    code: str,
) -> None:
    content = body if isinstance(body, bytes) else None
    payload = None if isinstance(body, bytes) else body

    response = client.post(
        "/files", content=content, json=payload, headers={**auth, **JSON}
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert s3.list_objects_v2(Bucket="test-bucket")["KeyCount"] == 0


def test_oversized_body_is_refused_before_it_is_read(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = b'{"fileName": "' + b"x" * 20_000 + b'", "contentType": "text/plain"}'

    response = client.post("/files", content=body, headers={**auth, **JSON})

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_oversized_streamed_body_is_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 1024

    response = client.post("/files", content=chunks(), headers={**auth, **JSON})

    assert response.status_code == 413


def test_validation_errors_name_fields_as_the_client_wrote_them(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post("/files", json={"fileName": 1}, headers=auth)

    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"fileName", "contentType"}


def test_validation_errors_do_not_echo_the_input(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post(
        "/files", json=field(contentType="text/plain\r\nsecret-marker"), headers=auth
    )

    assert "secret-marker" not in response.text


BAD_PATHS = [
    ("GET", "/files/a%00b", 422, "invalid_object_key"),
    ("GET", "/files/a%0D%0Ab", 422, "invalid_object_key"),
    ("GET", "/files/a//b", 422, "invalid_object_key"),
    ("GET", "/files/%2Fetc%2Fpasswd", 422, "invalid_object_key"),
    ("GET", "/files/a/%2E%2E/b", 422, "invalid_object_key"),
    ("GET", "/files/" + "x" * 1100, 422, "invalid_object_key"),
    ("GET", "/files/50%25.txt", 422, "invalid_object_key"),
    ("GET", "/files/a.txt?attachment=maybe", 422, "invalid_request"),
    ("PUT", "/files", 405, "method_not_allowed"),
    ("GET", "/nowhere", 404, "not_found"),
]


@pytest.mark.parametrize(("method", "path", "status", "code"), BAD_PATHS)
def test_bad_paths_get_a_stable_4xx(
    client: TestClient,
    auth: dict[str, str],
    method: str,
    path: str,
    status: int,
    code: str,
) -> None:
    response = client.request(method, path, headers=auth)

    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_an_unexpected_failure_is_a_500_that_says_nothing(
    make_client: Any, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.files import Files

    async def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("internal detail: s3://secret-bucket/key")

    monkeypatch.setattr(Files, "issue_upload", explode)
    client = TestClient(make_client().app, raise_server_exceptions=False)

    response = client.post("/files", json=VALID, headers=auth)

    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret-bucket" not in response.text
