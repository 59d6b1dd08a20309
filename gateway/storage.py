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


@dataclass(frozen=True, repr=False)
class PresignedForm:
    """A pre-signed POST policy: the URL and the fields carrying its signature."""

    url: str
    fields: dict[str, str]
    expires_at: datetime

    def __repr__(self) -> str:
        expires_at = self.expires_at.isoformat()
        return (
            f"PresignedForm(url=<redacted>, fields=<redacted>, expires_at={expires_at})"
        )


@dataclass(frozen=True)
class StoredPart:
    """One part of a multipart upload as S3 holds it."""

    number: int
    size: int
    etag: str
    checksum_sha256: str | None = None


@dataclass(frozen=True)
class StoredObject:
    """An object as S3 describes it; listings give no content type or checksum."""

    key: str
    size: int
    etag: str
    last_modified: datetime
    content_type: str | None = None
    checksum_sha256: str | None = None


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
        """Whether `key` holds an object.

        A one-key listing rather than HEAD: HEAD answers a bare 404 for a missing bucket
        too, and 403 for a missing key when the role may list only its own prefix.
        """
        return await anyio.to_thread.run_sync(self._list_first_key, key) == key

    def _list_first_key(self, key: str) -> str | None:
        with storage_errors():
            listing = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=key, MaxKeys=1
            )
        contents = listing.get("Contents") or [{}]

        return contents[0].get("Key")

    def presign_part(
        self,
        key: str,
        upload_id: str,
        part: int,
        size: int,
        checksum_sha256: str | None,
        expires_in: int,
    ) -> PresignedRequest:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": part,
            # Signed so that S3 refuses a part of any other length.
            "ContentLength": size,
        }
        headers = {"Content-Length": str(size)}
        if checksum_sha256 is not None:
            params["ChecksumSHA256"] = checksum_sha256
            headers["x-amz-checksum-sha256"] = checksum_sha256

        return self._presign("upload_part", params, headers, expires_in)

    def presign_form(
        self, key: str, content_type: str, max_size: int, expires_in: int
    ) -> PresignedForm:
        """A POST policy S3 enforces: this key, this content type, 1 to max bytes."""
        now = datetime.now(UTC).replace(microsecond=0)
        expires_in = self._honest_expiry(now, expires_in)
        conditions: list[Any] = [
            {"Content-Type": content_type},
            ["content-length-range", 1, max_size],
        ]
        with storage_errors():
            form = self.client.generate_presigned_post(
                self.bucket,
                key,
                Fields={"Content-Type": content_type},
                Conditions=conditions,
                ExpiresIn=expires_in,
            )

        return PresignedForm(
            form["url"], dict(form["fields"]), now + timedelta(seconds=expires_in)
        )

    async def create_multipart_upload(
        self, key: str, content_type: str, checksummed: bool
    ) -> str:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": content_type,
        }
        if checksummed:
            params["ChecksumAlgorithm"] = "SHA256"

        return await anyio.to_thread.run_sync(self._create_multipart_upload, params)

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        return await anyio.to_thread.run_sync(self._list_parts, key, upload_id)

    async def complete_multipart_upload(
        self, key: str, upload_id: str, parts: list[StoredPart], create_only: bool
    ) -> str:
        """Assemble the parts into the object; answers its ETag."""
        completed: list[dict[str, Any]] = []
        for part in parts:
            entry: dict[str, Any] = {"PartNumber": part.number, "ETag": part.etag}
            if part.checksum_sha256 is not None:
                entry["ChecksumSHA256"] = part.checksum_sha256
            completed.append(entry)
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "MultipartUpload": {"Parts": completed},
        }
        if create_only:
            # S3 refuses to assemble onto a key that already holds an object.
            params["IfNoneMatch"] = "*"

        return await anyio.to_thread.run_sync(self._complete, params)

    async def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        await anyio.to_thread.run_sync(self._abort, key, upload_id)

    async def describe_object(self, key: str) -> StoredObject | None:
        return await anyio.to_thread.run_sync(self._describe_object, key)

    async def list_objects(
        self, prefix: str, start_after: str | None, limit: int
    ) -> tuple[list[StoredObject], bool]:
        """One page of objects under `prefix` after `start_after`; True if more wait."""
        return await anyio.to_thread.run_sync(
            self._list_objects, prefix, start_after, limit
        )

    async def delete_object(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete_object, key)

    def _create_multipart_upload(self, params: dict[str, Any]) -> str:
        with storage_errors():
            upload_id: str = self.client.create_multipart_upload(**params)["UploadId"]
        return upload_id

    def _list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        parts: list[StoredPart] = []
        marker = 0
        with storage_errors():
            while True:
                page = self.client.list_parts(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumberMarker=marker,
                )
                parts.extend(_stored_part(part) for part in page.get("Parts", []))
                if not page.get("IsTruncated"):
                    return parts
                marker = int(page.get("NextPartNumberMarker", 0))

    def _complete(self, params: dict[str, Any]) -> str:
        with storage_errors():
            etag: str = self.client.complete_multipart_upload(**params).get("ETag", "")
        return etag

    def _abort(self, key: str, upload_id: str) -> None:
        with storage_errors():
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            )

    def _describe_object(self, key: str) -> StoredObject | None:
        with storage_errors():
            try:
                head = self.client.head_object(
                    Bucket=self.bucket, Key=key, ChecksumMode="ENABLED"
                )
            except ClientError as error:
                if client_error_code(error) in {"404", "NoSuchKey", "NotFound"}:
                    return None
                raise

        return StoredObject(
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"],
            last_modified=head["LastModified"],
            content_type=head.get("ContentType"),
            checksum_sha256=head.get("ChecksumSHA256"),
        )

    def _list_objects(
        self, prefix: str, start_after: str | None, limit: int
    ) -> tuple[list[StoredObject], bool]:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": prefix,
            "MaxKeys": limit,
        }
        if start_after is not None:
            params["StartAfter"] = start_after
        with storage_errors():
            page = self.client.list_objects_v2(**params)
        objects = [
            StoredObject(
                key=entry["Key"],
                size=entry["Size"],
                etag=entry["ETag"],
                last_modified=entry["LastModified"],
            )
            for entry in page.get("Contents", [])
        ]

        return objects, bool(page.get("IsTruncated"))

    def _delete_object(self, key: str) -> None:
        with storage_errors():
            self.client.delete_object(Bucket=self.bucket, Key=key)

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


def _stored_part(part: Any) -> StoredPart:
    return StoredPart(
        number=part["PartNumber"],
        size=part["Size"],
        etag=part["ETag"],
        checksum_sha256=part.get("ChecksumSHA256"),
    )
