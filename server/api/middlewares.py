"""Cross-cutting request checks: CSRF origin check and security headers."""

from __future__ import annotations

from aiohttp import web

from server.accounts.identity import came_with_cookie
from server.api.errors import Handler, error_response
from server.appkeys import settings_key

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@web.middleware
async def origin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Cookie-authenticated writes must come from our own pages (CSRF defence)."""
    if request.method in _UNSAFE and came_with_cookie(request):
        origin = request.headers.get("Origin")
        # Browsers send Origin on every unsafe cross-site request; tools send none.
        if origin is not None and origin.rstrip("/") not in request.app[settings_key].origins:
            return error_response(
                403,
                "bad_origin",
                "this origin may not act with a session cookie",
                {"origin": origin},
            )
    return await handler(request)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
