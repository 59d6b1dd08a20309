"""A table of bad input over the multipart, form, list and delete routes.

Each gets a 4xx with a stable code, never a 500, and nothing is written to the bucket.
"""

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

MiB = 1024**2
START = {"fileName": "a.bin", "contentType": "application/octet-stream", "size": 1}
SIGN = {"objectKey": "a.bin", "size": 12 * MiB, "partSize": 5 * MiB}
FORM = {"fileName": "a.png", "contentType": "image/png"}
UPLOAD_ID = "abc123"


def start(**changes: Any) -> tuple[str, str, Any]:
    return ("POST", "/uploads", {**START, **changes})


def sign(**changes: Any) -> tuple[str, str, Any]:
    body = {**SIGN, "parts": [{"partNumber": 1}], **changes}
    return ("POST", f"/uploads/{UPLOAD_ID}/parts", body)


def complete(**changes: Any) -> tuple[str, str, Any]:
    return ("POST", f"/uploads/{UPLOAD_ID}/complete", {"objectKey": "a.bin", **changes})


def form(**changes: Any) -> tuple[str, str, Any]:
    return ("POST", "/files/form", {**FORM, **changes})


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


BAD_REQUESTS: list[tuple[str, tuple[str, str, Any], int, str]] = [
    ("start: no size", ("POST", "/uploads", FORM), 422, "invalid_request"),
    ("start: size zero", start(size=0), 422, "invalid_request"),
    ("start: size as string", start(size="12"), 422, "invalid_request"),
    ("start: size over 5 TiB", start(size=5 * 1024**4 + 1), 413, "upload_too_large"),
    ("start: part under 5 MiB", start(partSize=MiB), 422, "invalid_request"),
    ("start: part over 5 GiB", start(partSize=5 * 1024**3 + 1), 422, "invalid_request"),
    (
        "start: over 10,000 parts",
        start(size=100 * 1024**3, partSize=5 * MiB),
        422,
        "invalid_request",
    ),
    ("start: MD5 checksums", start(checksumAlgorithm="MD5"), 422, "invalid_request"),
    ("start: unknown field", start(bucket="other"), 422, "invalid_request"),
    ("start: traversal", start(fileName="../../x"), 422, "invalid_object_key"),
    ("start: bad content type", start(contentType="text"), 422, "invalid_request"),
    ("start: overwrite off", start(overwrite=True), 422, "invalid_request"),
    ("sign: no parts", sign(parts=[]), 422, "invalid_request"),
    (
        "sign: 101 parts",
        sign(parts=[{"partNumber": n} for n in range(1, 102)]),
        422,
        "invalid_request",
    ),
    ("sign: part zero", sign(parts=[{"partNumber": 0}]), 422, "invalid_request"),
    ("sign: part 10,001", sign(parts=[{"partNumber": 10_001}]), 422, "invalid_request"),
    ("sign: past the last", sign(parts=[{"partNumber": 4}]), 422, "invalid_request"),
    ("sign: small parts", sign(partSize=MiB), 422, "invalid_request"),
    (
        "sign: bad checksum",
        sign(parts=[{"partNumber": 1, "checksumSHA256": "AAAA"}]),
        422,
        "invalid_request",
    ),
    ("sign: traversal key", sign(objectKey="../x"), 422, "invalid_object_key"),
    ("sign: no key", sign(objectKey=None), 422, "invalid_request"),
    (
        "sign: id with a space",
        ("POST", "/uploads/a%20b/parts", sign()[2]),
        422,
        "invalid_request",
    ),
    (
        "list parts: no key",
        ("GET", f"/uploads/{UPLOAD_ID}/parts", None),
        422,
        "invalid_request",
    ),
    (
        "list parts: NUL in key",
        ("GET", f"/uploads/{UPLOAD_ID}/parts?objectKey=a%00b", None),
        422,
        "invalid_object_key",
    ),
    (
        "list parts: unknown id",
        ("GET", f"/uploads/{UPLOAD_ID}/parts?objectKey=a.bin", None),
        404,
        "upload_not_found",
    ),
    ("complete: unknown id", complete(), 404, "upload_not_found"),
    (
        "complete: etag with a quote inside",
        complete(parts=[{"partNumber": 1, "etag": 'a"b'}]),
        422,
        "invalid_request",
    ),
    ("complete: empty parts", complete(parts=[]), 422, "invalid_request"),
    ("complete: overwrite off", complete(overwrite=True), 422, "invalid_request"),
    (
        "abort: no key",
        ("DELETE", f"/uploads/{UPLOAD_ID}", None),
        422,
        "invalid_request",
    ),
    (
        "abort: unknown id",
        ("DELETE", f"/uploads/{UPLOAD_ID}?objectKey=a.bin", None),
        404,
        "upload_not_found",
    ),
    ("form: maxSize zero", form(maxSize=0), 422, "invalid_request"),
    (
        "form: maxSize over limit",
        form(maxSize=5 * 1024**3 + 1),
        413,
        "upload_too_large",
    ),
    ("form: unknown field", form(size=3), 422, "invalid_request"),
    ("form: bad content type", form(contentType="a\r\nb"), 422, "invalid_request"),
    ("list: limit zero", ("GET", "/files?limit=0", None), 422, "invalid_request"),
    ("list: limit 1001", ("GET", "/files?limit=1001", None), 422, "invalid_request"),
    ("list: limit text", ("GET", "/files?limit=ten", None), 422, "invalid_request"),
    (
        "list: cursor not base64",
        ("GET", "/files?cursor=!!!", None),
        422,
        "invalid_request",
    ),
    (
        "list: cursor holding a line break",
        ("GET", "/files?cursor=" + cursor_of("a\nb"), None),
        422,
        "invalid_request",
    ),
    ("list: prefix NUL", ("GET", "/files?prefix=a%00", None), 422, "invalid_request"),
    ("delete: NUL", ("DELETE", "/files/a%00b", None), 422, "invalid_object_key"),
    (
        "delete: traversal",
        ("DELETE", "/files/a/%2E%2E/b", None),
        422,
        "invalid_object_key",
    ),
    (
        "metadata: NUL",
        ("GET", "/files/a%00b?x=1", None),
        422,
        "invalid_object_key",
    ),
]


@pytest.mark.parametrize(
    ("request_", "status", "code"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_bad_lifecycle_requests_get_a_stable_4xx_and_write_nothing(
    client: TestClient,
    auth: dict[str, str],
    s3: Any,
    request_: tuple[str, str, Any],
    status: int,
    code: str,
) -> None:
    method, path, body = request_
    headers = {**auth, "Accept": "application/json"}

    response = client.request(method, path, json=body, headers=headers)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert s3.list_objects_v2(Bucket="test-bucket")["KeyCount"] == 0
    assert s3.list_multipart_uploads(Bucket="test-bucket").get("Uploads", []) == []


def test_completion_listing_a_part_twice_is_refused(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    started = client.post("/uploads", json=START, headers=auth).json()
    s3.upload_part(
        Bucket="test-bucket",
        Key=f"tenants/acme/{started['objectKey']}",
        UploadId=started["uploadId"],
        PartNumber=1,
        Body=b"x",
    )
    part = {"partNumber": 1, "etag": '"abc"'}

    response = client.post(
        f"/uploads/{started['uploadId']}/complete",
        json={"objectKey": started["objectKey"], "parts": [part, part]},
        headers=auth,
    )

    assert (response.status_code, response.json()["code"]) == (422, "invalid_parts")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/uploads"),
        ("POST", f"/uploads/{UPLOAD_ID}/parts"),
        ("GET", f"/uploads/{UPLOAD_ID}/parts?objectKey=a"),
        ("POST", f"/uploads/{UPLOAD_ID}/complete"),
        ("DELETE", f"/uploads/{UPLOAD_ID}?objectKey=a"),
        ("POST", "/files/form"),
        ("GET", "/files"),
        ("DELETE", "/files/a.txt"),
    ],
)
def test_every_new_route_needs_credentials(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, json={})

    assert response.status_code == 401
