"""Reactions: clicks are counted per room per second and sent as one frame a second at most.

Each node counts its clicks by one-second window. Shortly after a window ends the
node sends it on: in embedded mode directly, in cluster mode by adding its counts
to a Redis hash for the window; a moment later, one of the nodes that contributed
wins a ``SET NX`` for that window and broadcasts the sum. Every room thus gets at
most one ``reaction:burst`` per second, whatever the click rate and node count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any, Literal

from redis.asyncio import Redis

from server.live.broadcast import Broadcaster
from server.live.routing import Payload, Router
from server.names import EV_REACTION_BURST, EV_REACTION_SEND, reactions_key, reactions_lock_key

if TYPE_CHECKING:
    from server.live.conn import Conn
    from server.live.context import LiveContext

log = logging.getLogger(__name__)

KINDS = ("like", "clap", "love", "laugh", "wow", "celebrate", "thanks", "think")
Kind = Literal["like", "clap", "love", "laugh", "wow", "celebrate", "thanks", "think"]

_FLUSH_AFTER = 0.1  # seconds past the window's end: late clicks of the window still count
_ELECT_AFTER = 0.3  # seconds after flushing: every node has added its counts
_KEY_TTL = 30


class Reactions:
    def __init__(self, broadcast: Broadcaster, redis: Redis | None) -> None:
        self._broadcast = broadcast
        self._redis = redis
        self._windows: dict[int, dict[int, Counter[str]]] = defaultdict(dict)
        self._task: asyncio.Task[None] | None = None

    def add(self, session_id: int, kind: str) -> None:
        window = int(time.time())
        self._windows[window].setdefault(session_id, Counter())[kind] += 1

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-reactions")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            now = time.time()
            await asyncio.sleep(int(now) + 1 + _FLUSH_AFTER - now)
            current = int(time.time())
            due = sorted(w for w in self._windows if w < current)
            for window in due:
                rooms = self._windows.pop(window)
                try:
                    await self._send(window, rooms)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("sending reactions of window %d failed", window)

    async def _send(self, window: int, rooms: dict[int, Counter[str]]) -> None:
        if self._redis is None:
            for sid, counts in rooms.items():
                await self._burst(sid, window, dict(counts))
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid, counts in rooms.items():
                key = reactions_key(sid, window)
                for kind, n in counts.items():
                    pipe.hincrby(key, kind, n)
                pipe.expire(key, _KEY_TTL)
            await pipe.execute()
        await asyncio.sleep(_ELECT_AFTER)
        for sid in rooms:
            if not await self._redis.set(
                reactions_lock_key(sid, window), b"1", ex=_KEY_TTL, nx=True
            ):
                continue  # another node sends this window
            raw = await self._redis.hgetall(reactions_key(sid, window))
            await self._burst(sid, window, {k.decode(): int(v) for k, v in raw.items()})

    async def _burst(self, session_id: int, window: int, counts: dict[str, int]) -> None:
        if not counts:
            return
        await self._broadcast.room(
            session_id,
            EV_REACTION_BURST,
            {"window": window, "counts": counts, "total": sum(counts.values())},
        )


# -- client events ------------------------------------------------------------------------

router = Router()


class ReactionSend(Payload):
    kind: Kind


@router.on(EV_REACTION_SEND, ReactionSend)
async def send(ctx: LiveContext, conn: Conn, body: ReactionSend) -> dict[str, Any]:
    # The per-connection event bucket already bounds clicks; they are only counted here.
    ctx.reactions.add(conn.session_id, body.kind)
    return {}
