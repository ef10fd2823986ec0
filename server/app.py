"""create_app(settings): every resource under a typed key, opened and closed in cleanup contexts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from scheduler.embedded import programme_feed_ctx, scheduler_ctx
from server.accounts.throttle import throttle_for
from server.api import (
    agenda,
    attendance,
    auth,
    captions,
    catalogues,
    events,
    exchange,
    join,
    jwks,
    lifecycle,
    openapi,
    participation,
    people,
    privacy,
    reports,
    sessions,
    streams,
    users,
)
from server.api.agenda_cache import agenda_cache_ctx
from server.api.errors import error_middleware
from server.api.middlewares import origin_middleware, security_headers_middleware
from server.appkeys import (
    db_key,
    login_throttle_key,
    metrics_key,
    programme_changes_key,
    redis_key,
    register_throttle_key,
    settings_key,
)
from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from server.live.attendance import attendance_ctx
from server.live.sio import attach_sio
from server.mail import mailer_ctx
from server.names import LOGIN_THROTTLE_PREFIX, REGISTER_RATE_PREFIX
from server.ops import health
from server.ops.logs import request_id_middleware
from server.ops.metrics import Metrics
from server.ops.shutdown import send_live_clients_away
from server.programme.changes import ProgrammeChanges
from server.settings import Settings
from server.streaming import ingest, playback, vod
from server.streaming.context import relay_ctx
from server.tokens.context import tokens_ctx
from server.web import add_web_routes

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
    app[login_throttle_key] = throttle_for(
        redis, settings.login_max_failures, settings.login_window_seconds, LOGIN_THROTTLE_PREFIX
    )
    app[register_throttle_key] = throttle_for(
        redis,
        settings.register_max_per_ip,
        settings.register_window_seconds,
        REGISTER_RATE_PREFIX,
    )
    try:
        yield
    finally:
        if redis is not None:
            await redis.aclose()


def create_app(settings: Settings, scheduler: bool = False) -> web.Application:
    """``scheduler=True`` runs the embedded scheduler (``forumlive serve`` without
    ``--no-scheduler``); tests and cluster web nodes leave it off."""
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
    app.cleanup_ctx.append(tokens_ctx)  # join-token keys, revocations (needs db, redis)
    app.cleanup_ctx.append(mailer_ctx)
    attach_sio(app)
    app.cleanup_ctx.append(attendance_ctx)  # after live_ctx: samples presence for the reports
    app.on_shutdown.append(send_live_clients_away)  # SIGTERM: clients reconnect elsewhere
    app.cleanup_ctx.append(programme_feed_ctx)  # agenda:changed pushes, Redis re-plan notices
    app.cleanup_ctx.append(agenda_cache_ctx)  # the public agenda as pre-serialised bytes
    app.cleanup_ctx.append(relay_ctx)  # HLS relay: segment store, health judge, replays
    if scheduler:
        app.cleanup_ctx.append(scheduler_ctx)
    for module in (
        auth,
        events,
        catalogues,
        people,
        exchange,  # before sessions: /sessions/{id}.ics must win over /sessions/{id}
        sessions,
        agenda,
        reports,
        attendance,
        participation,
        privacy,
        users,
        openapi,
        health,
        lifecycle,
        join,
        jwks,
        streams,
        captions,
        ingest,
        playback,
        vod,
    ):
        app.router.add_routes(module.routes)
    add_web_routes(app)  # last: API routes are matched first
    return app
