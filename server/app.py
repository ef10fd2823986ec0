"""create_app(settings): every resource under a typed key, opened and closed in cleanup contexts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from server.accounts.throttle import MemoryThrottle, RedisThrottle
from server.api import (
    agenda,
    auth,
    catalogues,
    events,
    openapi,
    participation,
    people,
    sessions,
    users,
)
from server.api.errors import error_middleware
from server.api.middlewares import origin_middleware, security_headers_middleware
from server.appkeys import (
    db_key,
    login_throttle_key,
    metrics_key,
    programme_changes_key,
    redis_key,
    settings_key,
)
from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from server.live.sio import attach_sio
from server.mail import mailer_ctx
from server.names import LOGIN_THROTTLE_PREFIX
from server.ops import health
from server.ops.logs import request_id_middleware
from server.ops.metrics import Metrics
from server.programme.changes import ProgrammeChanges
from server.settings import Settings

log = logging.getLogger(__name__)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(make_engine(settings.resolved_database_url))
    try:
        if settings.auto_migrate:
            await upgrade(db.engine)
        if settings.demo:
            from server.demo.loader import load_demo

            report = await load_demo(db, year=settings.demo_year)
            log.info("demo programme: %s", report)
        app[db_key] = db
        yield
    finally:
        await db.close()


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    app[redis_key] = redis
    if redis is None:
        app[login_throttle_key] = MemoryThrottle(
            settings.login_max_failures, settings.login_window_seconds
        )
    else:
        app[login_throttle_key] = RedisThrottle(
            redis,
            settings.login_max_failures,
            settings.login_window_seconds,
            LOGIN_THROTTLE_PREFIX,
        )
    try:
        yield
    finally:
        if redis is not None:
            await redis.aclose()


def create_app(settings: Settings) -> web.Application:
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            request_id_middleware,
            metrics.middleware(),
            security_headers_middleware,
            error_middleware,
            origin_middleware,
        ],
    )
    app[metrics_key] = metrics
    app[settings_key] = settings
    app[programme_changes_key] = ProgrammeChanges()
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(mailer_ctx)
    attach_sio(app)
    for module in (
        auth,
        events,
        catalogues,
        people,
        sessions,
        agenda,
        participation,
        users,
        openapi,
        health,
    ):
        app.router.add_routes(module.routes)
    return app
