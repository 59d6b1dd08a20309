"""Request dependencies, shared by every route through `Annotated` aliases.

They are `async` so that FastAPI calls them inline instead of through a thread pool.
"""

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth import Authenticator
from gateway.catalog import Catalog
from gateway.files import Files
from gateway.multipart import Multipart


async def files_service(request: Request) -> Files:
    files: Files = request.app.state.files
    return files


async def multipart_service(request: Request) -> Multipart:
    multipart: Multipart = request.app.state.multipart
    return multipart


async def catalog_service(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


async def current_tenant(request: Request) -> str:
    authenticator: Authenticator = request.app.state.authenticator
    tenant = authenticator.tenant_for(request.headers, request.scope.get("aws.event"))
    request.state.tenant = tenant

    return tenant


FilesDep = Annotated[Files, Depends(files_service)]
TenantDep = Annotated[str, Depends(current_tenant)]
MultipartDep = Annotated[Multipart, Depends(multipart_service)]
CatalogDep = Annotated[Catalog, Depends(catalog_service)]
