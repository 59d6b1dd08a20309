"""What SeaweedFS 4.48 enforces on SigV4 pre-signed URLs, pinned with boto3 and httpx.

The gateway's promises (content type, size, checksum, no overwrite, expiry) hold only
if the storage engine refuses a violating request. These tests record what the real
engine does; a test named `test_seaweedfs_ignores_...` or `..._accepts_...` pins a
gap, so a change in either direction is noticed.
"""

import base64
import datetime
import hashlib
import importlib
import importlib.util
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.auth
import httpx
import pytest
from botocore.awsrequest import AWSRequest
from botocore.compat import get_current_datetime
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.integration.seaweedfs import SeaweedFS

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import CompletedPartTypeDef, CORSRuleTypeDef

BODY = b"hello, gateway"
ORIGIN = "https://app.example"
PART_SIZE = 5 * 1024 * 1024


# --- helpers ---------------------------------------------------------------------


def error_code(response: httpx.Response) -> str:
    """The S3 error code in an XML error body, or an empty string."""
    match = re.search(r"<Code>([^<]*)</Code>", response.text)

    return match.group(1) if match else ""


def query(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def signed_headers(url: str) -> set[str]:
    """The header names a pre-signed URL binds."""
    return set(query(url)["X-Amz-SignedHeaders"].split(";"))


def hoisted_parameters(url: str) -> set[str]:
    """Query parameters other than the SigV4 ones, as a signer may hoist headers."""
    return {name for name in query(url) if not name.startswith("X-Amz-")}


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def presign_put(client: "S3Client", bucket: str, key: str, **params: Any) -> str:
    url: str = client.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=60
    )

    return url


def presign_with_query(
    server: SeaweedFS, bucket: str, key: str, extra_query: dict[str, str]
) -> str:
    """Sign a PUT URL whose extra parameters travel in the query, not as headers."""
    credentials = Credentials(server.access_key, server.secret_key)
    url = f"{server.endpoint_url}/{bucket}/{key}?{urlencode(extra_query)}"
    request = AWSRequest(method="PUT", url=url)
    botocore.auth.S3SigV4QueryAuth(credentials, "s3", server.region, 60).add_auth(
        request
    )

    return str(request.url)


def read_object(client: "S3Client", bucket: str, key: str) -> bytes:
    body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()

    return body


def object_exists(client: "S3Client", bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in {"404", "NoSuchKey"}:
            return False
        raise

    return True


def set_signing_clock(
    monkeypatch: pytest.MonkeyPatch, offset: datetime.timedelta
) -> None:
    """Shift the clock botocore signs with, in both its Python and CRT signers.

    With awscrt installed botocore signs S3 through `botocore.crt.auth`, which holds
    its own reference to `get_current_datetime`, so both modules are patched.
    """

    def shifted_now(remove_tzinfo: bool = True) -> datetime.datetime:
        return get_current_datetime(remove_tzinfo) + offset

    monkeypatch.setattr(botocore.auth, "get_current_datetime", shifted_now)
    if importlib.util.find_spec("awscrt") is not None:
        crt_auth = importlib.import_module("botocore.crt.auth")
        monkeypatch.setattr(crt_auth, "get_current_datetime", shifted_now)


def signing_time(url: str) -> datetime.datetime:
    stamp = query(url)["X-Amz-Date"]

    return datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.UTC
    )


# --- fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client that ignores proxy settings, as a browser on loopback."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def s3(seaweedfs: SeaweedFS) -> "S3Client":
    return seaweedfs.client()


# --- signatures and expiry -------------------------------------------------------


def test_url_signed_with_wrong_secret_is_refused(
    seaweedfs: SeaweedFS, s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    forger = SeaweedFS(
        endpoint_url=seaweedfs.endpoint_url,
        access_key=seaweedfs.access_key,
        secret_key="not-the-secret",
    ).client()
    url = presign_put(forger, bucket, "forged.txt")

    response = http.put(url, content=BODY)

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert not object_exists(s3, bucket, "forged.txt")


def test_url_with_tampered_signature_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_put(s3, bucket, "tampered.txt")
    signature = query(url)["X-Amz-Signature"]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")

    response = http.put(url.replace(signature, flipped), content=BODY)

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


@pytest.mark.parametrize(
    ("signed_key", "used_key"),
    [("report.txt", "other.txt"), ("tenant-a/report.txt", "tenant-b/report.txt")],
)
def test_url_signed_for_one_key_cannot_write_another(
    s3: "S3Client", http: httpx.Client, bucket: str, signed_key: str, used_key: str
) -> None:
    url = presign_put(s3, bucket, signed_key)

    response = http.put(url.replace(f"/{signed_key}?", f"/{used_key}?"), content=BODY)

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert not object_exists(s3, bucket, used_key)


def test_url_past_its_expiry_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_signing_clock(monkeypatch, datetime.timedelta(minutes=-2))
    url = presign_put(s3, bucket, "late.txt")  # valid for 60 s, signed 2 min ago

    response = http.put(url, content=BODY)

    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert "Request has expired" in response.text


def test_url_signed_in_the_past_is_accepted_until_it_expires(
    s3: "S3Client", http: httpx.Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_signing_clock(monkeypatch, datetime.timedelta(hours=-1))
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "early.txt"}, ExpiresIn=7200
    )
    an_hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=59)

    response = http.put(url, content=BODY)

    assert signing_time(url) < an_hour_ago
    assert response.status_code == 200


def test_url_expires_on_the_wall_clock(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "brief.txt"}, ExpiresIn=1
    )
    time.sleep(2.1)

    response = http.put(url, content=BODY)

    assert (response.status_code, error_code(response)) == (403, "AccessDenied")


def test_seaweedfs_accepts_url_dated_hours_in_the_future(
    s3: "S3Client", http: httpx.Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS refuses an X-Amz-Date more than 15 minutes ahead; SeaweedFS does not, so
    # a signer with a fast clock issues URLs that live longer than promised.
    set_signing_clock(monkeypatch, datetime.timedelta(hours=2))
    url = presign_put(s3, bucket, "future.txt")

    response = http.put(url, content=BODY)

    assert response.status_code == 200


# --- how boto3 encodes signed PUT parameters -------------------------------------


@pytest.mark.parametrize(
    ("params", "header"),
    [
        ({"ContentType": "image/png"}, "content-type"),
        ({"IfNoneMatch": "*"}, "if-none-match"),
        ({"ContentLength": 5}, "content-length"),
        ({"ChecksumSHA256": sha256_b64(BODY)}, "x-amz-checksum-sha256"),
        ({"ContentMD5": md5_b64(BODY)}, "content-md5"),
    ],
)
def test_boto3_signs_put_parameters_as_headers_not_query(
    s3: "S3Client", bucket: str, params: dict[str, Any], header: str
) -> None:
    url = presign_put(s3, bucket, "encoding.txt", **params)

    assert signed_headers(url) == {"host", header}
    assert hoisted_parameters(url) == set()


def test_unsigned_amz_header_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_put(s3, bucket, "extra-header.txt")

    response = http.put(url, content=BODY, headers={"x-amz-meta-note": "smuggled"})

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


# --- content type ----------------------------------------------------------------


@pytest.mark.parametrize("sent_headers", [{"Content-Type": "text/html"}, {}])
def test_put_without_the_signed_content_type_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str, sent_headers: dict[str, str]
) -> None:
    url = presign_put(s3, bucket, "image.png", ContentType="image/png")

    response = http.put(url, content=BODY, headers=sent_headers)

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert not object_exists(s3, bucket, "image.png")


def test_put_with_the_signed_content_type_is_stored_with_it(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_put(s3, bucket, "image.png", ContentType="image/png")

    response = http.put(url, content=BODY, headers={"Content-Type": "image/png"})

    assert response.status_code == 200
    assert s3.head_object(Bucket=bucket, Key="image.png")["ContentType"] == "image/png"


# --- no overwrite ----------------------------------------------------------------


def test_second_put_to_existing_key_is_refused_with_412(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_put(s3, bucket, "once.txt", IfNoneMatch="*")
    first = http.put(url, content=b"first", headers={"If-None-Match": "*"})

    second = http.put(url, content=b"second", headers={"If-None-Match": "*"})

    assert first.status_code == 200
    assert (second.status_code, error_code(second)) == (412, "PreconditionFailed")
    assert read_object(s3, bucket, "once.txt") == b"first"


def test_put_dropping_the_signed_if_none_match_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="once.txt", Body=b"first")
    url = presign_put(s3, bucket, "once.txt", IfNoneMatch="*")

    response = http.put(url, content=b"second")

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert read_object(s3, bucket, "once.txt") == b"first"


# --- exact size ------------------------------------------------------------------


def chunks(data: bytes) -> Iterator[bytes]:
    """Yield a body in pieces so httpx sends it chunked, with no Content-Length."""
    yield data[:3]
    yield data[3:]


@pytest.mark.parametrize(
    "body",
    [BODY + b"!", BODY[:-1], b""],
    ids=["longer", "shorter", "empty"],
)
def test_body_of_other_length_than_signed_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str, body: bytes
) -> None:
    url = presign_put(s3, bucket, "sized.bin", ContentLength=len(BODY))

    response = http.put(url, content=body)

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )
    assert not object_exists(s3, bucket, "sized.bin")


def test_chunked_body_without_signed_length_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_put(s3, bucket, "sized.bin", ContentLength=len(BODY))

    response = http.put(url, content=chunks(BODY + b"more"))

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


def test_body_of_the_signed_length_is_stored(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_put(s3, bucket, "sized.bin", ContentLength=len(BODY))

    response = http.put(url, content=BODY)

    assert response.status_code == 200
    assert read_object(s3, bucket, "sized.bin") == BODY


# --- checksums -------------------------------------------------------------------

SIGNED_CHECKSUMS = [
    ("ChecksumSHA256", "x-amz-checksum-sha256", sha256_b64(BODY)),
    ("ContentMD5", "Content-MD5", md5_b64(BODY)),
]


@pytest.mark.parametrize(("param", "header", "digest"), SIGNED_CHECKSUMS)
def test_bytes_not_matching_signed_checksum_header_are_refused(
    s3: "S3Client",
    http: httpx.Client,
    bucket: str,
    param: str,
    header: str,
    digest: str,
) -> None:
    url = presign_put(s3, bucket, "summed.bin", **{param: digest})

    response = http.put(url, content=BODY.upper(), headers={header: digest})

    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    assert not object_exists(s3, bucket, "summed.bin")


@pytest.mark.parametrize(("param", "header", "digest"), SIGNED_CHECKSUMS)
def test_bytes_matching_signed_checksum_header_are_stored(
    s3: "S3Client",
    http: httpx.Client,
    bucket: str,
    param: str,
    header: str,
    digest: str,
) -> None:
    url = presign_put(s3, bucket, "summed.bin", **{param: digest})

    response = http.put(url, content=BODY, headers={header: digest})

    assert response.status_code == 200
    assert read_object(s3, bucket, "summed.bin") == BODY


@pytest.mark.parametrize(
    ("param", "digest"),
    [("ChecksumSHA256", sha256_b64(BODY)), ("ContentMD5", md5_b64(BODY))],
)
def test_put_dropping_the_signed_checksum_header_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str, param: str, digest: str
) -> None:
    url = presign_put(s3, bucket, "summed.bin", **{param: digest})

    response = http.put(url, content=BODY.upper())

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


def test_sha256_checksum_hoisted_into_query_is_enforced(
    seaweedfs: SeaweedFS, s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_with_query(
        seaweedfs, bucket, "hoisted.bin", {"x-amz-checksum-sha256": sha256_b64(BODY)}
    )

    refused = http.put(url, content=BODY.upper())
    stored = http.put(url, content=BODY)

    assert (refused.status_code, error_code(refused)) == (400, "BadDigest")
    assert stored.status_code == 200
    assert read_object(s3, bucket, "hoisted.bin") == BODY


def test_seaweedfs_ignores_content_md5_hoisted_into_query(
    seaweedfs: SeaweedFS, s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    url = presign_with_query(
        seaweedfs, bucket, "hoisted.bin", {"Content-MD5": md5_b64(BODY)}
    )

    response = http.put(url, content=BODY.upper())

    assert response.status_code == 200
    assert read_object(s3, bucket, "hoisted.bin") == BODY.upper()


def test_seaweedfs_ignores_if_none_match_hoisted_into_query(
    seaweedfs: SeaweedFS, s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="hoisted.txt", Body=b"first")
    url = presign_with_query(seaweedfs, bucket, "hoisted.txt", {"If-None-Match": "*"})

    response = http.put(url, content=b"second")

    assert response.status_code == 200
    assert read_object(s3, bucket, "hoisted.txt") == b"second"


# --- downloads -------------------------------------------------------------------


def presign_download(s3: "S3Client", bucket: str, key: str, disposition: str) -> str:
    url: str = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": disposition,
        },
        ExpiresIn=60,
    )

    return url


def test_download_url_returns_the_signed_content_disposition(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="report.csv", Body=BODY)
    disposition = 'attachment; filename="report.csv"'
    url = presign_download(s3, bucket, "report.csv", disposition)

    response = http.get(url)

    assert response.status_code == 200
    assert response.headers["content-disposition"] == disposition
    assert response.content == BODY


def test_download_url_with_edited_content_disposition_is_refused(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="report.csv", Body=BODY)
    url = presign_download(s3, bucket, "report.csv", "attachment")

    response = http.get(url.replace("attachment", "inline"))

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


# --- CORS ------------------------------------------------------------------------

CORS_RULE: "CORSRuleTypeDef" = {
    "AllowedOrigins": [ORIGIN],
    "AllowedMethods": ["PUT", "GET"],
    "AllowedHeaders": ["content-type", "if-none-match"],
    "ExposeHeaders": ["ETag"],
    "MaxAgeSeconds": 600,
}


def preflight(
    http: httpx.Client, url: str, origin: str = ORIGIN, method: str = "PUT"
) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    }

    return http.options(url, headers=headers)


@pytest.fixture
def cors_bucket(s3: "S3Client", bucket: str) -> str:
    """A bucket whose CORS rules allow PUT and GET from ORIGIN only."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [CORS_RULE]})

    return bucket


def test_bucket_cors_rules_are_stored(s3: "S3Client", cors_bucket: str) -> None:
    rules = s3.get_bucket_cors(Bucket=cors_bucket)["CORSRules"]

    assert rules == [CORS_RULE]


def test_preflight_from_allowed_origin_is_allowed_and_exposes_etag(
    seaweedfs: SeaweedFS, http: httpx.Client, cors_bucket: str
) -> None:
    response = preflight(http, f"{seaweedfs.endpoint_url}/{cors_bucket}/a.png")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "PUT, GET"
    assert response.headers["access-control-expose-headers"] == "ETag"


def test_preflight_from_other_origin_is_refused(
    seaweedfs: SeaweedFS, http: httpx.Client, cors_bucket: str
) -> None:
    url = f"{seaweedfs.endpoint_url}/{cors_bucket}/a.png"

    response = preflight(http, url, origin="https://evil.example")

    assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert "access-control-allow-origin" not in response.headers


def test_seaweedfs_answers_preflight_for_unlisted_method_without_methods(
    seaweedfs: SeaweedFS, http: httpx.Client, cors_bucket: str
) -> None:
    # AWS refuses with 403; SeaweedFS says 200 but lists no method, so a browser
    # still blocks the request.
    url = f"{seaweedfs.endpoint_url}/{cors_bucket}/a.png"

    response = preflight(http, url, method="DELETE")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-methods" not in response.headers


def test_put_from_allowed_origin_exposes_etag(
    s3: "S3Client", http: httpx.Client, cors_bucket: str
) -> None:
    url = presign_put(s3, cors_bucket, "a.png", ContentType="image/png")
    headers = {"Origin": ORIGIN, "Content-Type": "image/png"}

    response = http.put(url, content=BODY, headers=headers)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-expose-headers"] == "ETag"
    assert response.headers["etag"] == f'"{base64.b64decode(md5_b64(BODY)).hex()}"'


def test_seaweedfs_allows_any_origin_on_the_bucket_path_despite_cors_rules(
    seaweedfs: SeaweedFS, http: httpx.Client, cors_bucket: str
) -> None:
    # Preflights to the bucket itself (not an object) ignore the bucket's rules and
    # fall back to the server-wide -s3.allowedOrigins, which defaults to "*".
    url = f"{seaweedfs.endpoint_url}/{cors_bucket}"

    response = preflight(http, url, origin="https://evil.example")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_seaweedfs_allows_any_origin_on_a_bucket_without_cors_rules(
    seaweedfs: SeaweedFS, http: httpx.Client, bucket: str
) -> None:
    url = f"{seaweedfs.endpoint_url}/{bucket}/a.png"

    response = preflight(http, url, origin="https://evil.example")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://evil.example"


# --- presigned POST --------------------------------------------------------------

POST_KEY = "uploads/note.txt"
MAX_POST_BYTES = 16


@pytest.fixture
def post_form(s3: "S3Client", bucket: str) -> dict[str, Any]:
    """A POST policy for one key, one content type and 1..16 bytes."""
    form: dict[str, Any] = s3.generate_presigned_post(
        bucket,
        POST_KEY,
        Fields={"Content-Type": "text/plain"},
        Conditions=[
            {"Content-Type": "text/plain"},
            ["content-length-range", 1, MAX_POST_BYTES],
        ],
        ExpiresIn=60,
    )

    return form


def submit(
    http: httpx.Client, form: dict[str, Any], body: bytes, **overrides: str
) -> httpx.Response:
    fields = {**form["fields"], **overrides}
    files = {"file": ("note.txt", body, fields["Content-Type"])}

    return http.post(form["url"], data=fields, files=files)


def test_post_inside_the_length_range_is_stored(
    s3: "S3Client", http: httpx.Client, bucket: str, post_form: dict[str, Any]
) -> None:
    response = submit(http, post_form, BODY)

    assert response.status_code == 204
    assert read_object(s3, bucket, POST_KEY) == BODY
    assert s3.head_object(Bucket=bucket, Key=POST_KEY)["ContentType"] == "text/plain"


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"x" * (MAX_POST_BYTES + 1), "EntityTooLarge"), (b"", "EntityTooSmall")],
    ids=["too-large", "empty"],
)
def test_post_outside_the_length_range_is_refused(
    s3: "S3Client",
    http: httpx.Client,
    bucket: str,
    post_form: dict[str, Any],
    body: bytes,
    code: str,
) -> None:
    response = submit(http, post_form, body)

    assert (response.status_code, error_code(response)) == (400, code)
    assert not object_exists(s3, bucket, POST_KEY)


@pytest.mark.parametrize(
    "overrides",
    [{"key": "uploads/other.txt"}, {"Content-Type": "text/html"}],
    ids=["other-key", "other-content-type"],
)
def test_post_breaking_a_policy_condition_is_refused(
    http: httpx.Client, post_form: dict[str, Any], overrides: dict[str, str]
) -> None:
    response = submit(http, post_form, BODY, **overrides)

    assert (response.status_code, error_code(response)) == (403, "AccessDenied")


def test_post_with_edited_policy_is_refused(
    http: httpx.Client, post_form: dict[str, Any]
) -> None:
    policy = post_form["fields"]["policy"]

    response = submit(http, post_form, BODY, policy=policy[:-4] + "AAAA")

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


# --- multipart -------------------------------------------------------------------


def presign_part(
    s3: "S3Client", bucket: str, key: str, upload_id: str, number: int
) -> str:
    url: str = s3.generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": number,
        },
        ExpiresIn=60,
    )

    return url


def upload_parts(
    s3: "S3Client", http: httpx.Client, bucket: str, key: str, parts: list[bytes]
) -> tuple[str, list["CompletedPartTypeDef"]]:
    """Start a multipart upload and send each part through a pre-signed URL."""
    upload_id: str = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    completed: list[CompletedPartTypeDef] = []
    for number, data in enumerate(parts, start=1):
        response = http.put(
            presign_part(s3, bucket, key, upload_id, number), content=data
        )
        response.raise_for_status()
        completed.append({"PartNumber": number, "ETag": response.headers["etag"]})

    return upload_id, completed


def complete(
    s3: "S3Client",
    bucket: str,
    key: str,
    upload_id: str,
    parts: list["CompletedPartTypeDef"],
    **extra: Any,
) -> None:
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
        **extra,
    )


def test_multipart_upload_through_presigned_part_urls_round_trips(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    parts = [b"a" * PART_SIZE, b"tail"]
    upload_id, completed = upload_parts(s3, http, bucket, "big.bin", parts)
    listed = s3.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)["Parts"]

    complete(s3, bucket, "big.bin", upload_id, completed)

    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, PART_SIZE), (2, 4)]
    assert read_object(s3, bucket, "big.bin") == b"".join(parts)


@pytest.mark.parametrize("edit", ["part-number", "upload-id"])
def test_part_url_cannot_be_used_for_another_part_or_upload(
    s3: "S3Client", http: httpx.Client, bucket: str, edit: str
) -> None:
    upload_id, _ = upload_parts(s3, http, bucket, "big.bin", [])
    url = presign_part(s3, bucket, "big.bin", upload_id, 1)
    edited = {
        "part-number": url.replace("partNumber=1", "partNumber=2"),
        "upload-id": url.replace(upload_id, upload_id[:-2] + "00"),
    }[edit]

    response = http.put(edited, content=b"part")

    assert (response.status_code, error_code(response)) == (
        403,
        "SignatureDoesNotMatch",
    )


def test_aborted_upload_leaves_no_parts(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    upload_id, _ = upload_parts(s3, http, bucket, "big.bin", [b"part"])

    s3.abort_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload_id)

    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as raised:
        s3.list_parts(Bucket=bucket, Key="big.bin", UploadId=upload_id)
    assert raised.value.response["Error"]["Code"] == "NoSuchUpload"


def test_complete_with_if_none_match_on_existing_key_is_refused_with_412(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="big.bin", Body=b"original")
    upload_id, completed = upload_parts(s3, http, bucket, "big.bin", [b"late"])

    with pytest.raises(ClientError) as raised:
        complete(s3, bucket, "big.bin", upload_id, completed, IfNoneMatch="*")

    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (
        412,
        "PreconditionFailed",
    )
    assert read_object(s3, bucket, "big.bin") == b"original"


def test_complete_with_if_none_match_on_new_key_is_stored(
    s3: "S3Client", http: httpx.Client, bucket: str
) -> None:
    upload_id, completed = upload_parts(s3, http, bucket, "fresh.bin", [b"fresh"])

    complete(s3, bucket, "fresh.bin", upload_id, completed, IfNoneMatch="*")

    assert read_object(s3, bucket, "fresh.bin") == b"fresh"


def test_boto3_signs_if_none_match_of_complete_as_a_header(
    s3: "S3Client", bucket: str
) -> None:
    url = s3.generate_presigned_url(
        "complete_multipart_upload",
        Params={
            "Bucket": bucket,
            "Key": "big.bin",
            "UploadId": "x",
            "IfNoneMatch": "*",
        },
        ExpiresIn=60,
    )

    assert signed_headers(url) == {"host", "if-none-match"}
