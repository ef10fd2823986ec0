"""This node's short-lived view of rooms: stream configuration, key hash, the session now on.

Ingest and playback ask on every request; the database is asked at most once
per room every ``ttl`` seconds, in the background (requests meanwhile get the
previous answer). A key rotation or a configuration change made on this node
drops the entry at once; other nodes see it within ``ttl`` plus one refresh.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import select

from server.db.engine import Database
from server.db.tables import Room, Session
from server.db.tables_streaming import StreamKey
from server.domain.lifecycle import Leads, windows
from server.settings import Settings
from server.streaming.config import StreamConfig, load_config

log = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

# Which session a room is showing when windows overlap: the one on air beats the
# one whose doors are open, which beats one still to come, which beats one over.
_STATE_RANK = {"live": 0, "lobby": 1, "scheduled": 2, "ended": 3}


@dataclass(frozen=True)
class RoomStream:
    room_id: int
    event_id: int
    config: StreamConfig
    key_hash: str | None


@dataclass(frozen=True)
class OnAir:
    """The session a room is showing now."""

    session_id: int
    state: str
    start_utc: datetime
    end_utc: datetime


class TtlCache(Generic[K, V]):
    """Values fresh for ``ttl`` seconds, then served stale (up to ``stale`` more) while one
    background load refreshes them, so a refresh never holds up the requests that need the
    value. Only a key never loaded (or dropped) makes its callers wait, sharing one load."""

    def __init__(
        self, ttl: float, stale: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._stale = stale
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Task[V]] = {}
        self._epoch = 0  # bumped by drop(): a load begun before it must not store its value

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        hit = self._values.get(key)
        if hit is not None:
            fresh_until, value = hit
            now = self._clock()
            if fresh_until > now:
                return value
            if fresh_until + self._stale > now:
                self._start(key, load)
                return value
        return await asyncio.shield(self._start(key, load))

    def _start(self, key: K, load: Callable[[], Awaitable[V]]) -> asyncio.Task[V]:
        task = self._loading.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(key, load))
            task.add_done_callback(_retrieved)
            self._loading[key] = task
        return task

    async def _fetch(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        epoch = self._epoch
        try:
            value = await load()
        finally:
            if self._loading.get(key) is asyncio.current_task():
                self._loading.pop(key, None)
        if epoch == self._epoch:
            if len(self._values) > 10_000:  # rooms are few; this only guards against abuse
                self._values.clear()
            self._values[key] = (self._clock() + self._ttl, value)
        return value

    def drop(self, key: K | None = None) -> None:
        self._epoch += 1
        if key is None:
            self._loading.clear()
        else:
            self._loading.pop(key, None)
        if key is None:
            self._values.clear()
        else:
            self._values.pop(key, None)


def _retrieved(task: asyncio.Task[object]) -> None:
    """A background refresh that failed is logged here (a waiter, if any, re-raises it)."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("stream room refresh failed: %s", task.exception())


def pick_on_air(
    candidates: list[OnAir], now: datetime, leads: Leads, grace: timedelta
) -> OnAir | None:
    """The session whose window (green room opens → end + grace) holds ``now``, by state rank."""
    inside = [
        c
        for c in candidates
        if c.state != "cancelled"
        and windows(c.start_utc, c.end_utc, leads).green_room_opens <= now
        and now <= c.end_utc + grace
    ]
    if not inside:
        return None
    return min(inside, key=lambda c: (_STATE_RANK.get(c.state, 9), -c.start_utc.timestamp()))


class RoomDirectory:
    def __init__(self, db: Database, settings: Settings, ttl: float = 2.0) -> None:
        self._db = db
        self._leads = Leads.of(settings)
        self._grace = timedelta(minutes=settings.join_grace_minutes)
        self._rooms: TtlCache[int, RoomStream | None] = TtlCache(ttl)
        self._on_air: TtlCache[int, OnAir | None] = TtlCache(ttl)

    async def room(self, room_id: int) -> RoomStream | None:
        return await self._rooms.get(room_id, lambda: self._load_room(room_id))

    async def on_air(self, room_id: int) -> OnAir | None:
        return await self._on_air.get(room_id, lambda: self._load_on_air(room_id))

    def forget(self, room_id: int | None = None) -> None:
        self._rooms.drop(room_id)
        self._on_air.drop(room_id)

    async def _load_room(self, room_id: int) -> RoomStream | None:
        async with self._db.read() as s:
            room = await s.get(Room, room_id)
            if room is None:
                return None
            key_hash = await s.scalar(
                select(StreamKey.key_hash).where(StreamKey.room_id == room_id)
            )
            return RoomStream(room.id, room.event_id, load_config(room.stream, room.id), key_hash)

    async def _load_on_air(self, room_id: int) -> OnAir | None:
        now = datetime.now(UTC)
        lead = max(self._leads.lobby, self._leads.green_room)
        async with self._db.read() as s:
            rows = await s.execute(
                select(Session.id, Session.state, Session.start_utc, Session.end_utc).where(
                    Session.room_id == room_id,
                    Session.start_utc <= now + lead,
                    Session.end_utc >= now - self._grace,
                    Session.state != "cancelled",
                )
            )
            candidates = [OnAir(*row) for row in rows]
        return pick_on_air(candidates, now, self._leads, self._grace)
