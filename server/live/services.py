"""Builds the live rooms' services for one application and tears them down in order."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from server.appkeys import db_key, live_key, metrics_key, redis_key, settings_key, sio_key
from server.live import hands
from server.live.broadcast import Broadcaster
from server.live.bus import Bus, RedisBus
from server.live.context import LiveContext
from server.live.directory import Directory
from server.live.fanout import make_fanout
from server.live.polls import Tallies
from server.live.presence import Presence, RedisPresenceStore
from server.live.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from server.live.reactions import Reactions
from server.live.rooms import Rooms
from server.live.store import WriteBehind
from server.names import LIVE_BUS_CHANNEL
from server.ops.instrument import MeteredConnections, MeteredFanout

log = logging.getLogger(__name__)


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    db = app[db_key]
    redis = app[redis_key]
    node_id = uuid.uuid4().hex[:12]
    bus: Bus = RedisBus(node_id, redis, LIVE_BUS_CHANNEL) if redis is not None else Bus(node_id)
    # Metered: events out, broadcast latency and clients per room (server/ops/instrument.py).
    fanout = MeteredFanout(make_fanout(app[sio_key]), app[metrics_key])
    conns = MeteredConnections(app[metrics_key])
    rooms = Rooms(db, settings.live_resume_window)
    # Bus sharding: a node hears a room's frames only while it serves the room.
    rooms.on_open, rooms.on_close = bus.serve, bus.unserve
    broadcast = Broadcaster(bus, fanout, rooms, conns)
    if isinstance(bus, RedisBus):
        bus.on_resubscribed = broadcast.resync  # frames were lost while Redis was away
    limiter: RateLimiter = RedisRateLimiter(redis) if redis is not None else MemoryRateLimiter()
    presence = Presence(
        RedisPresenceStore(redis, node_id, settings.live_node_ttl_seconds) if redis else None,
        fanout,
        settings.live_presence_interval_seconds,
        settings.live_roster_interval_seconds,
        hint=broadcast.presence_hint if redis is not None else None,
    )
    broadcast.on_presence_hint = presence.mark_dirty
    writer = WriteBehind(db, settings.live_write_flush_ms, settings.live_write_batch_max)
    ctx = LiveContext(
        app=app,
        settings=settings,
        db=db,
        node_id=node_id,
        bus=bus,
        fanout=fanout,
        conns=conns,
        directory=Directory(db),
        rooms=rooms,
        broadcast=broadcast,
        writer=writer,
        limiter=limiter,
        presence=presence,
        reactions=Reactions(broadcast, redis),
        tallies=Tallies(db, broadcast),
    )

    async def on_role(session_id: int, public_id: str, role: str) -> None:
        await hands.on_role(ctx, session_id, public_id, role)

    broadcast.on_role = on_role
    app[live_key] = ctx
    await bus.start()
    writer.start()
    presence.start()
    ctx.reactions.start()
    log.info("live rooms ready (node %s, %s)", node_id, "cluster" if redis else "embedded")
    try:
        yield
    finally:
        # Clients are already gone (Socket.IO shut down first); what is queued gets written.
        await ctx.reactions.close()
        await ctx.tallies.close()
        await writer.close()
        await presence.close()
        await bus.close()
        await rooms.close()
        await ctx.directory.close()
