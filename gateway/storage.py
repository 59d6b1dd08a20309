"""The S3 adapter: pre-signs requests and asks S3 about objects. No web framework here.

Presigning is local CPU work and stays on the caller's thread: `gateway.signing`
computes the URL directly, with the credentials of the moment. Calls that go over the
network run on the adapter's own worker threads so they never block an event loop; the
boto3 client they use is built on the first such call, since building it costs more
than the rest of a cold start and an upload never needs it.
"""

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast

from botocore.exceptions import ClientError, NoCredentialsError

from gateway.errors import client_error_code, storage_errors
from gateway.settings import Settings
from gateway.signing import Clock, S3Presigner, regional_s3_host, utc_now

T = TypeVar("T")

if TYPE_CHECKING:
    from botocore.credentials import Credentials as BotocoreCredentials
    from botocore.session import Session
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


class EnvironmentCredentials(NamedTuple):
    """Credentials taken from the standard environment variables."""

    access_key: str
    secret_key: str
    token: str | None

    def __repr__(self) -> str:
        return f"EnvironmentCredentials(access_key={self.access_key!r}, ...)"


def environment_credentials() -> EnvironmentCredentials | None:
    """The credentials botocore would resolve first, without importing it.

    botocore's chain looks at these variables before anything else, so reading them
    here gives the same answer; it does so on every request, as botocore would not.
    Lambda sets them for the function's role. When they carry an expiry, botocore
    owns them, since only its credential object tracks when they run out.
    """
    environ = os.environ
    access_key = environ.get("AWS_ACCESS_KEY_ID")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key or "AWS_CREDENTIAL_EXPIRATION" in environ:
        return None

    return EnvironmentCredentials(
        access_key, secret_key, environ.get("AWS_SESSION_TOKEN") or None
    )


def _client_credentials(client: "S3Client") -> "BotocoreCredentials | None":
    # botocore keeps a client's credentials only in a private attribute.
    signer = getattr(client, "_request_signer", None)

    return getattr(signer, "_credentials", None)


def make_session() -> "Session":
    from botocore.session import Session

    return Session()


def make_client(settings: Settings, session: "Session | None" = None) -> "S3Client":
    """An S3 client on the host the bucket answers on, for calls over the network."""
    from botocore.config import Config

    style: Literal["path", "virtual"] = "path"
    if settings.s3_endpoint_url:
        endpoint = settings.s3_endpoint_url
    else:
        endpoint = f"https://{regional_s3_host(settings.signing_region)}"
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
    client = (session or make_session()).create_client(
        "s3", region_name=settings.signing_region, endpoint_url=endpoint, config=config
    )

    return cast("S3Client", client)


class Storage:
    """Pre-signed requests and object queries for one bucket."""

    def __init__(
        self,
        settings: Settings,
        client: "S3Client | None" = None,
        clock: Clock = utc_now,
        *,
        one_request_at_a_time: bool = False,
    ) -> None:
        self.bucket = settings.bucket_name
        self.settings = settings
        self.signer = S3Presigner(
            settings.signing_region, settings.s3_endpoint_url, clock=clock
        )
        self._clock = clock
        self._client = client
        # botocore's credential object; left unresolved while the environment holds
        # keys, and taken from the client when one is given.
        self.credentials = _client_credentials(client) if client else None
        self._session: Session | None = None
        self._lock = threading.Lock()
        # Threads that outlive each request: Mangum runs every Lambda invocation as a
        # new asyncio task, and anyio stops its worker threads when that task ends, so
        # `anyio.to_thread` would start a thread per invocation. As many threads as
        # botocore keeps connections (10 by default).
        self._executor = ThreadPoolExecutor(max_workers=10, thread_name_prefix="s3")
        # A process that serves one request at a time (Lambda) has nothing else for
        # its event loop to do, so it calls S3 inline and skips the thread hop.
        self._inline = one_request_at_a_time

    @property
    def client(self) -> "S3Client":
        """The boto3 client for calls over the network, built on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client(self.settings, self._botocore_session())

        return self._client

    def presign_upload(
        self, key: str, terms: UploadTerms, expires_in: int
    ) -> PresignedRequest:
        headers = {"Content-Type": terms.content_type}
        if terms.size is not None:
            headers["Content-Length"] = str(terms.size)
        if terms.checksum_sha256 is not None:
            headers["x-amz-checksum-sha256"] = terms.checksum_sha256
        if terms.create_only:
            # Signed so that S3 itself refuses a write to a key that already exists.
            headers["If-None-Match"] = "*"
        credentials, now, expires_in = self._signing_terms(expires_in)
        url = self.signer.presign_put_object(
            credentials,
            self.bucket,
            key,
            expires_in,
            content_type=terms.content_type,
            content_length=terms.size,
            if_none_match="*" if terms.create_only else None,
            checksum_sha256=terms.checksum_sha256,
            now=now,
        )

        return PresignedRequest(url, headers, now + timedelta(seconds=expires_in))

    def presign_download(
        self, key: str, expires_in: int, content_disposition: str | None = None
    ) -> PresignedRequest:
        credentials, now, expires_in = self._signing_terms(expires_in)
        url = self.signer.presign_get_object(
            credentials,
            self.bucket,
            key,
            expires_in,
            response_content_disposition=content_disposition,
            now=now,
        )

        return PresignedRequest(url, {}, now + timedelta(seconds=expires_in))

    async def object_exists(self, key: str) -> bool:
        """Whether `key` holds an object.

        A one-key listing rather than HEAD: HEAD answers a bare 404 for a missing bucket
        too, and 403 for a missing key when the role may list only its own prefix.
        """
        return await self._call(self._list_first_key, key) == key

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
        # The length is signed so that S3 refuses a part of any other size.
        headers = {"Content-Length": str(size)}
        if checksum_sha256 is not None:
            headers["x-amz-checksum-sha256"] = checksum_sha256
        credentials, now, expires_in = self._signing_terms(expires_in)
        url = self.signer.presign_upload_part(
            credentials,
            self.bucket,
            key,
            expires_in,
            upload_id=upload_id,
            part_number=part,
            content_length=size,
            checksum_sha256=checksum_sha256,
            now=now,
        )

        return PresignedRequest(url, headers, now + timedelta(seconds=expires_in))

    def presign_form(
        self, key: str, content_type: str, max_size: int, expires_in: int
    ) -> PresignedForm:
        """A POST policy S3 enforces: this key, this content type, 1 to max bytes."""
        _, now, expires_in = self._signing_terms(expires_in)
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

        return await self._call(self._create_multipart_upload, params)

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        return await self._call(self._list_parts, key, upload_id)

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

        return await self._call(self._complete, params)

    async def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        await self._call(self._abort, key, upload_id)

    async def describe_object(self, key: str) -> StoredObject | None:
        return await self._call(self._describe_object, key)

    async def list_objects(
        self, prefix: str, start_after: str | None, limit: int
    ) -> tuple[list[StoredObject], bool]:
        """One page of objects under `prefix` after `start_after`; True if more wait."""
        return await self._call(self._list_objects, prefix, start_after, limit)

    async def delete_object(self, key: str) -> None:
        await self._call(self._delete_object, key)

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

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking S3 call inline on Lambda, else on the adapter's threads."""
        if self._inline:
            return function(*args)
        loop = asyncio.get_running_loop()

        return await loop.run_in_executor(self._executor, function, *args)

    def _signing_terms(self, expires_in: int) -> tuple[Any, datetime, int]:
        """The credentials of this moment, the signing time and an honest expiry."""
        now = self._clock().astimezone(UTC).replace(microsecond=0)
        if self.credentials is None:
            credentials = environment_credentials()
            if credentials is not None:
                return credentials, now, expires_in
        with storage_errors():
            source = self.credentials or self._resolve_credentials()
            # Refreshes role credentials that are about to expire.
            frozen = source.get_frozen_credentials()

        return frozen, now, self._honest_expiry(source, now, expires_in)

    def _resolve_credentials(self) -> "BotocoreCredentials":
        credentials = self._botocore_session().get_credentials()
        if credentials is None:
            raise NoCredentialsError()
        self.credentials = credentials

        return credentials

    def _botocore_session(self) -> "Session":
        if self._session is None:
            self._session = make_session()

        return self._session

    @staticmethod
    def _honest_expiry(
        credentials: "BotocoreCredentials", now: datetime, expires_in: int
    ) -> int:
        """Never promise a URL longer than the credentials that sign it will live."""
        # botocore keeps the expiry of refreshable (role) credentials only privately.
        expiry = getattr(credentials, "_expiry_time", None)
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
