"""Structured JSON logs (structlog) for every logger, with the request id bound per request."""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
from typing import Any

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from server.api.errors import Handler

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Paths whose last part is a credential (a personal calendar feed): logged without it.
_SECRET_PATH = re.compile(r"^(/api/v1/calendar/)[^/]+(\.ics)$")


def loggable_path(path: str) -> str:
    return _SECRET_PATH.sub(r"\1…\2", path)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route stdlib logging (aiohttp, SQLAlchemy, ours) and structlog through one renderer."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.ExtraAdder(),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    AccessLogger.sink = structlog.wrap_logger(
        structlog.WriteLogger(sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
    )
    # Alembic announces every plugin it loads; keep its migration lines, drop the chatter.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


class RequestIds:
    """32 hex digits: a random prefix per process, then a counter.

    Unique across processes and restarts like ``uuid4().hex``, without a system call
    per request (``os.urandom`` was a measurable share of a cached agenda request).
    """

    def __init__(self) -> None:
        self._renew()
        # A forked worker must not repeat its parent's ids.
        os.register_at_fork(after_in_child=self._renew)

    def _renew(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


_request_ids = RequestIds()


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _SANE_ID.match(given) else _request_ids.next()
    # bind + reset by token: bound_contextvars() copies the whole context on every request.
    tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


class AccessLogger(AbstractAccessLogger):
    """One structured line per request, with the request id the middleware assigned.

    ``configure_logging`` gives it ``sink``: a structlog logger of its own that renders
    the line as every other one is (same renderer, same keys) and writes it straight to
    the same stream, without a stdlib ``LogRecord`` and the ``ProcessorFormatter``
    that copies it: 11 µs a line instead of 28, which at the default level is a
    request's largest cost after the response itself (docs/benchmarks.md, "Agenda").
    """

    sink: Any = None  # set by configure_logging; until then the stdlib logger

    @property
    def enabled(self) -> bool:
        # Read once per connection by aiohttp: below INFO, requests skip the logger entirely.
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        fields = {
            "request_id": response.headers.get(REQUEST_ID_HEADER),
            "method": request.method,
            "path": loggable_path(request.path),
            "status": response.status,
            "duration_ms": round(time * 1000, 2),
            "remote": request.remote,
        }
        if self.sink is None:
            self.logger.info("request", extra=fields)
        else:
            self.sink.info("request", logger=self.logger.name, **fields)
