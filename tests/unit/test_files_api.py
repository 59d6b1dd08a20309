"""The HTTP API in-process, against moto. Signatures are proven against SeaweedFS."""

import base64
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

UPLOAD = {"fileName": "cat.png", "contentType": "image/png"}
ClientFactory = Callable[..., TestClient]


def upload(client: TestClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = client.post("/files", json={**UPLOAD, **fields}, headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def put(s3: Any, key: str, data: bytes = b"data") -> None:
    s3.put_object(Bucket="test-bucket", Key=f"tenants/acme/{key}", Body=data)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_post_files_answers_201_with_the_contract_fields(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = upload(client, auth)

    assert set(body) == {"uploadURL", "objectKey", "method", "headers", "expiresAt"}
    assert body["method"] == "PUT"
    assert body["headers"] == {"Content-Type": "image/png", "If-None-Match": "*"}
    assert body["objectKey"].endswith("/cat.png")
    assert body["expiresAt"].endswith("Z")


def test_urls_are_sigv4_even_in_us_east_1(
    client: TestClient, auth: dict[str, str]
) -> None:
    url = upload(client, auth)["uploadURL"]

    assert query(url)["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert "AWSAccessKeyId=" not in url
    assert query(url)["X-Amz-Expires"] == "300"


def test_signature_binds_content_type_and_create_only_condition(
    client: TestClient, auth: dict[str, str]
) -> None:
    signed = query(upload(client, auth)["uploadURL"])["X-Amz-SignedHeaders"].split(";")

    assert {"content-type", "if-none-match", "host"} <= set(signed)


def test_bucket_region_comes_from_configuration_not_from_where_code_runs(
    monkeypatch: pytest.MonkeyPatch,
    make_client: ClientFactory,
    auth: dict[str, str],
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = make_client(bucket_region="eu-west-2")

    url = upload(client, auth)["uploadURL"]

    assert urlsplit(url).hostname == "test-bucket.s3.eu-west-2.amazonaws.com"
    assert "/eu-west-2/s3/aws4_request" in query(url)["X-Amz-Credential"]


def test_china_regions_use_their_own_domain(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    client = make_client(bucket_region="cn-north-1")

    url = upload(client, auth)["uploadURL"]
    storage = client.app.state.files.storage  # type: ignore[attr-defined]

    assert urlsplit(url).hostname == "test-bucket.s3.cn-north-1.amazonaws.com.cn"
    assert storage.client.meta.endpoint_url == "https://s3.cn-north-1.amazonaws.com.cn"


def test_custom_endpoint_gets_path_style_urls_on_its_host(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    client = make_client(s3_endpoint_url="http://127.0.0.1:8333")

    url = urlsplit(upload(client, auth)["uploadURL"])

    assert (url.scheme, url.netloc) == ("http", "127.0.0.1:8333")
    assert url.path.startswith("/test-bucket/tenants/acme/")


def test_size_and_checksum_are_signed_and_listed_as_headers(
    client: TestClient, auth: dict[str, str]
) -> None:
    checksum = base64.b64encode(hashlib.sha256(b"data").digest()).decode()

    body = upload(client, auth, size=4, checksumSHA256=checksum)

    assert body["headers"]["Content-Length"] == "4"
    assert body["headers"]["x-amz-checksum-sha256"] == checksum
    signed = query(body["uploadURL"])["X-Amz-SignedHeaders"].split(";")
    assert {"content-length", "x-amz-checksum-sha256"} <= set(signed)


def test_get_redirects_302_to_a_presigned_download(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    put(s3, "a/b.png")

    response = client.get("/files/a/b.png", headers=auth)

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert unquote(location.path) == "/tenants/acme/a/b.png"
    assert query(response.headers["location"])["X-Amz-Expires"] == "3600"


@pytest.mark.parametrize("status", [303, 307])
def test_redirect_status_is_configurable(
    make_client: ClientFactory, auth: dict[str, str], s3: Any, status: int
) -> None:
    put(s3, "x.txt")

    response = make_client(redirect_status_code=status).get(
        "/files/x.txt", headers=auth
    )

    assert response.status_code == status


@pytest.mark.parametrize(
    "path",
    [
        "/files/uploads/ab/a.png",
        "/files/uploads%2Fab%2Fa.png",
        "/files/uploads%2Fab/a.png",
    ],
)
def test_raw_and_percent_encoded_slashes_reach_the_same_key(
    client: TestClient, auth: dict[str, str], s3: Any, path: str
) -> None:
    put(s3, "uploads/ab/a.png")

    response = client.get(path, headers=auth)

    assert response.status_code == 302
    assert unquote(urlsplit(response.headers["location"]).path).endswith(
        "uploads/ab/a.png"
    )


def test_issued_key_round_trips_for_awkward_names(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    key = upload(client, auth, fileName="dir/résumé final+v2 (1)=x.pdf")["objectKey"]
    put(s3, key)

    response = client.get(f"/files/{key}", headers=auth)

    assert response.status_code == 302


def test_missing_object_answers_404_json_not_a_redirect(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.get("/files/nothing/here.txt", headers=auth)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "object_not_found"


def test_another_tenant_cannot_read_an_object(
    client: TestClient,
    api_keys: dict[str, tuple[str, str]],
    auth: dict[str, str],
    s3: Any,
) -> None:
    put(s3, "secret.txt")
    other = {"X-Api-Key": api_keys["globex"][0]}

    assert client.get("/files/secret.txt", headers=auth).status_code == 302
    assert client.get("/files/secret.txt", headers=other).status_code == 404
    assert client.get("/files/../acme/secret.txt", headers=other).status_code in {
        404,
        422,
    }


def test_original_name_mode_answers_409_for_a_taken_key(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    put(s3, "report.pdf")
    client = make_client(object_key_mode="original")

    response = client.post(
        "/files",
        json={"fileName": "report.pdf", "contentType": "application/pdf"},
        headers=auth,
    )

    assert response.status_code == 409
    assert response.json()["code"] == "object_exists"


def test_overwrite_needs_the_setting_and_then_drops_the_condition(
    make_client: ClientFactory, auth: dict[str, str], s3: Any
) -> None:
    put(s3, "report.pdf")
    request = {
        "fileName": "report.pdf",
        "contentType": "application/pdf",
        "overwrite": True,
    }

    refused = make_client(object_key_mode="original").post(
        "/files", json=request, headers=auth
    )
    allowed = make_client(object_key_mode="original", allow_overwrite=True).post(
        "/files", json=request, headers=auth
    )

    assert refused.status_code == 422
    assert allowed.status_code == 201
    assert "If-None-Match" not in allowed.json()["headers"]


def test_size_over_the_maximum_answers_413(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    client = make_client(max_upload_bytes=1000)

    response = client.post("/files", json={**UPLOAD, "size": 1001}, headers=auth)

    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"


def test_a_limit_below_s3s_own_makes_size_required_so_s3_can_enforce_it(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    client = make_client(max_upload_bytes=1024)

    undeclared = client.post("/files", json=UPLOAD, headers=auth)
    declared = client.post("/files", json={**UPLOAD, "size": 1024}, headers=auth)

    assert undeclared.status_code == 422
    assert undeclared.json()["errors"] == [{"field": "size", "message": "required"}]
    assert declared.json()["headers"]["Content-Length"] == "1024"


def test_size_can_be_required(make_client: ClientFactory, auth: dict[str, str]) -> None:
    response = make_client(require_size=True).post("/files", json=UPLOAD, headers=auth)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "size", "message": "required"}]


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("image/png", 201),
        ("image/svg+xml", 201),
        ("application/pdf", 201),
        ("text/html", 415),
    ],
)
def test_content_type_allow_list_with_wildcards(
    make_client: ClientFactory, auth: dict[str, str], content_type: str, status: int
) -> None:
    client = make_client(allowed_content_types=["image/*", "application/pdf"])

    response = client.post(
        "/files", json={"fileName": "f", "contentType": content_type}, headers=auth
    )

    assert response.status_code == status


def test_attachment_download_signs_a_content_disposition_override(
    client: TestClient, auth: dict[str, str], s3: Any
) -> None:
    put(s3, 'dir/résumé "1".pdf')

    response = client.get('/files/dir/résumé "1".pdf?attachment=true', headers=auth)

    disposition = query(response.headers["location"])["response-content-disposition"]
    assert disposition == (
        'attachment; filename="r_sum_ _1_.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf"
    )


def test_unauthenticated_requests_get_401_with_a_challenge(client: TestClient) -> None:
    response = client.post("/files", json=UPLOAD)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthorized"


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    assert len(client.get("/health").headers["x-request-id"]) == 32


def test_cors_preflight_from_an_allowed_origin(make_client: ClientFactory) -> None:
    client = make_client(cors_allow_origins=["https://app.example"])

    response = client.options(
        "/files",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_cors_preflight_from_another_origin_is_not_allowed(
    make_client: ClientFactory,
) -> None:
    client = make_client(cors_allow_origins=["https://app.example"])

    response = client.options(
        "/files",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
        },
    )

    assert "access-control-allow-origin" not in response.headers


def test_openapi_schema_uses_the_wire_names(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]

    assert set(schemas["UploadResponse"]["properties"]) == {
        "uploadURL",
        "objectKey",
        "method",
        "headers",
        "expiresAt",
    }
    assert {"fileName", "contentType"} <= set(schemas["UploadRequest"]["properties"])
    assert set(schemas["UploadRequest"]["required"]) == {"fileName", "contentType"}


def test_missing_bucket_is_a_502_that_reveals_nothing(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    response = make_client(bucket_name="no-such-bucket").get(
        "/files/x.txt", headers=auth
    )

    assert response.status_code == 502
    assert response.json()["code"] == "storage_rejected"
    assert "no-such-bucket" not in response.text


def test_unreachable_storage_is_a_503(
    make_client: ClientFactory, auth: dict[str, str]
) -> None:
    # Port 9 (discard) on loopback: nothing listens there, so the connection is refused.
    client = make_client(s3_endpoint_url="http://127.0.0.1:9")

    from moto import mock_aws

    with mock_aws(
        config={"core": {"passthrough": {"urls": [r"http://127\.0\.0\.1:9/.*"]}}}
    ):
        response = client.get("/files/x.txt", headers=auth)

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert "127.0.0.1" not in response.text


def test_openapi_declares_how_to_authenticate_and_summarises_routes(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()

    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    upload = document["paths"]["/files"]["post"]
    assert upload["summary"] == "Issue a pre-signed upload URL."
    assert upload["security"] == [{"bearer": []}, {"apiKey": []}]
    assert document["paths"]["/health"]["get"]["security"] == []


def test_form_upload_name_cannot_become_a_key_prefix(
    client: TestClient, auth: dict[str, str]
) -> None:
    # boto3 turns a key ending in ${filename} into a starts-with condition.
    response = client.post(
        "/files/form",
        json={"fileName": "x/${filename}", "contentType": "text/plain"},
        headers=auth,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_object_key"
