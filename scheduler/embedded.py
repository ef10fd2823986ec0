"""The scheduler inside ``forumlive serve``, and the programme-change feed every server runs.

``programme_feed_ctx`` (always): each committed programme change is pushed to
clients as ``agenda:changed`` and, in cluster mode, published on a Redis
channel so a scheduler in another process re-plans at once. A batch (an
import) is one Redis notice and, when large, one ``bulk`` push.

``scheduler_ctx`` (unless ``--no-scheduler``): the embedded scheduler. Without
Redis it hears of changes in process; with Redis it listens on the channel
like any other scheduler and competes for the lease.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
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
from server.programme.changes import SessionChange, notice_of

log = logging.getLogger(__name__)


# Above this many sessions of one event in one batch (an import), clients get one
# ``{kind: "bulk", event_id, session_ids}`` push and refetch, instead of one push
# (with the rendered session) per session: 300 pushes to every browser, and 300
# renders, are slower than one refetch.
BULK_PUSH_ABOVE = 20


async def _rendered(app: web.Application, session_ids: list[int]) -> dict[int, dict[str, Any]]:
    from server.api.sessions import render_one  # the API's own representation, not a copy

    out: dict[int, dict[str, Any]] = {}
    async with app[db_key].read() as s:
        for session_id in session_ids:
            row = await s.get(Session, session_id)
            if row is not None:
                out[session_id] = (await render_one(s, row)).model_dump(mode="json")
    return out


async def programme_feed_ctx(app: web.Application) -> AsyncIterator[None]:
    redis = app[redis_key]
    pusher = app[pusher_key]

    async def on_changes(changes: Sequence[SessionChange]) -> None:
        if redis is not None:
            # One notice per batch: the schedulers re-plan it in one pass.
            notice = notice_of(changes)
            try:
                await redis.publish(PROGRAMME_CHANNEL, json.dumps(notice))
            except Exception:
                log.exception(
                    "could not publish %d programme changes to the schedulers; their resync will",
                    len(changes),
                )
        by_event: dict[int, list[SessionChange]] = {}
        for change in changes:
            by_event.setdefault(change.event_id, []).append(change)
        # Every /live client is in the agenda room too: one push reaches all of them once.
        for event_id, batch in by_event.items():
            if len(batch) > BULK_PUSH_ABOVE:
                ids = list(dict.fromkeys(c.session_id for c in batch))
                await pusher.agenda(
                    EV_AGENDA_CHANGED, {"kind": "bulk", "event_id": event_id, "session_ids": ids}
                )
                continue
            rendered = await _rendered(app, [c.session_id for c in batch if c.kind != "deleted"])
            for change in batch:
                data: dict[str, Any] = {
                    "kind": change.kind,
                    "session_id": change.session_id,
                    "event_id": change.event_id,
                }
                if change.kind != "deleted":
                    data["session"] = rendered.get(change.session_id)
                await pusher.agenda(EV_AGENDA_CHANGED, data)

    changes = app[programme_changes_key]
    changes.subscribe_many(on_changes)
    try:
        yield
    finally:
        changes.unsubscribe(on_changes)


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
        changes.subscribe_many(service.on_changes)
    await service.start()
    try:
        yield
    finally:
        if redis is None:
            changes.unsubscribe(service.on_changes)
        await service.stop()
