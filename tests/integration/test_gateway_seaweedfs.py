"""The gateway over real HTTP (uvicorn) against SeaweedFS, which checks signatures.

Every promise the gateway makes about an upload is shown here to be refused by the
storage engine itself when a client breaks it.
"""

import base64
import hashlib
import time
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import pytest

from tests.integration.gateway_server import ACME, GLOBEX, Gateway


def request_upload(base: str, auth: dict[str, str], **fields: Any) -> httpx.Response:
    body = {"fileName": "file.bin", "contentType": "application/octet-stream", **fields}
    return httpx.post(f"{base}/files", json=body, headers=auth)


def issue(base: str, auth: dict[str, str] = ACME, **fields: Any) -> dict[str, Any]:
    response = request_upload(base, auth, **fields)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def put(
    issued: dict[str, Any], data: bytes, **header_changes: str | None
) -> httpx.Response:
    headers = {**issued["headers"], **header_changes}
    sent = {name: value for name, value in headers.items() if value is not None}
    return httpx.put(issued["uploadURL"], content=data, headers=sent)


def download(
    base: str, key: str, auth: dict[str, str] = ACME, query: str = ""
) -> httpx.Response:
    redirect = httpx.get(f"{base}/files/{quote(key)}{query}", headers=auth)
    assert redirect.status_code == 302, redirect.text
    # The pre-signed URL is the credential: no gateway auth header goes to S3.
    return httpx.get(redirect.headers["location"])


def s3_error_code(response: httpx.Response) -> str:
    text = response.text
    start = text.find("<Code>")
    return text[start + 6 : text.find("</Code>")] if start >= 0 else ""


@pytest.mark.parametrize(
    "file_name",
    [
        "hello.txt",
        "name with spaces.txt",
        "a+b=c.bin",
        "résumé final+v2 (1)=x.pdf",
        "folder/sub folder/日本語 ファイル.txt",
        "100% odd?#name.txt",
    ],
)
def test_bytes_round_trip_exactly(gateway: Gateway, file_name: str) -> None:
    base = gateway()
    data = bytes(range(256)) * 40 + file_name.encode()
    issued = issue(base, fileName=file_name, contentType="application/pdf")

    assert put(issued, data).status_code == 200
    assert download(base, issued["objectKey"]).content == data


def test_keys_round_trip_with_every_slash_percent_encoded(gateway: Gateway) -> None:
    base = gateway()
    issued = issue(base, fileName="uploads/ab/a.png", contentType="image/png")
    put(issued, b"png bytes")

    redirect = httpx.get(
        f"{base}/files/{quote(issued['objectKey'], safe='')}", headers=ACME
    )

    assert httpx.get(redirect.headers["location"]).content == b"png bytes"


def test_original_name_mode_round_trips_the_name_as_key(gateway: Gateway) -> None:
    base = gateway(object_key_mode="original")
    issued = issue(base, fileName="reports/résumé final+v2 (1)=x.pdf")

    assert issued["objectKey"] == "reports/résumé final+v2 (1)=x.pdf"
    put(issued, b"pdf")
    assert download(base, issued["objectKey"]).content == b"pdf"


def test_put_with_another_content_type_is_refused_by_s3(gateway: Gateway) -> None:
    base = gateway()
    issued = issue(base, contentType="image/png")

    response = put(issued, b"jpeg bytes", **{"Content-Type": "image/jpeg"})

    assert response.status_code == 403
    assert s3_error_code(response) == "SignatureDoesNotMatch"
    assert (
        httpx.get(f"{base}/files/{issued['objectKey']}", headers=ACME).status_code
        == 404
    )


def test_expired_url_is_refused_by_s3(gateway: Gateway) -> None:
    base = gateway(upload_url_expires_seconds=1)
    issued = issue(base)

    time.sleep(2.1)
    response = put(issued, b"late")

    assert response.status_code == 403
    assert s3_error_code(response) == "AccessDenied"


def test_tampered_signature_is_refused_by_s3(gateway: Gateway) -> None:
    issued = issue(gateway())
    url = issued["uploadURL"]
    signature = url.rsplit("X-Amz-Signature=", 1)[1][:64]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

    response = put({**issued, "uploadURL": url.replace(signature, flipped)}, b"x")

    assert response.status_code == 403
    assert s3_error_code(response) == "SignatureDoesNotMatch"


def test_second_write_to_an_existing_key_is_refused_by_s3(gateway: Gateway) -> None:
    base = gateway(object_key_mode="original")
    first = issue(base, fileName="once.txt")
    second = issue(base, fileName="once.txt")

    assert put(first, b"original").status_code == 200
    assert put(second, b"replacement").status_code == 412
    assert put(first, b"replacement").status_code == 412
    assert download(base, "once.txt").content == b"original"


def test_post_answers_409_once_the_key_exists(gateway: Gateway) -> None:
    base = gateway(object_key_mode="original")
    put(issue(base, fileName="taken.txt"), b"x")

    response = request_upload(base, ACME, fileName="taken.txt")

    assert response.status_code == 409


def test_allowed_overwrite_replaces_the_object(gateway: Gateway) -> None:
    base = gateway(object_key_mode="original", allow_overwrite=True)
    put(issue(base, fileName="v.txt"), b"one")

    assert put(issue(base, fileName="v.txt", overwrite=True), b"two").status_code == 200
    assert download(base, "v.txt").content == b"two"


@pytest.mark.parametrize("length", [3, 5, 0])
def test_put_whose_length_differs_from_the_declared_size_is_refused(
    gateway: Gateway, length: int
) -> None:
    issued = issue(gateway(), size=4)

    response = put(issued, b"x" * length, **{"Content-Length": str(length)})

    assert response.status_code == 403
    assert s3_error_code(response) == "SignatureDoesNotMatch"


def test_declared_size_and_checksum_accept_the_right_bytes(gateway: Gateway) -> None:
    base = gateway()
    data = b"exact bytes"
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    issued = issue(base, size=len(data), checksumSHA256=checksum)

    assert put(issued, data).status_code == 200
    assert download(base, issued["objectKey"]).content == data


def test_bytes_that_do_not_match_the_checksum_are_refused_by_s3(
    gateway: Gateway,
) -> None:
    base = gateway()
    checksum = base64.b64encode(hashlib.sha256(b"expected").digest()).decode()
    issued = issue(base, checksumSHA256=checksum)

    response = put(issued, b"tampered")

    assert response.status_code == 400
    assert s3_error_code(response) == "BadDigest"
    assert (
        httpx.get(f"{base}/files/{issued['objectKey']}", headers=ACME).status_code
        == 404
    )


def test_url_for_one_key_cannot_write_another(gateway: Gateway) -> None:
    base = gateway(object_key_mode="original")
    issued = issue(base, fileName="mine.txt")
    parts = urlsplit(issued["uploadURL"])
    for other_path in (
        parts.path.replace("mine.txt", "other.txt"),
        parts.path.replace("/acme/", "/globex/"),
    ):
        forged = urlunsplit(parts._replace(path=other_path))

        response = put({**issued, "uploadURL": forged}, b"x")

        assert response.status_code == 403


def test_another_tenant_can_neither_read_nor_replace_an_object(
    gateway: Gateway,
) -> None:
    base = gateway(object_key_mode="original")
    put(issue(base, fileName="private.txt"), b"acme data")

    assert httpx.get(f"{base}/files/private.txt", headers=GLOBEX).status_code == 404
    theirs = issue(base, GLOBEX, fileName="private.txt")
    assert put(theirs, b"globex data").status_code == 200
    assert download(base, "private.txt").content == b"acme data"
    assert download(base, "private.txt", GLOBEX).content == b"globex data"


def test_attachment_download_carries_an_encoded_content_disposition(
    gateway: Gateway,
) -> None:
    base = gateway()
    issued = issue(base, fileName='résumé "final".pdf')
    put(issued, b"pdf")

    response = download(base, issued["objectKey"], query="?attachment=true")

    assert response.headers["content-disposition"] == (
        'attachment; filename="r_sum_ _final_.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    )


def test_missing_bucket_is_a_502(gateway: Gateway) -> None:
    base = gateway(bucket_name="no-such-bucket-here")

    response = httpx.get(f"{base}/files/a.txt", headers=ACME)

    assert response.status_code == 502
    assert response.json()["code"] == "storage_rejected"


def test_wrong_storage_credentials_are_a_502_without_internals(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    base = gateway()

    response = httpx.get(f"{base}/files/a.txt", headers=ACME)

    assert response.status_code == 502
    assert "Signature" not in response.text
