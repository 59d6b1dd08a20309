"""Multipart and form uploads, metadata, listing and deletion in-process, against moto.

moto checks no signatures and does not bind an upload id to its key, so what S3 itself
enforces (part lengths, checksums, tenants' upload ids) is proven against SeaweedFS.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from gateway.multipart import MIN_PART_SIZE

BUCKET = "test-bucket"
MiB = 1024**2
START = {"fileName": "movie.mp4", "contentType": "video/mp4", "size": 12 * MiB}
ClientFactory = Callable[..., TestClient]


def start(client: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.post("/uploads", json={**START, **fields}, headers=auth)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def send_parts(s3: Any, started: dict[str, Any], parts: list[bytes]) -> None:
    """Upload parts the way a client's PUTs would land, straight into moto."""
    for number, data in enumerate(parts, start=1):
        s3.upload_part(
            Bucket=BUCKET,
            Key=f"tenants/acme/{started['objectKey']}",
            UploadId=started["uploadId"],
            PartNumber=number,
            Body=data,
        )


def read(s3: Any, key: str) -> bytes:
    body: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def signed_headers(url: str) -> set[str]:
    return set(parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0].split(";"))


# --- multipart --------------------------------------------------------------------


def test_start_answers_upload_id_key_part_size_and_count(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    started = start(client, auth, partSize=5 * MiB)

    assert set(started) == {"uploadId", "objectKey", "partSize", "partCount"}
    assert (started["partSize"], started["partCount"]) == (5 * MiB, 3)
    assert started["objectKey"].endswith("/movie.mp4")
    uploads = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [u["Key"] for u in uploads] == [f"tenants/acme/{started['objectKey']}"]


@pytest.mark.parametrize(
    ("size", "part_size"),
    [(12 * MiB, 8 * MiB), (100 * 1024**3, 11 * MiB), (5 * 1024**4, 525 * MiB)],
)
def test_default_part_size_stays_within_ten_thousand_parts(
    client: TestClient, auth: dict[str, str], size: int, part_size: int
) -> None:
    started = start(client, auth, size=size)

    assert started["partSize"] == part_size
    assert started["partCount"] <= 10_000


def test_part_urls_bind_each_part_length_and_checksum(
    client: TestClient, auth: dict[str, str]
) -> None:
    started = start(client, auth, partSize=5 * MiB)
    checksum = sha256(b"part three")

    response = client.post(
        f"/uploads/{started['uploadId']}/parts",
        json={
            "objectKey": started["objectKey"],
            "size": 12 * MiB,
            "partSize": 5 * MiB,
            "parts": [{"partNumber": 1}, {"partNumber": 3, "checksumSHA256": checksum}],
        },
        headers=auth,
    )

    assert response.status_code == 200, response.text
    first, last = response.json()["parts"]
    assert first["headers"] == {"Content-Length": str(5 * MiB)}
    assert last["headers"] == {
        "Content-Length": str(2 * MiB),
        "x-amz-checksum-sha256": checksum,
    }
    assert signed_headers(last["uploadURL"]) >= {
        "content-length",
        "x-amz-checksum-sha256",
    }
    assert "partNumber=3" in last["uploadURL"]
    assert "/tenants/acme/" in last["uploadURL"]


def test_listed_parts_are_what_s3_holds(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    started = start(client, auth)
    send_parts(s3, started, [b"a" * MIN_PART_SIZE, b"tail"])

    response = client.get(
        f"/uploads/{started['uploadId']}/parts",
        params={"objectKey": started["objectKey"]},
        headers=auth,
    )

    assert response.status_code == 200
    parts = response.json()["parts"]
    assert [(p["partNumber"], p["size"]) for p in parts] == [(1, MIN_PART_SIZE), (2, 4)]


@pytest.mark.parametrize("name_parts", [True, False], ids=["listed", "all-stored"])
def test_completion_assembles_the_parts_into_the_object(
    client: TestClient, auth: dict[str, str], s3: Any, name_parts: bool
) -> None:
    started = start(client, auth)
    data = [b"a" * MIN_PART_SIZE, b"tail"]
    send_parts(s3, started, data)
    listed = client.get(
        f"/uploads/{started['uploadId']}/parts",
        params={"objectKey": started["objectKey"]},
        headers=auth,
    ).json()["parts"]
    body: dict[str, Any] = {"objectKey": started["objectKey"]}
    if name_parts:
        body["parts"] = [
            {"partNumber": p["partNumber"], "etag": p["etag"]} for p in listed
        ]

    response = client.post(
        f"/uploads/{started['uploadId']}/complete", json=body, headers=auth
    )

    assert response.status_code == 201, response.text
    assert response.json()["size"] == MIN_PART_SIZE + 4
    assert read(s3, f"tenants/acme/{started['objectKey']}") == b"".join(data)


def test_completion_onto_an_existing_object_is_refused(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    client = make_client(object_key_mode="original")
    started = start(client, auth, fileName="report.pdf")
    send_parts(s3, started, [b"late"])
    s3.put_object(Bucket=BUCKET, Key="tenants/acme/report.pdf", Body=b"first")

    response = client.post(
        f"/uploads/{started['uploadId']}/complete",
        json={"objectKey": "report.pdf"},
        headers=auth,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "object_exists"
    assert read(s3, "tenants/acme/report.pdf") == b"first"


def test_start_with_a_taken_name_is_refused_early(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    client = make_client(object_key_mode="original")
    s3.put_object(Bucket=BUCKET, Key="tenants/acme/report.pdf", Body=b"first")

    response = client.post(
        "/uploads", json={**START, "fileName": "report.pdf"}, headers=auth
    )

    assert response.json()["code"] == "object_exists"
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_completion_with_overwrite_replaces_where_allowed(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    client = make_client(object_key_mode="original", allow_overwrite=True)
    started = start(client, auth, fileName="report.pdf", overwrite=True)
    send_parts(s3, started, [b"second"])
    s3.put_object(Bucket=BUCKET, Key="tenants/acme/report.pdf", Body=b"first")

    response = client.post(
        f"/uploads/{started['uploadId']}/complete",
        json={"objectKey": "report.pdf", "overwrite": True},
        headers=auth,
    )

    assert response.status_code == 201
    assert read(s3, "tenants/acme/report.pdf") == b"second"


def test_completion_naming_a_part_never_uploaded_is_refused(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    started = start(client, auth)
    send_parts(s3, started, [b"only"])

    response = client.post(
        f"/uploads/{started['uploadId']}/complete",
        json={
            "objectKey": started["objectKey"],
            "parts": [{"partNumber": 2, "etag": '"abc"'}],
        },
        headers=auth,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_parts"


def test_completion_with_no_parts_uploaded_is_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    started = start(client, auth)

    response = client.post(
        f"/uploads/{started['uploadId']}/complete",
        json={"objectKey": started["objectKey"]},
        headers=auth,
    )

    assert response.json()["code"] == "invalid_parts"


def test_completion_over_the_size_limit_counts_the_bytes_s3_holds(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    client = make_client(max_multipart_upload_bytes=MIN_PART_SIZE)
    started = start(client, auth, size=MIN_PART_SIZE)
    send_parts(s3, started, [b"a" * MIN_PART_SIZE, b"one byte too many"])

    response = client.post(
        f"/uploads/{started['uploadId']}/complete",
        json={"objectKey": started["objectKey"]},
        headers=auth,
    )

    assert response.status_code == 413
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_abort_answers_204_and_forgets_the_upload(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    started = start(client, auth)
    send_parts(s3, started, [b"part"])
    where = f"/uploads/{started['uploadId']}"
    key = {"objectKey": started["objectKey"]}

    aborted = client.delete(where, params=key, headers=auth)

    assert aborted.status_code == 204
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    listed = client.get(f"{where}/parts", params=key, headers=auth)
    assert (listed.status_code, listed.json()["code"]) == (404, "upload_not_found")
    again = client.delete(where, params=key, headers=auth)
    assert again.json()["code"] == "upload_not_found"


def test_another_tenants_calls_name_their_own_prefix(
    client: TestClient,
    auth: dict[str, str],
    api_keys: dict[str, tuple[str, str]],
    s3: Any,
) -> None:
    started = start(client, auth)
    globex = {"X-Api-Key": api_keys["globex"][0]}

    response = client.post(
        f"/uploads/{started['uploadId']}/parts",
        json={
            "objectKey": started["objectKey"],
            "size": 12 * MiB,
            "partSize": 8 * MiB,
            "parts": [{"partNumber": 1}],
        },
        headers=globex,
    )

    url = response.json()["parts"][0]["uploadURL"]
    assert "/tenants/globex/" in url
    assert "/tenants/acme/" not in url


# --- form uploads -----------------------------------------------------------------


def policy_of(form: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(base64.b64decode(form["fields"]["policy"]))
    return policy


def test_form_upload_policy_holds_key_type_and_length_range(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post(
        "/files/form",
        json={"fileName": "a.png", "contentType": "image/png", "maxSize": 1000},
        headers=auth,
    )

    assert response.status_code == 201, response.text
    form = response.json()
    assert form["method"] == "POST"
    assert form["maxSize"] == 1000
    assert form["fields"]["key"] == f"tenants/acme/{form['objectKey']}"
    conditions = policy_of(form)["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 1000] in conditions
    assert {"key": form["fields"]["key"]} in conditions


def test_form_upload_defaults_to_the_gateways_size_limit(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    client = make_client(max_upload_bytes=4096)

    form = client.post(
        "/files/form",
        json={"fileName": "a.png", "contentType": "image/png"},
        headers=auth,
    ).json()

    assert ["content-length-range", 1, 4096] in policy_of(form)["conditions"]


def test_form_upload_to_a_chosen_name_needs_overwrite(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    client = make_client(object_key_mode="original")

    response = client.post(
        "/files/form",
        json={"fileName": "a.png", "contentType": "image/png"},
        headers=auth,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "overwrite"


# --- metadata, listing, deletion --------------------------------------------------


def test_json_accept_answers_metadata_instead_of_a_redirect(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key="tenants/acme/a/b.txt",
        Body=b"hello",
        ContentType="text/plain",
    )

    response = client.get(
        "/files/a/b.txt", headers={**auth, "Accept": "application/json"}
    )

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("objectKey", "size", "contentType")} == {
        "objectKey": "a/b.txt",
        "size": 5,
        "contentType": "text/plain",
    }
    assert body["etag"] == f'"{hashlib.md5(b"hello").hexdigest()}"'  # noqa: S324
    assert {"lastModified", "downloadURL", "expiresAt"} <= set(body)
    assert "/tenants/acme/a/b.txt" in body["downloadURL"]
    assert "Accept" in response.headers["vary"]


@pytest.mark.parametrize("accept", ["*/*", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_other_accept_headers_still_get_the_redirect(
    client: TestClient, auth: dict[str, str], s3: Any, accept: str
) -> None:
    s3.put_object(Bucket=BUCKET, Key="tenants/acme/a.txt", Body=b"x")

    response = client.get("/files/a.txt", headers={**auth, "Accept": accept})

    assert response.status_code == 302


def test_metadata_of_a_missing_key_is_404(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get("/files/none", headers={**auth, "Accept": "application/json"})

    assert response.json()["code"] == "object_not_found"


def put_files(s3: Any, tenant: str, keys: list[str]) -> None:
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=f"tenants/{tenant}/{key}", Body=key.encode())


def list_all(
    client: TestClient, auth: dict[str, str], **params: Any
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/files", params=query, headers=auth).json()
        pages.append([entry["objectKey"] for entry in page["files"]])
        cursor = page["nextCursor"]
        if cursor is None:
            return pages


def test_listing_pages_through_the_tenants_files_only(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    put_files(s3, "acme", ["a.txt", "b/c.txt", "b/d.txt", "e+f=g.txt", "z.txt"])
    put_files(s3, "globex", ["secret.txt"])
    put_files(s3, "acme2", ["neighbour.txt"])

    pages = list_all(client, auth, limit=2)

    assert pages == [["a.txt", "b/c.txt"], ["b/d.txt", "e+f=g.txt"], ["z.txt"]]


def test_listing_filters_by_prefix(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    put_files(s3, "acme", ["a.txt", "b/c.txt", "b/d.txt"])

    response = client.get("/files", params={"prefix": "b/"}, headers=auth).json()

    assert [entry["objectKey"] for entry in response["files"]] == ["b/c.txt", "b/d.txt"]
    assert set(response["files"][0]) == {"objectKey", "size", "etag", "lastModified"}


def test_page_size_is_capped_by_the_setting(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    client = make_client(max_list_page_size=2)
    put_files(s3, "acme", ["a", "b", "c"])

    page = client.get("/files", params={"limit": 500}, headers=auth).json()

    assert len(page["files"]) == 2
    assert page["nextCursor"] is not None


def test_delete_answers_204_then_404(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    put_files(s3, "acme", ["a/b.txt"])

    first = client.delete("/files/a/b.txt", headers=auth)
    second = client.delete("/files/a/b.txt", headers=auth)

    assert first.status_code == 204
    assert (second.status_code, second.json()["code"]) == (404, "object_not_found")
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_delete_never_reaches_another_tenants_file(
    client: TestClient, api_keys: dict[str, tuple[str, str]], s3: Any
) -> None:
    put_files(s3, "acme", ["a.txt"])

    response = client.delete(
        "/files/a.txt", headers={"X-Api-Key": api_keys["globex"][0]}
    )

    assert response.status_code == 404
    assert read(s3, "tenants/acme/a.txt") == b"a.txt"


def test_delete_can_be_switched_off(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    client = make_client(allow_delete=False)
    put_files(s3, "acme", ["a.txt"])

    response = client.delete(f"/files/{quote('a.txt')}", headers=auth)

    assert (response.status_code, response.json()["code"]) == (403, "delete_disabled")
    assert read(s3, "tenants/acme/a.txt") == b"a.txt"


def test_new_routes_are_in_the_openapi_schema_with_wire_names(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()

    assert {
        "/uploads",
        "/uploads/{uploadId}/parts",
        "/uploads/{uploadId}/complete",
        "/uploads/{uploadId}",
        "/files/form",
    } <= set(schema["paths"])
    started = schema["components"]["schemas"]["MultipartResponse"]["properties"]
    assert set(started) == {"uploadId", "objectKey", "partSize", "partCount"}
