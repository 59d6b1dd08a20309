"""HTTP routes. Each does one call into `Files` and shapes the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse
from starlette.convertors import Convertor, register_url_convertor

from gateway.deps import FilesDep, TenantDep
from gateway.models import Health, Problem, UploadRequest, UploadResponse


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

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (401, 404, 409, 413, 415, 422, 502, 503, 504)
}


@router.post(
    "/files",
    status_code=201,
    response_model=UploadResponse,
    responses=_PROBLEMS,
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
        **_PROBLEMS,
    },
    tags=["files"],
)
async def download(
    objectKey: str,  # noqa: N803  # the wire name of the original design
    tenant: TenantDep,
    files: FilesDep,
    attachment: Annotated[
        bool, Query(description="Ask S3 to send the file as an attachment.")
    ] = False,
) -> RedirectResponse:
    """Redirect to a pre-signed download URL."""
    download = await files.issue_download(tenant, objectKey, attachment=attachment)

    return RedirectResponse(
        download.url, status_code=files.settings.redirect_status_code
    )


@router.get("/health", tags=["operations"])
async def health() -> Health:
    """Report that the process serves requests."""
    return Health()
