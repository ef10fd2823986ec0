"""Who is in a room: a count for everyone, a roster (names, roles, public ids) for moderators.

Each node tracks its own connections per room. In cluster mode it mirrors them to
Redis — a per-room hash of "people on this node" per node, and a roster hash with
one field per (node, person) — and keeps a heartbeat key with a TTL. A node whose
heartbeat has expired is dead: its fields are ignored and removed, so the count is
right again within ``node_ttl`` plus one refresh after a node dies.

Counts are pushed, throttled: a room whose membership changed (here, or on another
node — a bus hint says so) is recounted at the next tick and ``presence:count`` goes
out only if the number changed. Every node pushes to its own connections.

While Redis cannot be reached, people still come and go: counts and rosters fall back
to this node's own part, and once Redis answers again the node writes its whole state
back (and removes the people who left meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.live.conn import Conn
from server.live.fanout import Fanout
from server.names import (
    EV_PRESENCE_COUNT,
    EV_PRESENCE_ROSTER,
    live_node_key,
    presence_counts_key,
    presence_roster_key,
    session_moderators_room,
    session_room,
)

log = logging.getLogger(__name__)

# Every this many ticks each served room is recounted even without a hint (dead nodes).
_FULL_REFRESH_TICKS = 5


@dataclass
class Entry:
    name: str
    role: str
    conns: int = 0


class PresenceStore(Protocol):
    async def put(self, session_id: int, public_id: str, entry: Entry, people: int) -> None: ...

    async def drop(self, session_id: int, public_id: str, people: int) -> None: ...

    async def count(self, session_id: int) -> int: ...

    async def roster(self, session_id: int) -> list[dict[str, str]]: ...


class PresenceObserver(Protocol):
    """Told what presence sees, synchronously and cheaply (attendance buffers it in memory)."""

    def joined(self, session_id: int, user_id: int) -> None: ...

    def counted(self, session_id: int, count: int) -> None: ...


class MemoryPresenceStore:
    """Embedded mode: this node is the whole cluster."""

    def __init__(self, local: dict[int, dict[str, Entry]]) -> None:
        self._local = local

    async def put(self, session_id: int, public_id: str, entry: Entry, people: int) -> None:
        return None

    async def drop(self, session_id: int, public_id: str, people: int) -> None:
        return None

    async def count(self, session_id: int) -> int:
        return len(self._local.get(session_id, {}))

    async def roster(self, session_id: int) -> list[dict[str, str]]:
        people = self._local.get(session_id, {})
        return [{"public_id": p, "name": e.name, "role": e.role} for p, e in people.items()]


class RedisPresenceStore:
    def __init__(self, redis: Redis, node_id: str, node_ttl: float) -> None:
        self._redis = redis
        self._node = node_id
        self._ttl_ms = int(node_ttl * 1000)

    def _field(self, public_id: str) -> str:
        return f"{self._node}|{public_id}"

    async def put(self, session_id: int, public_id: str, entry: Entry, people: int) -> None:
        value = json.dumps({"name": entry.name, "role": entry.role})
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(presence_roster_key(session_id), self._field(public_id), value)
            pipe.hset(presence_counts_key(session_id), self._node, people)
            await pipe.execute()

    async def drop(self, session_id: int, public_id: str, people: int) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hdel(presence_roster_key(session_id), self._field(public_id))
            if people:
                pipe.hset(presence_counts_key(session_id), self._node, people)
            else:
                pipe.hdel(presence_counts_key(session_id), self._node)
            await pipe.execute()

    async def _alive(self, nodes: set[str]) -> set[str]:
        if not nodes:
            return set()
        ordered = sorted(nodes)
        beats = await self._redis.mget([live_node_key(n) for n in ordered])
        return {n for n, beat in zip(ordered, beats, strict=True) if beat is not None}

    async def count(self, session_id: int) -> int:
        key = presence_counts_key(session_id)
        raw = await self._redis.hgetall(key)
        counts = {k.decode(): int(v) for k, v in raw.items()}
        alive = await self._alive(set(counts))
        dead = [n for n in counts if n not in alive]
        if dead:
            await self._redis.hdel(key, *dead)
        return sum(n for node, n in counts.items() if node in alive)

    async def roster(self, session_id: int) -> list[dict[str, str]]:
        key = presence_roster_key(session_id)
        raw = await self._redis.hgetall(key)
        fields = {k.decode(): v for k, v in raw.items()}
        alive = await self._alive({f.split("|", 1)[0] for f in fields})
        people: dict[str, dict[str, str]] = {}
        dead: list[str] = []
        for name, value in fields.items():
            node, public_id = name.split("|", 1)
            if node not in alive:
                dead.append(name)
                continue
            entry = json.loads(value)
            people[public_id] = {
                "public_id": public_id,
                "name": entry["name"],
                "role": entry["role"],
            }
        if dead:
            await self._redis.hdel(key, *dead)
        return sorted(people.values(), key=lambda p: (p["name"].casefold(), p["public_id"]))

    async def beat(self) -> bool:
        """Refresh this node's heartbeat; False when it had lapsed (state must be re-put)."""
        previous = await self._redis.set(live_node_key(self._node), b"1", px=self._ttl_ms, get=True)
        return previous is not None

    async def forget_node(self, sessions: list[int]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(live_node_key(self._node))
            for sid in sessions:
                pipe.hdel(presence_counts_key(sid), self._node)
            await pipe.execute()


class Presence:
    def __init__(
        self,
        store: PresenceStore | None,
        fanout: Fanout,
        interval: float,
        roster_interval: float,
        hint: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.local: dict[int, dict[str, Entry]] = defaultdict(dict)
        self.store: PresenceStore = store or MemoryPresenceStore(self.local)
        self._fanout = fanout
        self._interval = interval
        self._roster_interval = roster_interval
        self._hint = hint  # tells the other nodes to recount a room (cluster mode)
        self._dirty: set[int] = set()
        self._roster_dirty: set[int] = set()
        self._pushed: dict[int, int] = {}
        self._roster_at: dict[int, float] = {}
        self._moderators: dict[int, int] = defaultdict(int)  # local moderator connections
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._unsynced = False  # a store write failed: write everything back at the next beat
        self._undropped: set[tuple[int, str]] = set()  # left while the store was away
        self.observer: PresenceObserver | None = None  # attendance (server/live/attendance.py)

    def _store_failed(self, exc: Exception) -> None:
        if not self._unsynced:
            log.warning("presence store unreachable (%s); counting this node only", exc)
        self._unsynced = True

    # -- membership -------------------------------------------------------------------

    async def enter(self, conn: Conn) -> None:
        people = self.local[conn.session_id]
        entry = people.get(conn.public_id)
        first = entry is None
        if entry is None:
            entry = people[conn.public_id] = Entry(conn.name, conn.role)
        entry.conns += 1
        entry.role = conn.role
        if self.observer is not None:
            self.observer.joined(conn.session_id, conn.user_id)
        if conn.is_moderator:
            self._moderators[conn.session_id] += 1
        if first:
            try:
                await self.store.put(conn.session_id, conn.public_id, entry, len(people))
                if self.local.get(conn.session_id, {}).get(conn.public_id) is not entry:
                    # They left while we were writing: do not leave a ghost behind.
                    await self.store.drop(
                        conn.session_id, conn.public_id, len(self.local.get(conn.session_id, {}))
                    )
            except (RedisError, OSError) as exc:
                self._store_failed(exc)
            await self._changed(conn.session_id)

    async def leave(self, conn: Conn) -> None:
        people = self.local.get(conn.session_id)
        if conn.is_moderator and self._moderators.get(conn.session_id):
            self._moderators[conn.session_id] -= 1
            if not self._moderators[conn.session_id]:
                del self._moderators[conn.session_id]
        if not people or conn.public_id not in people:
            return
        entry = people[conn.public_id]
        entry.conns -= 1
        if entry.conns > 0:
            return
        del people[conn.public_id]
        remaining = len(people)
        if not people:
            del self.local[conn.session_id]
            self._pushed.pop(conn.session_id, None)
        try:
            await self.store.drop(conn.session_id, conn.public_id, remaining)
        except (RedisError, OSError) as exc:
            self._store_failed(exc)
            self._undropped.add((conn.session_id, conn.public_id))
        await self._changed(conn.session_id)

    async def update_role(self, conn: Conn) -> None:
        """A hand grant changed the role: the roster shows it at the next push."""
        people = self.local.get(conn.session_id, {})
        entry = people.get(conn.public_id)
        if entry is not None and entry.role != conn.role:
            entry.role = conn.role
            try:
                await self.store.put(conn.session_id, conn.public_id, entry, len(people))
            except (RedisError, OSError) as exc:
                self._store_failed(exc)
            await self._changed(conn.session_id)

    async def _changed(self, session_id: int) -> None:
        self.mark_dirty(session_id)
        if self._hint is not None:
            await self._hint(session_id)

    def mark_dirty(self, session_id: int) -> None:
        if session_id in self.local:
            self._dirty.add(session_id)
            self._roster_dirty.add(session_id)

    async def count(self, session_id: int) -> int:
        try:
            return await self.store.count(session_id)
        except (RedisError, OSError) as exc:
            self._store_failed(exc)
            return len(self.local.get(session_id, {}))  # this node's part: all we know now

    async def roster(self, session_id: int) -> list[dict[str, str]]:
        try:
            return await self.store.roster(session_id)
        except (RedisError, OSError) as exc:
            self._store_failed(exc)
            people = self.local.get(session_id, {})
            return sorted(
                ({"public_id": p, "name": e.name, "role": e.role} for p, e in people.items()),
                key=lambda p: (p["name"].casefold(), p["public_id"]),
            )

    # -- pushing ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-presence")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if isinstance(self.store, RedisPresenceStore):
            sessions = list(self.local)
            for sid, people in list(self.local.items()):
                for public_id in list(people):
                    with contextlib.suppress(Exception):
                        await self.store.drop(sid, public_id, 0)
            with contextlib.suppress(Exception):
                await self.store.forget_node(sessions)

    async def _run(self) -> None:
        tick = 0
        while True:
            try:
                await self._beat()
                full = tick % _FULL_REFRESH_TICKS == 0
                await self.push(full=full)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence tick failed")
            tick += 1
            await asyncio.sleep(self._interval)

    async def _beat(self) -> None:
        if not isinstance(self.store, RedisPresenceStore):
            return
        try:
            if await self.store.beat() and not self._unsynced:
                return
            # Our heartbeat lapsed (first start, Redis restart, a long stall) or a write was
            # lost while Redis was away: put everything back.
            self._unsynced = False
            for sid, public_id in list(self._undropped):
                if public_id not in self.local.get(sid, {}):
                    await self.store.drop(sid, public_id, len(self.local.get(sid, {})))
                self._undropped.discard((sid, public_id))
            for sid, people in list(self.local.items()):
                for public_id, entry in list(people.items()):
                    await self.store.put(sid, public_id, entry, len(people))
                self.mark_dirty(sid)
        except (RedisError, OSError):
            self._unsynced = True
            raise

    async def push(self, full: bool = False) -> None:
        async with self._lock:
            rooms = set(self.local) if full else set(self._dirty)
            self._dirty.clear()
            for sid in rooms:
                if sid not in self.local:
                    continue
                n = await self.store.count(sid)
                if self.observer is not None:
                    self.observer.counted(sid, n)
                if self._pushed.get(sid) != n:
                    self._pushed[sid] = n
                    self._roster_dirty.add(sid)  # e.g. a dead node's people just expired
                    await self._fanout.emit(session_room(sid), EV_PRESENCE_COUNT, {"count": n})
            now = time.monotonic()
            for sid in list(self._roster_dirty):
                if sid not in self.local or not self._moderators.get(sid):
                    self._roster_dirty.discard(sid)
                    continue
                if now - self._roster_at.get(sid, 0.0) < self._roster_interval:
                    continue
                self._roster_dirty.discard(sid)
                self._roster_at[sid] = now
                people = await self.store.roster(sid)
                await self._fanout.emit(
                    session_moderators_room(sid),
                    EV_PRESENCE_ROSTER,
                    {"people": people, "count": len(people)},
                )
