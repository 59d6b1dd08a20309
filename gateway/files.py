"""The gateway's rules for issuing upload and download URLs, one tenant at a time."""

import fnmatch
from urllib.parse import quote

from gateway.errors import (
    InvalidObjectKey,
    InvalidRequest,
    ObjectExists,
    ObjectNotFound,
    UnsupportedContentType,
    UploadTooLarge,
)
from gateway.keys import make_object_key, parse_object_key, storage_key
from gateway.models import (
    FormUploadRequest,
    FormUploadResponse,
    UploadRequest,
    UploadResponse,
)
from gateway.settings import SINGLE_PUT_LIMIT_BYTES, Settings
from gateway.storage import PresignedRequest, Storage, UploadTerms


class Files:
    """Issues pre-signed URLs under each tenant's own prefix."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def issue_upload(self, tenant: str, request: UploadRequest) -> UploadResponse:
        self._check_upload_policy(request)
        object_key = make_object_key(request.file_name, self.settings.object_key_mode)
        key = storage_key(self.settings.tenant_prefix, tenant, object_key)
        create_only = not request.overwrite
        # A unique key is new by construction; a chosen name may already be taken.
        chosen_name = self.settings.object_key_mode == "original"
        if create_only and chosen_name and await self.storage.object_exists(key):
            raise ObjectExists(
                "An object with this name exists; uploads never replace one unless "
                "overwrite is requested and allowed."
            )
        terms = UploadTerms(
            content_type=request.content_type,
            size=request.size,
            checksum_sha256=request.checksum_sha256,
            create_only=create_only,
        )
        upload = self.storage.presign_upload(
            key, terms, self.settings.upload_url_expires_seconds
        )

        return UploadResponse(
            uploadURL=upload.url,
            objectKey=object_key,
            headers=upload.headers,
            expiresAt=upload.expires_at,
        )

    async def issue_download(
        self, tenant: str, object_key: str, *, attachment: bool = False
    ) -> PresignedRequest:
        key = storage_key(
            self.settings.tenant_prefix, tenant, parse_object_key(object_key)
        )
        if not await self.storage.object_exists(key):
            raise ObjectNotFound("No object has this key.")
        disposition = attachment_disposition(object_key) if attachment else None

        return self.storage.presign_download(
            key, self.settings.download_url_expires_seconds, disposition
        )

    async def issue_form_upload(
        self, tenant: str, request: FormUploadRequest
    ) -> FormUploadResponse:
        check_overwrite(request.overwrite, self.settings)
        check_content_type(request.content_type, self.settings)
        max_size = request.max_size or self.settings.max_upload_bytes
        if max_size > self.settings.max_upload_bytes:
            raise UploadTooLarge(
                f"maxSize is {max_size} bytes; the most this gateway accepts is "
                f"{self.settings.max_upload_bytes}."
            )
        # A POST policy cannot carry If-None-Match, so S3 cannot refuse a second write:
        # a chosen name is only issued where replacing is requested and allowed.
        if self.settings.object_key_mode == "original" and not request.overwrite:
            raise InvalidRequest(
                "A form upload cannot be made create-only; with chosen names it "
                "needs overwrite requested and allowed.",
                errors=[{"field": "overwrite", "message": "required for form uploads"}],
            )
        object_key = make_object_key(request.file_name, self.settings.object_key_mode)
        if object_key.endswith("${filename}"):
            # S3 would read it as "any key with this prefix", not this one key.
            raise InvalidObjectKey("A form upload's name must not end in ${filename}.")
        key = storage_key(self.settings.tenant_prefix, tenant, object_key)
        form = self.storage.presign_form(
            key,
            request.content_type,
            max_size,
            self.settings.upload_url_expires_seconds,
        )

        return FormUploadResponse(
            uploadURL=form.url,
            objectKey=object_key,
            fields=form.fields,
            maxSize=max_size,
            expiresAt=form.expires_at,
        )

    def _check_upload_policy(self, request: UploadRequest) -> None:
        settings = self.settings
        check_overwrite(request.overwrite, settings)
        # A limit below S3's own needs the size signed in, or S3 could not enforce it.
        limited = settings.max_upload_bytes < SINGLE_PUT_LIMIT_BYTES
        if request.size is None and (settings.require_size or limited):
            raise InvalidRequest(
                "This gateway requires the upload's size in bytes.",
                errors=[{"field": "size", "message": "required"}],
            )
        if request.size is not None and request.size > settings.max_upload_bytes:
            raise UploadTooLarge(
                f"The upload is {request.size} bytes; the most this gateway accepts "
                f"is {settings.max_upload_bytes}."
            )
        check_content_type(request.content_type, settings)


def check_overwrite(overwrite: bool, settings: Settings) -> None:
    if overwrite and not settings.allow_overwrite:
        raise InvalidRequest(
            "Overwriting is switched off on this gateway.",
            errors=[{"field": "overwrite", "message": "not allowed here"}],
        )


def check_content_type(content_type: str, settings: Settings) -> None:
    if not content_type_allowed(content_type, settings.allowed_content_types):
        raise UnsupportedContentType(
            "This content type is not accepted here; accepted: "
            + ", ".join(settings.allowed_content_types)
        )


def content_type_allowed(content_type: str, patterns: list[str]) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()

    return any(fnmatch.fnmatchcase(media_type, pattern) for pattern in patterns)


def attachment_disposition(object_key: str) -> str:
    """`attachment` with the key's file name, per RFC 6266 and RFC 5987."""
    name = object_key.rpartition("/")[2]
    fallback = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\;' else "_"
        for char in name
    )

    return (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
