"""The S3 adapter: pre-signs requests and asks S3 about objects. No web framework here.

Presigning is local CPU work and stays on the caller's thread. Calls that go over the
network run in a worker thread so they never block an event loop.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import anyio.to_thread
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway.errors import client_error_code, storage_errors
from gateway.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True, repr=False)
class PresignedRequest:
    """A pre-signed URL and the headers its signature binds. The URL is a credential."""

    url: str
    headers: dict[str, str]
    expires_at: datetime

    def __repr__(self) -> str:
        expires_at = self.expires_at.isoformat()
        return f"PresignedRequest(url=<redacted>, expires_at={expires_at})"


@dataclass(frozen=True)
class UploadTerms:
    """What an upload URL promises; each field present is enforced by S3 itself."""

    content_type: str
    size: int | None = None
    checksum_sha256: str | None = None
    create_only: bool = True


def make_client(settings: Settings) -> "S3Client":
    """The process's one S3 client: SigV4 always, on a host the bucket answers on."""
    style: Literal["path", "virtual"] = "path"
    if settings.s3_endpoint_url:
        endpoint = settings.s3_endpoint_url
    else:
        endpoint = f"https://s3.{settings.signing_region}.amazonaws.com"
        # A dotted bucket name breaks the TLS wildcard of a virtual host.
        if "." not in settings.bucket_name:
            style = "virtual"
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": style},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=10,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )

    return boto3.session.Session().client(
        "s3", region_name=settings.signing_region, endpoint_url=endpoint, config=config
    )


class Storage:
    """Pre-signed requests and object queries for one bucket."""

    def __init__(self, settings: Settings, client: "S3Client | None" = None) -> None:
        self.bucket = settings.bucket_name
        self.client = client or make_client(settings)

    def presign_upload(
        self, key: str, terms: UploadTerms, expires_in: int
    ) -> PresignedRequest:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        headers = {"Content-Type": terms.content_type}
        params["ContentType"] = terms.content_type
        if terms.size is not None:
            params["ContentLength"] = terms.size
            headers["Content-Length"] = str(terms.size)
        if terms.checksum_sha256 is not None:
            params["ChecksumSHA256"] = terms.checksum_sha256
            headers["x-amz-checksum-sha256"] = terms.checksum_sha256
        if terms.create_only:
            # Signed so that S3 itself refuses a write to a key that already exists.
            params["IfNoneMatch"] = "*"
            headers["If-None-Match"] = "*"

        return self._presign("put_object", params, headers, expires_in)

    def presign_download(
        self, key: str, expires_in: int, content_disposition: str | None = None
    ) -> PresignedRequest:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if content_disposition is not None:
            params["ResponseContentDisposition"] = content_disposition

        return self._presign("get_object", params, {}, expires_in)

    async def object_exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self._head_object, key)

    def _head_object(self, key: str) -> bool:
        with storage_errors():
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if client_error_code(error) in {"404", "NoSuchKey", "NotFound"}:
                    return False
                raise
        return True

    def _presign(
        self,
        operation: str,
        params: dict[str, Any],
        headers: dict[str, str],
        expires_in: int,
    ) -> PresignedRequest:
        now = datetime.now(UTC).replace(microsecond=0)
        expires_in = self._honest_expiry(now, expires_in)
        with storage_errors():
            url = self.client.generate_presigned_url(
                operation, Params=params, ExpiresIn=expires_in
            )

        return PresignedRequest(url, headers, now + timedelta(seconds=expires_in))

    def _honest_expiry(self, now: datetime, expires_in: int) -> int:
        """Never promise a URL longer than the credentials that sign it will live."""
        # botocore keeps the signer's credentials, and the expiry of refreshable (role)
        # credentials, only in private attributes.
        signer = getattr(self.client, "_request_signer", None)
        expiry = getattr(getattr(signer, "_credentials", None), "_expiry_time", None)
        if not isinstance(expiry, datetime):
            return expires_in
        remaining = int((expiry - now).total_seconds())

        return max(1, min(expires_in, remaining))
