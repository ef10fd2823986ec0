"""Builds the relay for an app (memory or Redis, by mode) and runs its background loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web

from server.appkeys import (
    db_key,
    programme_changes_key,
    pusher_key,
    redis_key,
    relay_key,
    settings_key,
)
from server.streaming.health import HealthBoard, MemoryHealth, RedisHealth
from server.streaming.relay import Relay
from server.streaming.replay import ReplayRecorder
from server.streaming.rooms import RoomDirectory
from server.streaming.signing import PlaybackSigner
from server.streaming.store import MemoryStore, RedisStore, SegmentStore
from server.streaming.viewers import VerifiedTokens
from server.tokens.join import verify_join_token
from server.tokens.revocation import is_banned, is_revoked
from server.tokens.secret import load_secret


async def _still_good(app: web.Application, claims: Any) -> str | None:
    if await is_banned(app, claims.sub, claims.sid):
        return "banned"
    if await is_revoked(app, claims):
        return "revoked"
    return None


def make_relay(app: web.Application) -> Relay:
    settings = app[settings_key]
    redis = app[redis_key]
    store: SegmentStore
    health: HealthBoard
    if redis is None:
        store = MemoryStore(settings.stream_segment_ttl_seconds, settings.stream_memory_max_bytes)
        health = MemoryHealth()
    else:
        store = RedisStore(redis, settings.stream_segment_ttl_seconds)
        health = RedisHealth(redis)
    db = app[db_key]
    grace = timedelta(minutes=settings.join_grace_minutes)
    return Relay(
        settings,
        store,
        health,
        RoomDirectory(db, settings),
        PlaybackSigner(load_secret(settings)),
        ReplayRecorder(db, settings.replay_dir or settings.data_dir / "replay", grace),
        VerifiedTokens(verify_join_token, _still_good),
        app[pusher_key],
    )


async def relay_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the database and Redis contexts: the relay and its background loop."""
    relay = make_relay(app)
    app[relay_key] = relay
    changes = app[programme_changes_key]
    changes.subscribe_many(relay.on_programme_change)
    task = asyncio.create_task(relay.run(), name="stream-relay")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        changes.unsubscribe(relay.on_programme_change)
