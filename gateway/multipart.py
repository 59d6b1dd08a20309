"""The rules for multipart uploads: part sizes, tenants, and create-only completion.

The gateway keeps no state: S3 holds each upload, binds its id to the key, and the
key carries the tenant's prefix, so one tenant cannot reach another's upload.
"""

import math

from gateway.errors import InvalidParts, InvalidRequest, ObjectExists, UploadTooLarge
from gateway.files import check_content_type, check_overwrite
from gateway.keys import make_object_key, parse_object_key, storage_key
from gateway.models import (
    CompletedUpload,
    CompleteRequest,
    MultipartRequest,
    MultipartResponse,
    SignedPart,
    SignedParts,
    SignPartsRequest,
    UploadedPart,
    UploadedParts,
)
from gateway.settings import Settings
from gateway.storage import Storage, StoredPart

MIN_PART_SIZE = 5 * 1024**2
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10_000
DEFAULT_PART_SIZE = 8 * 1024**2
_MIB = 1024**2


def choose_part_size(size: int, requested: int | None) -> int:
    """The requested part size if S3 allows it for `size`, else the smallest fitting."""
    if requested is None:
        fitting = math.ceil(size / MAX_PARTS / _MIB) * _MIB
        return max(DEFAULT_PART_SIZE, fitting)
    if not MIN_PART_SIZE <= requested <= MAX_PART_SIZE:
        raise _invalid("partSize", "must be from 5 MiB to 5 GiB (S3's limits)")
    if part_count(size, requested) > MAX_PARTS:
        raise _invalid("partSize", "gives more than 10,000 parts (S3's limit)")

    return requested


def part_count(size: int, part_size: int) -> int:
    return math.ceil(size / part_size)


def part_length(size: int, part_size: int, number: int) -> int:
    """The exact length of part `number`: `part_size`, the last part what remains."""
    count = part_count(size, part_size)
    if number > count:
        raise _invalid("parts", f"part {number} is past the last part ({count})")

    return part_size if number < count else size - (count - 1) * part_size


class Multipart:
    """Starts, signs, lists, completes and aborts multipart uploads per tenant."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def start(self, tenant: str, request: MultipartRequest) -> MultipartResponse:
        self._check_size(request.size)
        check_overwrite(request.overwrite, self.settings)
        check_content_type(request.content_type, self.settings)
        part_size = choose_part_size(request.size, request.part_size)
        object_key = make_object_key(request.file_name, self.settings.object_key_mode)
        key = self._key(tenant, object_key)
        chosen_name = self.settings.object_key_mode == "original"
        # Early answer only: completion is create-only in S3 itself.
        if (
            not request.overwrite
            and chosen_name
            and await self.storage.object_exists(key)
        ):
            raise ObjectExists("An object with this name exists.")
        upload_id = await self.storage.create_multipart_upload(
            key, request.content_type, request.checksum_algorithm == "SHA256"
        )

        return MultipartResponse(
            uploadId=upload_id,
            objectKey=object_key,
            partSize=part_size,
            partCount=part_count(request.size, part_size),
        )

    def sign_parts(
        self, tenant: str, upload_id: str, request: SignPartsRequest
    ) -> SignedParts:
        self._check_size(request.size)
        choose_part_size(request.size, request.part_size)
        key = self._key(tenant, parse_object_key(request.object_key))
        expires_in = self.settings.upload_url_expires_seconds
        presigned = [
            self.storage.presign_part(
                key,
                upload_id,
                part.part_number,
                part_length(request.size, request.part_size, part.part_number),
                part.checksum_sha256,
                expires_in,
            )
            for part in request.parts
        ]
        signed = [
            SignedPart(
                partNumber=part.part_number, uploadURL=url.url, headers=url.headers
            )
            for part, url in zip(request.parts, presigned, strict=True)
        ]

        return SignedParts(parts=signed, expiresAt=presigned[0].expires_at)

    async def list_parts(
        self, tenant: str, upload_id: str, object_key: str
    ) -> UploadedParts:
        key = self._key(tenant, parse_object_key(object_key))
        stored = await self.storage.list_parts(key, upload_id)

        return UploadedParts(
            uploadId=upload_id,
            objectKey=object_key,
            parts=[
                UploadedPart(
                    partNumber=part.number,
                    size=part.size,
                    etag=part.etag,
                    checksumSHA256=part.checksum_sha256,
                )
                for part in stored
            ],
        )

    async def complete(
        self, tenant: str, upload_id: str, request: CompleteRequest
    ) -> CompletedUpload:
        check_overwrite(request.overwrite, self.settings)
        key = self._key(tenant, parse_object_key(request.object_key))
        stored = await self.storage.list_parts(key, upload_id)
        parts = self._parts_to_complete(stored, request)
        # Checked against the lengths S3 measured, not against anything declared.
        self._check_size(sum(part.size for part in parts))
        etag = await self.storage.complete_multipart_upload(
            key, upload_id, parts, create_only=not request.overwrite
        )

        return CompletedUpload(
            objectKey=request.object_key,
            size=sum(part.size for part in parts),
            etag=etag,
        )

    async def abort(self, tenant: str, upload_id: str, object_key: str) -> None:
        key = self._key(tenant, parse_object_key(object_key))
        await self.storage.abort_multipart_upload(key, upload_id)

    def _parts_to_complete(
        self, stored: list[StoredPart], request: CompleteRequest
    ) -> list[StoredPart]:
        if not stored:
            raise InvalidParts("No part of this upload has been uploaded.")
        if request.parts is None:
            return sorted(stored, key=lambda part: part.number)
        sizes = {part.number: part.size for part in stored}
        numbers = [part.part_number for part in request.parts]
        if len(set(numbers)) != len(numbers):
            raise InvalidParts("A part number is listed more than once.")
        missing = sorted(set(numbers) - set(sizes))
        if missing:
            raise InvalidParts(f"Part {missing[0]} has not been uploaded.")
        chosen = [
            StoredPart(
                part.part_number,
                sizes[part.part_number],
                part.etag,
                part.checksum_sha256,
            )
            for part in request.parts
        ]

        return sorted(chosen, key=lambda part: part.number)

    def _check_size(self, size: int) -> None:
        limit = self.settings.max_multipart_upload_bytes
        if size > limit:
            raise UploadTooLarge(
                f"The upload is {size} bytes; the most this gateway accepts is {limit}."
            )

    def _key(self, tenant: str, object_key: str) -> str:
        return storage_key(self.settings.tenant_prefix, tenant, object_key)


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(
        f"The request is not valid: {field}.",
        errors=[{"field": field, "message": message}],
    )
