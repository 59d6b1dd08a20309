"""Request and response bodies, with the wire names of the original design."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MEDIA_TYPE_PATTERN = (
    r"^[A-Za-z0-9!#$&^_.+-]{1,127}/[A-Za-z0-9!#$&^_.+-]{1,127}"
    r"(;[ ]?[A-Za-z0-9!#$&^_.+-]+=([A-Za-z0-9!#$&^_.+-]+|\"[^\"\\\x00-\x1f\x7f]*\"))*$"
)
SHA256_BASE64_PATTERN = r"^[A-Za-z0-9+/]{43}=$"

FileName = Annotated[
    str, Field(min_length=1, max_length=1024, examples=["photos/cat.png"])
]
ContentType = Annotated[
    str, Field(max_length=255, pattern=MEDIA_TYPE_PATTERN, examples=["image/png"])
]


class UploadRequest(BaseModel):
    """What a client asks for: the file it is about to PUT."""

    model_config = ConfigDict(strict=True, extra="forbid", validate_by_name=False)

    file_name: FileName = Field(alias="fileName")
    content_type: ContentType = Field(alias="contentType")
    size: int | None = Field(
        default=None,
        ge=1,
        description="Exact length in bytes; signed so that S3 refuses any other.",
    )
    checksum_sha256: str | None = Field(
        default=None,
        alias="checksumSHA256",
        pattern=SHA256_BASE64_PATTERN,
        description="Base64 SHA-256 of the bytes; signed so that S3 refuses others.",
    )
    overwrite: bool = Field(
        default=False, description="Replace an existing object (only where allowed)."
    )


class UploadResponse(BaseModel):
    """A pre-signed upload: send `method`, exactly `headers` and the bytes."""

    model_config = ConfigDict(serialize_by_alias=True)

    upload_url: str = Field(alias="uploadURL")
    object_key: str = Field(alias="objectKey")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(
        description="Every header the upload must carry, exactly as listed."
    )
    expires_at: datetime = Field(alias="expiresAt")


class Problem(BaseModel):
    """An RFC 9457 problem document; `code` is stable and machine-readable."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, str]] | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


# --- multipart uploads, form uploads and the file lifecycle -----------------------

UploadId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        pattern=r"^[A-Za-z0-9._~+=-]+$",
        description="The id S3 gave the multipart upload.",
    ),
]
PartNumber = Annotated[int, Field(ge=1, le=10_000, alias="partNumber")]
Checksum = Annotated[str, Field(pattern=SHA256_BASE64_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", validate_by_name=False)


class MultipartRequest(_Strict):
    """A file to upload in parts: its name, content type and exact size."""

    file_name: FileName = Field(alias="fileName")
    content_type: ContentType = Field(alias="contentType")
    size: int = Field(ge=1, description="Exact length of the whole file in bytes.")
    part_size: int | None = Field(
        default=None,
        alias="partSize",
        ge=1,
        description="Bytes per part (5 MiB to 5 GiB); the gateway picks one if absent.",
    )
    checksum_algorithm: Literal["SHA256"] | None = Field(
        default=None,
        alias="checksumAlgorithm",
        description="Every part will carry its SHA-256, which S3 then checks.",
    )
    overwrite: bool = False


class MultipartResponse(BaseModel):
    """A started multipart upload: sign its parts, send them, then complete it."""

    model_config = ConfigDict(serialize_by_alias=True)

    upload_id: str = Field(alias="uploadId")
    object_key: str = Field(alias="objectKey")
    part_size: int = Field(alias="partSize")
    part_count: int = Field(alias="partCount")


class PartToSign(_Strict):
    part_number: PartNumber
    checksum_sha256: Checksum | None = Field(default=None, alias="checksumSHA256")


class SignPartsRequest(_Strict):
    """Which parts to sign; `size` and `partSize` give each part's exact length."""

    object_key: str = Field(alias="objectKey", min_length=1, max_length=1024)
    size: int = Field(ge=1)
    part_size: int = Field(alias="partSize", ge=1)
    parts: list[PartToSign] = Field(min_length=1, max_length=100)


class SignedPart(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    part_number: int = Field(alias="partNumber")
    upload_url: str = Field(alias="uploadURL")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]


class SignedParts(BaseModel):
    """Pre-signed part URLs: PUT each part with exactly its `headers`."""

    model_config = ConfigDict(serialize_by_alias=True)

    parts: list[SignedPart]
    expires_at: datetime = Field(alias="expiresAt")


class UploadedPart(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    part_number: int = Field(alias="partNumber")
    size: int
    etag: str
    checksum_sha256: str | None = Field(default=None, alias="checksumSHA256")


class UploadedParts(BaseModel):
    """The parts S3 holds for an upload, in part-number order."""

    model_config = ConfigDict(serialize_by_alias=True)

    upload_id: str = Field(alias="uploadId")
    object_key: str = Field(alias="objectKey")
    parts: list[UploadedPart]


class PartToComplete(_Strict):
    part_number: PartNumber
    etag: str = Field(min_length=1, max_length=128, pattern=r'^"?[A-Za-z0-9-]+"?$')
    checksum_sha256: Checksum | None = Field(default=None, alias="checksumSHA256")


class CompleteRequest(_Strict):
    """Assemble the upload; `parts` omitted means every part S3 holds."""

    object_key: str = Field(alias="objectKey", min_length=1, max_length=1024)
    parts: list[PartToComplete] | None = Field(
        default=None, min_length=1, max_length=10_000
    )
    overwrite: bool = False


class CompletedUpload(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    object_key: str = Field(alias="objectKey")
    size: int
    etag: str


class FormUploadRequest(_Strict):
    """A browser form upload: the file's name, content type and the most bytes."""

    file_name: FileName = Field(alias="fileName")
    content_type: ContentType = Field(alias="contentType")
    max_size: int | None = Field(
        default=None,
        alias="maxSize",
        ge=1,
        description="The most bytes S3 will accept; the gateway's limit if absent.",
    )
    overwrite: bool = False


class FormUploadResponse(BaseModel):
    """POST `fields` and then the file (as the last field, `file`) to `uploadURL`."""

    model_config = ConfigDict(serialize_by_alias=True)

    upload_url: str = Field(alias="uploadURL")
    object_key: str = Field(alias="objectKey")
    method: Literal["POST"] = "POST"
    fields: dict[str, str]
    max_size: int = Field(alias="maxSize")
    expires_at: datetime = Field(alias="expiresAt")


class FileMetadata(BaseModel):
    """What S3 holds under a key, and a pre-signed URL to download it."""

    model_config = ConfigDict(serialize_by_alias=True)

    object_key: str = Field(alias="objectKey")
    size: int
    content_type: str | None = Field(alias="contentType")
    etag: str
    last_modified: datetime = Field(alias="lastModified")
    checksum_sha256: str | None = Field(default=None, alias="checksumSHA256")
    download_url: str = Field(alias="downloadURL")
    expires_at: datetime = Field(alias="expiresAt")


class FileSummary(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    object_key: str = Field(alias="objectKey")
    size: int
    etag: str
    last_modified: datetime = Field(alias="lastModified")


class FileList(BaseModel):
    """One page of a tenant's files; pass `nextCursor` back as `cursor` for the next."""

    model_config = ConfigDict(serialize_by_alias=True)

    files: list[FileSummary]
    next_cursor: str | None = Field(alias="nextCursor")
