"""The browser client: static files from ``web/`` and the page paths that open it.

Every page path answers with ``index.html``; the client's router draws the page.
Static files are served without following symlinks out of ``web/`` and without
directory listings. Register these routes after the API's, so API routes win.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.api.openapi import page_route
from server.appkeys import settings_key

STATIC_PREFIX = "/static"
DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# Paths a person may bookmark or reload; each one opens the client.
PAGE_PATHS: tuple[str, ...] = (
    "/",
    "/agenda",
    "/schedule",
    "/sessions/{id:\\d+}",
    "/rooms/{id:\\d+}",
    "/moderate/{id:\\d+}",
    "/organise",
    "/organise/{section:[a-z-]+}",
    "/login",
    "/register",
    "/profile",
)

# Scripts and styles only from our own origin: an injected <script> or inline
# handler does not run, whatever text reaches the page. External HLS, embeds
# and media servers are https origins chosen by organisers, so media, connect
# and frames allow https; hls.js runs its worker from a blob: URL.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "media-src 'self' blob: https:",
        "connect-src 'self' https:",
        "frame-src https:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def web_dir(app: web.Application) -> Path:
    configured = app[settings_key].web_dir
    return (configured or DEFAULT_WEB_DIR).resolve()


@page_route
async def index_page(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(web_dir(request.app) / "index.html")
    # The entry must be revalidated on every visit, so a deploy reaches everyone.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


async def _static_cache_headers(request: web.Request, response: web.StreamResponse) -> None:
    # Modules import each other by plain names (no build step, no hashed names),
    # so browsers revalidate with the ETag aiohttp sends; a 304 costs one round trip.
    if request.path.startswith(STATIC_PREFIX + "/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"


def add_web_routes(app: web.Application) -> None:
    """The client's routes; call last in ``create_app`` so API routes are matched first."""
    root = web_dir(app)
    app.router.add_static(
        STATIC_PREFIX, root, follow_symlinks=False, show_index=False, append_version=False
    )
    for path in PAGE_PATHS:
        app.router.add_get(path, index_page)
    app.on_response_prepare.append(_static_cache_headers)
