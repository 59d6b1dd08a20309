"""HTTP routes for multipart uploads and browser form uploads.

A multipart upload is named by S3's upload id and the object key it was started for;
the key travels in the body or as the `objectKey` query parameter.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from gateway.deps import FilesDep, MultipartDep, TenantDep
from gateway.models import (
    CompletedUpload,
    CompleteRequest,
    FormUploadRequest,
    FormUploadResponse,
    MultipartRequest,
    MultipartResponse,
    SignedParts,
    SignPartsRequest,
    UploadedParts,
)
from gateway.routes import PROBLEMS

router = APIRouter(responses=PROBLEMS)

UploadIdPath = Annotated[
    str,
    Path(
        alias="uploadId",
        min_length=1,
        max_length=1024,
        pattern=r"^[A-Za-z0-9._~+=-]+$",
        description="The id S3 gave the multipart upload.",
    ),
]
ObjectKeyQuery = Annotated[
    str,
    Query(
        alias="objectKey",
        min_length=1,
        max_length=1024,
        description="The key the upload was started for.",
    ),
]


@router.post("/uploads", status_code=201, tags=["uploads"])
async def start_multipart_upload(
    body: MultipartRequest, tenant: TenantDep, multipart: MultipartDep
) -> MultipartResponse:
    """Start a multipart upload."""
    return await multipart.start(tenant, body)


@router.post("/uploads/{uploadId}/parts", tags=["uploads"])
async def sign_parts(
    upload_id: UploadIdPath,
    body: SignPartsRequest,
    tenant: TenantDep,
    multipart: MultipartDep,
) -> SignedParts:
    """Issue pre-signed URLs for a batch of parts."""
    return multipart.sign_parts(tenant, upload_id, body)


@router.get("/uploads/{uploadId}/parts", tags=["uploads"])
async def list_parts(
    upload_id: UploadIdPath,
    object_key: ObjectKeyQuery,
    tenant: TenantDep,
    multipart: MultipartDep,
) -> UploadedParts:
    """List the parts S3 holds, to resume an upload."""
    return await multipart.list_parts(tenant, upload_id, object_key)


@router.post("/uploads/{uploadId}/complete", status_code=201, tags=["uploads"])
async def complete_multipart_upload(
    upload_id: UploadIdPath,
    body: CompleteRequest,
    tenant: TenantDep,
    multipart: MultipartDep,
) -> CompletedUpload:
    """Assemble the uploaded parts into the object."""
    return await multipart.complete(tenant, upload_id, body)


@router.delete("/uploads/{uploadId}", status_code=204, tags=["uploads"])
async def abort_multipart_upload(
    upload_id: UploadIdPath,
    object_key: ObjectKeyQuery,
    tenant: TenantDep,
    multipart: MultipartDep,
) -> Response:
    """Abort a multipart upload and drop its parts."""
    await multipart.abort(tenant, upload_id, object_key)

    return Response(status_code=204)


@router.post("/files/form", status_code=201, tags=["files"])
async def create_form_upload(
    body: FormUploadRequest, tenant: TenantDep, files: FilesDep
) -> FormUploadResponse:
    """Issue a pre-signed browser form (POST) upload with a size limit."""
    return await files.issue_form_upload(tenant, body)
