"""The browser pages: the upload page at `/`, the API docs at `/docs`, their assets.

Everything a page loads is served by the app itself, so the pages work with no
internet access. Each page names the client-visible prefix (an API Gateway stage, a
custom-domain base path) in a `<base>` element, so that `/prod` and `/prod/` both
load `/prod/static/...` and call `/prod/files`.
"""

import html
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from gateway.settings import Settings
from gateway.signing import regional_s3_host

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
ROOT_MARKER = "{{root}}"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def upload_page(request: Request) -> HTMLResponse:
    """The upload page."""
    return render_page(request, "upload.html", style_src="'self'")


@router.get("/docs")
async def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI on the app's own OpenAPI document."""
    return render_page(request, "docs.html", style_src="'self'")


def add_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def render_page(request: Request, name: str, style_src: str) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    page = read_template(name).replace(ROOT_MARKER, html.escape(root + "/"))
    settings: Settings = request.app.state.settings
    policy = content_security_policy(storage_origins(settings), style_src)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy}

    return HTMLResponse(page, headers=headers)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The page's own URL is harmless, but pages it links to need not learn it.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def content_security_policy(storage: str, style_src: str) -> str:
    """Scripts only from the app; requests only to the app and the bucket's origin."""
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": style_src,
        "img-src": "'self' data:",
        "connect-src": f"'self' {storage}",
        "base-uri": "'self'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }

    return "; ".join(f"{name} {value}" for name, value in directives.items())


@cache
def read_template(name: str) -> str:
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


def storage_origins(settings: Settings) -> str:
    """Where signed URLs point: the configured endpoint, or S3 in the bucket region."""
    if settings.s3_endpoint_url:
        endpoint = urlsplit(settings.s3_endpoint_url)
        return f"{endpoint.scheme}://{endpoint.netloc}"
    host = regional_s3_host(settings.signing_region)

    # Path-style and virtual-hosted URLs alike.
    return f"https://{host} https://*.{host}"
