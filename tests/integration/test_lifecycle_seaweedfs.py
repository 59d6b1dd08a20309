"""The whole file lifecycle over real HTTP against SeaweedFS, driven by the client.

Multipart uploads interrupted and resumed, aborted, and refused across tenants; form
uploads refused by S3 over their size limit; listing and deletion per tenant.
SeaweedFS refuses parts under 5 MiB (EntityTooSmall), so multipart files here are a
little over two parts of the smallest size S3 allows.
"""

import base64
import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.exceptions import ClientError

from gateway.cli import main as cli
from gateway.client import GatewayClient, TransferError
from gateway.multipart import MIN_PART_SIZE
from tests.integration.gateway_server import ACME, ACME_KEY, GLOBEX, GLOBEX_KEY, Gateway
from tests.integration.seaweedfs import SeaweedFS

FILE_SIZE = 2 * MIN_PART_SIZE + 123_457


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP that remembers each request, and can fail chosen part PUTs."""

    def __init__(self, fail_parts: frozenset[int] = frozenset()) -> None:
        self.real = httpx.HTTPTransport()
        self.fail_parts = fail_parts
        self.requests: list[tuple[str, str]] = []
        self.parts_sent: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        part = request.url.params.get("partNumber")
        if request.method == "PUT" and part is not None:
            if int(part) in self.fail_parts:
                raise httpx.ConnectError("connection lost", request=request)
            self.parts_sent.append(int(part))
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


def make_file(path: Path, size: int = FILE_SIZE) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def client_for(
    base: str, state_dir: Path, api_key: str = ACME_KEY, **options: Any
) -> GatewayClient:
    return GatewayClient(
        base,
        api_key,
        part_size=MIN_PART_SIZE,
        multipart_threshold=MIN_PART_SIZE,
        workers=3,
        state_dir=state_dir,
        **options,
    )


def problem_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json().get("code"))


def s3_error_code(response: httpx.Response) -> str:
    text = response.text
    start = text.find("<Code>")
    return text[start + 6 : text.find("</Code>")] if start >= 0 else ""


def start_upload(base: str, auth: dict[str, str], size: int) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/uploads",
        json={
            "fileName": "big.bin",
            "contentType": "application/octet-stream",
            "size": size,
            "partSize": MIN_PART_SIZE,
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def sign_part(
    base: str, auth: dict[str, str], started: dict[str, Any], size: int, **part: Any
) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/uploads/{started['uploadId']}/parts",
        json={
            "objectKey": started["objectKey"],
            "size": size,
            "partSize": MIN_PART_SIZE,
            "parts": [{"partNumber": 1, **part}],
        },
        headers=auth,
    )
    assert response.status_code == 200, response.text
    signed: dict[str, Any] = response.json()["parts"][0]
    return signed


# --- multipart --------------------------------------------------------------------


def test_interrupted_multipart_upload_resumes_with_only_the_missing_part(
    gateway: Gateway, tmp_path: Path
) -> None:
    base = gateway()
    data = make_file(tmp_path / "big.bin")
    state_dir = tmp_path / "state"
    broken = RecordingTransport(fail_parts=frozenset({2}))

    with (
        pytest.raises(TransferError, match="part 2"),
        client_for(base, state_dir, transport=broken) as client,
    ):
        client.upload(tmp_path / "big.bin")
    assert sorted(broken.parts_sent) == [1, 3]
    assert len(list(state_dir.iterdir())) == 1

    resumed = RecordingTransport()
    with client_for(base, state_dir, transport=resumed) as client:
        object_key = client.upload(tmp_path / "big.bin")
        client.download(object_key, tmp_path / "back.bin")

    assert resumed.parts_sent == [2]
    assert ("POST", "/uploads") not in resumed.requests
    assert (tmp_path / "back.bin").read_bytes() == data
    assert list(state_dir.iterdir()) == []


def test_multipart_object_holds_the_bytes_and_a_composite_checksum(
    gateway: Gateway, seaweedfs: SeaweedFS, bucket: str, tmp_path: Path
) -> None:
    base = gateway()
    data = make_file(tmp_path / "big.bin")

    with client_for(base, tmp_path / "state") as client:
        object_key = client.upload(tmp_path / "big.bin", content_type="video/mp4")
        metadata = client.describe(object_key)

    stored = seaweedfs.client().get_object(
        Bucket=bucket, Key=f"tenants/acme/{object_key}"
    )
    assert stored["Body"].read() == data
    assert (metadata["size"], metadata["contentType"]) == (FILE_SIZE, "video/mp4")
    assert metadata["checksumSHA256"].endswith("-3")


def test_part_of_another_length_or_checksum_than_signed_is_refused_by_s3(
    gateway: Gateway,
) -> None:
    base = gateway()
    started = start_upload(base, ACME, FILE_SIZE)
    data = os.urandom(MIN_PART_SIZE)
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    signed = sign_part(base, ACME, started, FILE_SIZE, checksumSHA256=checksum)

    shorter = httpx.put(
        signed["uploadURL"],
        content=data[:-1],
        headers={**signed["headers"], "Content-Length": str(len(data) - 1)},
    )
    other_bytes = httpx.put(
        signed["uploadURL"],
        content=os.urandom(MIN_PART_SIZE),
        headers=signed["headers"],
    )

    assert (shorter.status_code, s3_error_code(shorter)) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert (other_bytes.status_code, s3_error_code(other_bytes)) == (400, "BadDigest")


def test_abort_leaves_no_parts_behind(
    gateway: Gateway, seaweedfs: SeaweedFS, bucket: str
) -> None:
    base = gateway()
    started = start_upload(base, ACME, 1000)
    signed = sign_part(base, ACME, started, 1000)
    assert httpx.put(signed["uploadURL"], content=b"x" * 1000).status_code == 200
    where = f"{base}/uploads/{started['uploadId']}"
    key = {"objectKey": started["objectKey"]}

    aborted = httpx.delete(where, params=key, headers=ACME)

    assert aborted.status_code == 204
    s3 = seaweedfs.client()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as raised:
        s3.list_parts(
            Bucket=bucket,
            Key=f"tenants/acme/{started['objectKey']}",
            UploadId=started["uploadId"],
        )
    assert raised.value.response["Error"]["Code"] == "NoSuchUpload"
    listed = httpx.get(f"{where}/parts", params=key, headers=ACME)
    assert problem_code(listed) == (404, "upload_not_found")


def test_another_tenant_cannot_use_an_upload_id(gateway: Gateway) -> None:
    base = gateway()
    started = start_upload(base, ACME, 1000)
    signed = sign_part(base, ACME, started, 1000)
    assert httpx.put(signed["uploadURL"], content=b"a" * 1000).status_code == 200
    where = f"{base}/uploads/{started['uploadId']}"
    key = {"objectKey": started["objectKey"]}

    listed = httpx.get(f"{where}/parts", params=key, headers=GLOBEX)
    completed = httpx.post(f"{where}/complete", json=key, headers=GLOBEX)
    aborted = httpx.delete(where, params=key, headers=GLOBEX)
    globex_part = sign_part(base, GLOBEX, started, 1000)
    put = httpx.put(globex_part["uploadURL"], content=b"b" * 1000)

    assert problem_code(listed) == (404, "upload_not_found")
    assert problem_code(completed) == (404, "upload_not_found")
    assert problem_code(aborted) == (404, "upload_not_found")
    assert (put.status_code, s3_error_code(put)) == (404, "NoSuchUpload")
    still = httpx.get(f"{where}/parts", params=key, headers=ACME).json()["parts"]
    assert [(p["partNumber"], p["size"]) for p in still] == [(1, 1000)]
    assert httpx.post(f"{where}/complete", json=key, headers=ACME).status_code == 201


def test_completing_onto_an_existing_key_is_refused(
    gateway: Gateway, tmp_path: Path
) -> None:
    base = gateway(object_key_mode="original")
    started = start_upload(base, ACME, 1000)
    signed = sign_part(base, ACME, started, 1000)
    assert httpx.put(signed["uploadURL"], content=b"late" * 250).status_code == 200
    (tmp_path / "big.bin").write_bytes(b"first")
    with client_for(base, tmp_path / "state") as client:
        assert client.upload(tmp_path / "big.bin") == "big.bin"

        completed = httpx.post(
            f"{base}/uploads/{started['uploadId']}/complete",
            json={"objectKey": "big.bin"},
            headers=ACME,
        )
        client.download("big.bin", tmp_path / "back.bin")

    assert problem_code(completed) == (409, "object_exists")
    assert (tmp_path / "back.bin").read_bytes() == b"first"


# --- form uploads -----------------------------------------------------------------


def issue_form(base: str, max_size: int) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/files/form",
        json={"fileName": "note.txt", "contentType": "text/plain", "maxSize": max_size},
        headers=ACME,
    )
    assert response.status_code == 201, response.text
    form: dict[str, Any] = response.json()
    return form


def submit(form: dict[str, Any], body: bytes, **overrides: str) -> httpx.Response:
    fields = {**form["fields"], **overrides}
    files = {"file": ("note.txt", body, fields["Content-Type"])}
    return httpx.post(form["uploadURL"], data=fields, files=files)


def test_form_upload_over_the_limit_is_refused_by_s3(
    gateway: Gateway, tmp_path: Path
) -> None:
    base = gateway()
    form = issue_form(base, max_size=16)

    too_large = submit(form, b"x" * 17)
    other_type = submit(form, b"x" * 16, **{"Content-Type": "text/html"})
    stored = submit(form, b"y" * 16)

    assert (too_large.status_code, s3_error_code(too_large)) == (400, "EntityTooLarge")
    assert (other_type.status_code, s3_error_code(other_type)) == (403, "AccessDenied")
    assert stored.status_code == 204
    with client_for(base, tmp_path) as client:
        client.download(form["objectKey"], tmp_path / "note.txt")
    assert (tmp_path / "note.txt").read_bytes() == b"y" * 16


# --- metadata, listing, deletion --------------------------------------------------


def test_metadata_holds_the_whole_file_checksum_of_a_single_put(
    gateway: Gateway, tmp_path: Path
) -> None:
    base = gateway()
    data = make_file(tmp_path / "small.txt", 1000)

    with client_for(base, tmp_path / "state") as client:
        object_key = client.upload(tmp_path / "small.txt")
        metadata = client.describe(object_key)

    assert (
        metadata["checksumSHA256"]
        == base64.b64encode(hashlib.sha256(data).digest()).decode()
    )
    assert (metadata["size"], metadata["contentType"]) == (1000, "text/plain")
    assert httpx.get(metadata["downloadURL"]).content == data


def list_keys(base: str, auth: dict[str, str], **params: Any) -> list[str]:
    keys: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{base}/files", params=query, headers=auth).json()
        keys.extend(entry["objectKey"] for entry in page["files"])
        cursor = page["nextCursor"]
        if cursor is None:
            return keys


def test_list_and_delete_are_scoped_to_the_tenant(
    gateway: Gateway, tmp_path: Path
) -> None:
    base = gateway(object_key_mode="original")
    for name in ("a.txt", "b/c.txt", "b/d e+f.txt"):
        (tmp_path / "f").write_bytes(name.encode())
        with client_for(base, tmp_path / "state") as client:
            client.upload(tmp_path / "f", file_name=name)
    with client_for(base, tmp_path / "state", api_key=GLOBEX_KEY) as client:
        client.upload(tmp_path / "f", file_name="globex.txt")

    acme_keys = list_keys(base, ACME, limit=2)
    acme_folder = list_keys(base, ACME, prefix="b/")
    globex_delete = httpx.delete(f"{base}/files/a.txt", headers=GLOBEX)
    acme_delete = httpx.delete(f"{base}/files/{quote('b/d e+f.txt')}", headers=ACME)

    assert acme_keys == ["a.txt", "b/c.txt", "b/d e+f.txt"]
    assert acme_folder == ["b/c.txt", "b/d e+f.txt"]
    assert list_keys(base, GLOBEX) == ["globex.txt"]
    assert problem_code(globex_delete) == (404, "object_not_found")
    assert acme_delete.status_code == 204
    assert list_keys(base, ACME) == ["a.txt", "b/c.txt"]
    again = httpx.delete(f"{base}/files/{quote('b/d e+f.txt')}", headers=ACME)
    assert problem_code(again) == (404, "object_not_found")


# --- the command ------------------------------------------------------------------


def test_command_uploads_and_downloads_without_showing_secrets(
    gateway: Gateway,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    base = gateway()
    data = make_file(tmp_path / "photo.png", 3000)
    monkeypatch.setenv("GATEWAY_API_KEY", ACME_KEY)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    caplog.set_level("DEBUG")

    assert cli(["upload", str(tmp_path / "photo.png"), "--url", base]) == 0
    object_key = capsys.readouterr().out.strip()
    output = tmp_path / "back.png"
    assert cli(["download", object_key, "--url", base, "-o", str(output)]) == 0

    shown = capsys.readouterr()
    assert output.read_bytes() == data
    assert object_key.endswith("/photo.png")
    assert "100%" in shown.err
    everything = shown.out + shown.err + caplog.text
    assert "X-Amz-Signature" not in everything
    assert ACME_KEY not in everything
