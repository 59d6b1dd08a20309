"""HTTP routes. Each does one call into `Files` and shapes the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.convertors import Convertor, register_url_convertor

from gateway.deps import CatalogDep, FilesDep, TenantDep
from gateway.models import (
    FileList,
    FileMetadata,
    Health,
    Problem,
    UploadRequest,
    UploadResponse,
)
from gateway.settings import LIST_PAGE_LIMIT


class ObjectKeyConvertor(Convertor[str]):
    """Like Starlette's `path`, but matches line breaks too, so that the key rules (not
    a routing miss) answer a key holding them."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("objectkey", ObjectKeyConvertor())
router = APIRouter()

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (401, 403, 404, 409, 413, 415, 422, 502, 503, 504)
}


@router.post(
    "/files",
    status_code=201,
    response_model=UploadResponse,
    responses=PROBLEMS,
    tags=["files"],
)
async def create_upload(
    body: UploadRequest, tenant: TenantDep, files: FilesDep
) -> Response:
    """Issue a pre-signed upload URL."""
    upload = await files.issue_upload(tenant, body)

    # Serialized once here: returned as a model, FastAPI would dump it, validate the
    # dump against the same model, and dump it again.
    return Response(
        upload.model_dump_json(), status_code=201, media_type="application/json"
    )


@router.get(
    "/files/{objectKey:objectkey}",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {"description": "Redirect to a pre-signed download URL."},
        200: {
            "model": FileMetadata,
            "description": "With `Accept: application/json`: the file's metadata.",
        },
        **PROBLEMS,
    },
    tags=["files"],
)
async def download(
    objectKey: str,  # noqa: N803  # the wire name of the original design
    tenant: TenantDep,
    files: FilesDep,
    catalog: CatalogDep,
    attachment: Annotated[
        bool, Query(description="Ask S3 to send the file as an attachment.")
    ] = False,
    accept: Annotated[str, Header()] = "",
) -> Response:
    """Redirect to a pre-signed download URL, or describe the file as JSON."""
    if wants_json(accept):
        metadata = await catalog.describe(tenant, objectKey)
        body = metadata.model_dump(mode="json", exclude_none=True)
        return JSONResponse(body, headers={"Vary": "Accept"})
    download = await files.issue_download(tenant, objectKey, attachment=attachment)

    return RedirectResponse(
        download.url,
        status_code=files.settings.redirect_status_code,
        headers={"Vary": "Accept"},
    )


@router.get("/files", responses=PROBLEMS, tags=["files"])
async def list_files(
    tenant: TenantDep,
    catalog: CatalogDep,
    prefix: Annotated[
        str, Query(max_length=1024, description="Only keys starting with this.")
    ] = "",
    cursor: Annotated[
        str | None,
        Query(max_length=2048, description="The `nextCursor` of the previous page."),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=LIST_PAGE_LIMIT, description="Files per page (default 100)."),
    ] = None,
) -> FileList:
    """List the caller's files, one page at a time."""
    return await catalog.list_files(tenant, prefix, cursor, limit)


@router.delete(
    "/files/{objectKey:objectkey}",
    status_code=204,
    responses=PROBLEMS,
    tags=["files"],
)
async def delete_file(
    objectKey: str,  # noqa: N803  # the wire name of the original design
    tenant: TenantDep,
    catalog: CatalogDep,
) -> Response:
    """Delete a file."""
    await catalog.delete(tenant, objectKey)

    return Response(status_code=204)


def wants_json(accept: str) -> bool:
    """Whether the Accept header names JSON (browsers' `*/*` still get the redirect)."""
    media_types = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}

    return "application/json" in media_types


@router.get("/health", tags=["operations"])
async def health() -> Health:
    """Report that the process serves requests."""
    return Health()
