"""API errors and the middleware that turns every failure into ``{"error": {...}}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.db.availability import database_unavailable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Reason codes for HTTP statuses aiohttp raises by itself (routing, body size …).
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    431: "headers_too_large",
    503: "unavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def not_found(kind: str, ident: object) -> ApiError:
    return ApiError(404, "not_found", f"{kind} {ident} does not exist", {"kind": kind, "id": ident})


def unauthorized(message: str = "log in first") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str, code: str = "forbidden", details: Any = None) -> ApiError:
    return ApiError(403, code, message, details)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(error_body(code, message, details)).encode(),
        content_type="application/json",
        headers=headers,
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "http_error")
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        message = (
            exc.reason if exc.text is None or exc.text.startswith(str(exc.status)) else exc.text
        )
        return error_response(exc.status, code, message, None, headers)
    except Exception as exc:
        if database_unavailable(exc):
            log.warning("database unavailable on %s %s: %r", request.method, request.path, exc)
            return error_response(
                503,
                "database_unavailable",
                "the database is not reachable right now; retry shortly",
                headers={"Retry-After": "2"},
            )
        if isinstance(exc, RedisConnectionError | RedisTimeoutError):
            # Cluster mode: the shared throttles and revocation lists live in Redis.
            log.warning("redis unavailable on %s %s: %r", request.method, request.path, exc)
            return error_response(
                503,
                "unavailable",
                "a service this request needs is not reachable right now; retry shortly",
                headers={"Retry-After": "2"},
            )
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal server error")
