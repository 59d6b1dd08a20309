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
