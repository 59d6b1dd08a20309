"""The fast signer must produce exactly the URLs boto3 produces for the same inputs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import Credentials as BotocoreCredentials
from botocore.credentials import ReadOnlyCredentials

from gateway.signing import MAX_EXPIRES_SECONDS, S3Presigner

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

FROZEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CHECKSUM = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH+MEUCIQ=="

AWS = None
SEAWEED = "http://127.0.0.1:8333"

KEYS = [
    "report.pdf",
    "folder/sub folder/file name.txt",
    "plus+equals=percent%tilde~",
    "unicode/ünïcødé-文件-😀.bin",
    "/leading-slash",
    "double//slash/",
    "dots/./../x",
    "quotes'\"&?#[]@!$()*,;:",
    "tenant-1/2024/05/" + "k" * 900,
]

SignFn = Callable[..., str]


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    """Freeze botocore's clock and make it use its own pure-Python query signer.

    With awscrt installed, botocore swaps in the CRT signer, which orders the auth
    parameters differently; the pure-Python signer is what a plain boto3 install
    (and the Lambda runtime) uses, and the CRT case has its own test below.
    """

    def now(remove_tzinfo: bool = True) -> datetime:
        return FROZEN.replace(tzinfo=None) if remove_tzinfo else FROZEN

    python_signer = botocore.auth.S3SigV4QueryAuth
    with (
        mock.patch("botocore.auth.get_current_datetime", now),
        mock.patch.dict(botocore.auth.AUTH_TYPE_MAPS, {"s3v4-query": python_signer}),
    ):
        yield


def boto3_client(
    region: str, endpoint: str | None, token: str | None, secret: str = SECRET_KEY
) -> Any:
    style: Literal["path", "virtual"] = "path" if endpoint else "virtual"
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": style, "us_east_1_regional_endpoint": "regional"},
        request_checksum_calculation="when_required",
        retries={"max_attempts": 0},
    )
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=config,
    )


def frozen_credentials(
    token: str | None, secret: str = SECRET_KEY
) -> ReadOnlyCredentials:
    return BotocoreCredentials(ACCESS_KEY, secret, token).get_frozen_credentials()


def presigner(region: str, endpoint: str | None) -> S3Presigner:
    return S3Presigner(region, endpoint, clock=lambda: FROZEN)


TARGETS = [
    pytest.param("eu-west-1", AWS, "my-bucket", None, id="aws-eu-west-1"),
    pytest.param("us-east-1", AWS, "my-bucket", None, id="aws-us-east-1"),
    pytest.param("ap-southeast-2", AWS, "my.dotted.bucket", None, id="aws-dotted"),
    pytest.param("eu-central-1", AWS, "ab", None, id="aws-short-bucket"),
    pytest.param("us-west-2", AWS, "192.168.5.4", None, id="aws-ip-like-bucket"),
    pytest.param("cn-north-1", AWS, "china-bucket", None, id="aws-china"),
    pytest.param("us-gov-west-1", AWS, "gov-bucket", SESSION_TOKEN, id="aws-gov"),
    pytest.param("eu-west-1", AWS, "tokened-bucket", SESSION_TOKEN, id="aws-token"),
    pytest.param("us-east-1", SEAWEED, "uploads", None, id="seaweed-port"),
    pytest.param("us-east-1", "http://LocalHost:9000/", "b1", None, id="upper-host"),
    pytest.param("eu-west-1", "http://localhost:80", "b1", SESSION_TOKEN, id="port-80"),
    pytest.param("us-east-1", "https://s3.example.test", "b1", None, id="https-ep"),
    pytest.param("us-east-1", "https://s3.example.test:443", "b1", None, id="port-443"),
    pytest.param("us-east-1", "http://[::1]:9000", "b1", None, id="ipv6"),
    pytest.param("us-east-1", "http://127.0.0.1:9000/s3", "b1", None, id="path-ep"),
]

OPERATIONS = [
    pytest.param("get_object", {}, {}, id="get"),
    pytest.param(
        "get_object",
        {
            "ResponseContentDisposition": 'attachment; filename="ü b+c.txt"',
            "ResponseContentType": "text/plain; charset=utf-8",
        },
        {
            "response_content_disposition": 'attachment; filename="ü b+c.txt"',
            "response_content_type": "text/plain; charset=utf-8",
        },
        id="get-response-overrides",
    ),
    pytest.param(
        "get_object",
        {"ResponseContentType": "image/png"},
        {"response_content_type": "image/png"},
        id="get-content-type-only",
    ),
    pytest.param(
        "put_object",
        {"ContentType": "image/png"},
        {"content_type": "image/png"},
        id="put-content-type",
    ),
    pytest.param(
        "put_object",
        {
            "ContentType": "application/pdf",
            "ContentLength": 1048576,
            "IfNoneMatch": "*",
            "ChecksumSHA256": CHECKSUM,
        },
        {
            "content_type": "application/pdf",
            "content_length": 1048576,
            "if_none_match": "*",
            "checksum_sha256": CHECKSUM,
        },
        id="put-all-guarantees",
    ),
    pytest.param(
        "put_object",
        {"ContentType": "  text/plain;   charset=utf-8  ", "ContentLength": 0},
        {"content_type": "  text/plain;   charset=utf-8  ", "content_length": 0},
        id="put-untrimmed-type-empty-body",
    ),
    pytest.param(
        "put_object",
        {"IfNoneMatch": "*", "ChecksumSHA256": CHECKSUM},
        {"if_none_match": "*", "checksum_sha256": CHECKSUM},
        id="put-no-overwrite-checksum",
    ),
    pytest.param(
        "upload_part",
        {"PartNumber": 7, "UploadId": "2~Xy/+z=ab_cd"},
        {"part_number": 7, "upload_id": "2~Xy/+z=ab_cd"},
        id="upload-part",
    ),
    pytest.param(
        "upload_part",
        {
            "PartNumber": 10000,
            "UploadId": "abc",
            "ContentLength": 5242880,
            "ChecksumSHA256": CHECKSUM,
        },
        {
            "part_number": 10000,
            "upload_id": "abc",
            "content_length": 5242880,
            "checksum_sha256": CHECKSUM,
        },
        id="upload-part-size-checksum",
    ),
]


def sign_with_gateway(
    operation: str,
    signer: S3Presigner,
    credentials: ReadOnlyCredentials,
    bucket: str,
    key: str,
    expires: int,
    options: dict[str, Any],
) -> str:
    sign: SignFn = getattr(signer, f"presign_{operation}")

    return sign(credentials, bucket, key, expires, **options)


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(("operation", "params", "options"), OPERATIONS)
@pytest.mark.parametrize(("region", "endpoint", "bucket", "token"), TARGETS)
def test_url_is_identical_to_boto3(
    region: str,
    endpoint: str | None,
    bucket: str,
    token: str | None,
    operation: str,
    params: dict[str, Any],
    options: dict[str, Any],
) -> None:
    client = boto3_client(region, endpoint, token)
    key = "folder/sub folder/ü+=%~.txt"

    expected = client.generate_presigned_url(
        operation, Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=900
    )
    actual = sign_with_gateway(
        operation,
        presigner(region, endpoint),
        frozen_credentials(token),
        bucket,
        key,
        900,
        options,
    )

    assert actual == expected


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("region", "endpoint"), [("eu-west-1", AWS), ("us-east-1", SEAWEED)]
)
def test_every_key_shape_is_encoded_like_boto3(
    region: str, endpoint: str | None, key: str
) -> None:
    client = boto3_client(region, endpoint, None)
    params = {"Bucket": "my-bucket", "Key": key, "ContentType": "text/plain"}

    expected = client.generate_presigned_url("put_object", Params=params)
    actual = presigner(region, endpoint).presign_put_object(
        frozen_credentials(None), "my-bucket", key, 3600, content_type="text/plain"
    )

    assert actual == expected


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("expires", [1, 300, 3600, MAX_EXPIRES_SECONDS])
def test_expiry_is_signed_like_boto3(expires: int) -> None:
    client = boto3_client("eu-west-1", AWS, None)
    params = {"Bucket": "my-bucket", "Key": "k"}

    expected = client.generate_presigned_url(
        "get_object", Params=params, ExpiresIn=expires
    )
    actual = presigner("eu-west-1", AWS).presign_get_object(
        frozen_credentials(None), "my-bucket", "k", expires
    )

    assert actual == expected


@pytest.mark.usefixtures("frozen_clock")
def test_rotated_credentials_are_used_on_the_next_url() -> None:
    signer = presigner("eu-west-1", AWS)
    params = {"Bucket": "my-bucket", "Key": "k"}
    rotated_secret = "rotated/secret+key"

    first = signer.presign_get_object(frozen_credentials(None), "my-bucket", "k", 60)
    second = signer.presign_get_object(
        frozen_credentials(SESSION_TOKEN, rotated_secret), "my-bucket", "k", 60
    )

    new_client = boto3_client("eu-west-1", AWS, SESSION_TOKEN, rotated_secret)
    assert second != first
    assert second == new_client.generate_presigned_url(
        "get_object", Params=params, ExpiresIn=60
    )


@pytest.mark.usefixtures("frozen_clock")
def test_signing_key_follows_the_clock_across_midnight() -> None:
    moments = iter([FROZEN, FROZEN + timedelta(days=1)])
    signer = S3Presigner("eu-west-1", clock=lambda: next(moments))
    credentials = frozen_credentials(None)

    today = signer.presign_get_object(credentials, "my-bucket", "k", 60)
    tomorrow = signer.presign_get_object(credentials, "my-bucket", "k", 60)

    assert "X-Amz-Date=20240506T070809Z" in today
    assert "X-Amz-Date=20240507T070809Z" in tomorrow
    assert "%2F20240507%2Feu-west-1%2Fs3%2F" in tomorrow


@pytest.mark.usefixtures("frozen_clock")
def test_clock_in_another_time_zone_signs_utc() -> None:
    local = FROZEN.astimezone(timezone(timedelta(hours=-5)))
    signer = S3Presigner("eu-west-1", clock=lambda: local)
    client = boto3_client("eu-west-1", AWS, None)

    actual = signer.presign_get_object(frozen_credentials(None), "my-bucket", "k", 60)

    assert actual == client.generate_presigned_url(
        "get_object", Params={"Bucket": "my-bucket", "Key": "k"}, ExpiresIn=60
    )


@pytest.mark.parametrize("expires", [0, -1, MAX_EXPIRES_SECONDS + 1])
def test_expiry_outside_sigv4_limits_is_refused(expires: int) -> None:
    signer = presigner("eu-west-1", AWS)

    with pytest.raises(ValueError, match="expiry"):
        signer.presign_get_object(frozen_credentials(None), "b-1", "k", expires)


@pytest.mark.parametrize(
    "endpoint",
    ["ftp://host", "localhost:9000", "http://", "http://h:9/?x=1", "http://u:p@h:9"],
)
def test_unusable_endpoint_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        S3Presigner("us-east-1", endpoint)


@pytest.mark.parametrize("bucket", ["", "a b", "b/c", "x" * 256])
def test_invalid_bucket_is_refused(bucket: str) -> None:
    signer = presigner("eu-west-1", AWS)

    with pytest.raises(ValueError, match="bucket"):
        signer.presign_get_object(frozen_credentials(None), bucket, "k", 60)


def test_empty_key_is_refused() -> None:
    signer = presigner("eu-west-1", AWS)

    with pytest.raises(ValueError, match="key"):
        signer.presign_get_object(frozen_credentials(None), "b-1", "", 60)


@pytest.mark.parametrize(("access_key", "secret"), [("", "s"), ("AKID", None)])
def test_credentials_without_keys_are_refused(
    access_key: str, secret: str | None
) -> None:
    signer = presigner("eu-west-1", AWS)
    credentials = ReadOnlyCredentials(access_key, secret, None, None)

    with pytest.raises(ValueError, match="credentials"):
        signer.presign_get_object(credentials, "b-1", "k", 60)


def test_naive_clock_is_refused() -> None:
    signer = S3Presigner("eu-west-1", clock=lambda: datetime(2024, 1, 1))

    with pytest.raises(ValueError, match="aware"):
        signer.presign_get_object(frozen_credentials(None), "b-1", "k", 60)


@pytest.mark.parametrize("region", ["", "EU-WEST-1", "eu west 1"])
def test_malformed_region_is_refused(region: str) -> None:
    with pytest.raises(ValueError, match="region"):
        S3Presigner(region)
