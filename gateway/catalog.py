"""What a tenant holds: one file's metadata, pages of its files, and deletion."""

import base64
import binascii

from gateway.errors import DeleteDisabled, InvalidRequest, ObjectNotFound
from gateway.keys import parse_object_key, storage_key
from gateway.models import FileList, FileMetadata, FileSummary
from gateway.settings import Settings
from gateway.storage import Storage

DEFAULT_PAGE_SIZE = 100


class Catalog:
    """Describes, lists and deletes objects under each tenant's own prefix."""

    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def describe(self, tenant: str, object_key: str) -> FileMetadata:
        key = self._key(tenant, parse_object_key(object_key))
        # Listing first: HEAD of a missing key is a 403 where the role may only list.
        exists = await self.storage.object_exists(key)
        stored = await self.storage.describe_object(key) if exists else None
        if stored is None:
            raise ObjectNotFound("No object has this key.")
        download = self.storage.presign_download(
            key, self.settings.download_url_expires_seconds
        )

        return FileMetadata(
            objectKey=object_key,
            size=stored.size,
            contentType=stored.content_type,
            etag=stored.etag,
            lastModified=stored.last_modified,
            checksumSHA256=stored.checksum_sha256,
            downloadURL=download.url,
            expiresAt=download.expires_at,
        )

    async def list_files(
        self, tenant: str, prefix: str, cursor: str | None, limit: int | None
    ) -> FileList:
        _refuse_control_characters("prefix", prefix)
        base = self._key(tenant, "")
        start_after = None if cursor is None else base + decode_cursor(cursor)
        page_size = min(limit or DEFAULT_PAGE_SIZE, self.settings.max_list_page_size)
        stored, more = await self.storage.list_objects(
            self._key(tenant, prefix), start_after, page_size
        )
        files = [
            FileSummary(
                objectKey=entry.key[len(base) :],
                size=entry.size,
                etag=entry.etag,
                lastModified=entry.last_modified,
            )
            for entry in stored
        ]
        next_cursor = encode_cursor(files[-1].object_key) if more and files else None

        return FileList(files=files, nextCursor=next_cursor)

    async def delete(self, tenant: str, object_key: str) -> None:
        if not self.settings.allow_delete:
            raise DeleteDisabled("Deleting files is switched off on this gateway.")
        key = self._key(tenant, parse_object_key(object_key))
        if not await self.storage.object_exists(key):
            raise ObjectNotFound("No object has this key.")
        await self.storage.delete_object(key)

    def _key(self, tenant: str, object_key: str) -> str:
        return storage_key(self.settings.tenant_prefix, tenant, object_key)


def encode_cursor(object_key: str) -> str:
    """The cursor after `object_key`: opaque to clients, safe in a query string."""
    return base64.urlsafe_b64encode(object_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        object_key = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise _invalid("cursor", "must be a nextCursor this gateway gave") from None
    _refuse_control_characters("cursor", object_key)

    return object_key


def _refuse_control_characters(field: str, text: str) -> None:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise _invalid(field, "must not contain control characters")


def _invalid(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(
        f"The request is not valid: {field}.",
        errors=[{"field": field, "message": message}],
    )
