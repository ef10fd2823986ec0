"""The scheduler inside ``forumlive serve``, and the programme-change feed every server runs.

``programme_feed_ctx`` (always): each committed programme change is pushed to
clients as ``agenda:changed`` and, in cluster mode, published on a Redis
channel so a scheduler in another process re-plans at once.

``scheduler_ctx`` (unless ``--no-scheduler``): the embedded scheduler. Without
Redis it hears of changes in process; with Redis it listens on the channel
like any other scheduler and competes for the lease.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from scheduler.service import SchedulerService
from server.appkeys import (
    db_key,
    mailer_key,
    metrics_key,
    programme_changes_key,
    pusher_key,
    redis_key,
    scheduler_key,
    settings_key,
)
from server.db.tables import Session
from server.names import EV_AGENDA_CHANGED, PROGRAMME_CHANNEL
from server.programme.changes import SessionChange

log = logging.getLogger(__name__)


async def _rendered(app: web.Application, session_id: int) -> dict[str, Any] | None:
    from server.api.sessions import render_one  # the API's own representation, not a copy

    async with app[db_key].read() as s:
        row = await s.get(Session, session_id)
        if row is None:
            return None
        return (await render_one(s, row)).model_dump(mode="json")


async def programme_feed_ctx(app: web.Application) -> AsyncIterator[None]:
    redis = app[redis_key]
    pusher = app[pusher_key]

    async def on_change(change: SessionChange) -> None:
        notice = {"kind": change.kind, "session_id": change.session_id, "event_id": change.event_id}
        if redis is not None:
            try:
                await redis.publish(PROGRAMME_CHANNEL, json.dumps(notice))
            except Exception:
                log.exception("could not publish %s to the schedulers; their resync will", notice)
        data: dict[str, Any] = dict(notice)
        if change.kind != "deleted":
            data["session"] = await _rendered(app, change.session_id)
        # Every /live client is in the agenda room too: one push reaches all of them once.
        await pusher.agenda(EV_AGENDA_CHANGED, data)

    changes = app[programme_changes_key]
    changes.subscribe(on_change)
    try:
        yield
    finally:
        changes.unsubscribe(on_change)


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    redis = app[redis_key]
    service = SchedulerService(
        db=app[db_key],
        pusher=app[pusher_key],
        settings=settings,
        redis=redis,
        mailer=app[mailer_key] if settings.smtp_host else None,
        metrics=app[metrics_key],
    )
    app[scheduler_key] = service
    changes = app[programme_changes_key]
    if redis is None:
        changes.subscribe(service.on_change)
    await service.start()
    try:
        yield
    finally:
        if redis is None:
            changes.unsubscribe(service.on_change)
        await service.stop()
