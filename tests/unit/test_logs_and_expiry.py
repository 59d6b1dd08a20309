import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.credentials import RefreshableCredentials
from fastapi.testclient import TestClient

from gateway.storage import PresignedRequest


def test_one_json_line_per_request_with_route_template_and_tenant(
    client: TestClient, auth: dict[str, str], logged: io.StringIO
) -> None:
    client.post(
        "/files", json={"fileName": "a.txt", "contentType": "text/plain"}, headers=auth
    )

    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    requests = [line for line in lines if line["message"] == "request"]
    assert len(requests) == 1
    assert requests[0]["method"] == "POST"
    assert requests[0]["route"] == "/files"
    assert requests[0]["status"] == 201
    assert requests[0]["tenant"] == "acme"
    assert len(requests[0]["request_id"]) == 32


def test_a_full_upload_and_download_logs_no_signature_url_or_api_key(
    client: TestClient, auth: dict[str, str], s3: Any, logged: io.StringIO
) -> None:
    api_key = auth["Authorization"].split()[1]
    created = client.post(
        "/files", json={"fileName": "a.txt", "contentType": "text/plain"}, headers=auth
    ).json()
    s3.put_object(
        Bucket="test-bucket", Key=f"tenants/acme/{created['objectKey']}", Body=b"x"
    )
    location = client.get(f"/files/{created['objectKey']}", headers=auth).headers[
        "location"
    ]
    client.post(
        "/files", json={"fileName": "b"}, headers={"X-Api-Key": "wrong-key-123"}
    )

    everything = logged.getvalue()
    for url in (created["uploadURL"], location):
        signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
        assert signature not in everything
        assert urlsplit(url).query not in everything
    assert api_key not in everything
    assert "wrong-key-123" not in everything
    assert "request" in everything


def test_presigned_request_repr_hides_the_url() -> None:
    request = PresignedRequest(
        "https://b.s3/k?X-Amz-Signature=abc", {}, datetime.now(UTC)
    )

    assert "X-Amz-Signature" not in repr(request)


def test_expiry_is_never_later_than_the_signing_credentials(
    make_client: Any, auth: dict[str, str]
) -> None:
    client = make_client(upload_url_expires_seconds=3600)
    # Twenty minutes: beyond botocore's refresh windows, within the configured hour.
    ends = datetime.now(UTC) + timedelta(minutes=20)
    role = RefreshableCredentials(
        access_key="ASIATEMP",
        secret_key="temp-secret",
        token="session-token",
        expiry_time=ends,
        refresh_using=lambda: {},
        method="test",
    )
    storage = client.app.state.files.storage  # type: ignore[attr-defined]
    storage.credentials = role

    body = client.post(
        "/files", json={"fileName": "a.txt", "contentType": "text/plain"}, headers=auth
    ).json()

    assert datetime.fromisoformat(body["expiresAt"]) <= ends
    expires = int(parse_qs(urlsplit(body["uploadURL"]).query)["X-Amz-Expires"][0])
    assert expires <= 20 * 60
    assert "X-Amz-Security-Token" in body["uploadURL"]
