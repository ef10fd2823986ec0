"""Frames between server nodes: room broadcasts, kicks, presence hints.

A frame published on one node is handled on that node at once (in the publisher's
task, so a node sees its own frames in the order it published them) and, in
cluster mode, on every other node that serves the frame's room: each room has its
own Redis pub/sub channel (``live_bus_channel``), a node subscribes to it while it
has clients in that room (``serve`` / ``unserve``), so a broadcast is one publish
and reaches only the nodes that deliver it. Frames are small JSON objects;
``publish_many`` sends a batch in one Redis message per room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis

from server.names import live_bus_channel

log = logging.getLogger(__name__)

Frame = dict[str, Any]
FrameHandler = Callable[[Frame], Awaitable[None]]


class Bus:
    """Embedded mode: one node, so publishing is handling."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self._handler: FrameHandler | None = None

    def subscribe(self, handler: FrameHandler) -> None:
        self._handler = handler

    async def publish(self, frame: Frame) -> None:
        await self.publish_many((frame,))

    async def publish_many(self, frames: Sequence[Frame]) -> None:
        await self._handle_local(frames)

    async def _handle_local(self, frames: Sequence[Frame]) -> None:
        if self._handler is None:
            return
        for frame in frames:
            try:
                await self._handler(frame)
            except Exception:
                log.exception("live frame %s failed", frame.get("k"))

    async def serve(self, session_id: int) -> None:
        """This node has clients in the room from now on (cluster mode: subscribe)."""
        return None

    def unserve(self, session_id: int) -> None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBus(Bus):
    def __init__(self, node_id: str, redis: Redis, channel: str) -> None:
        super().__init__(node_id)
        self._redis = redis
        self._channel = channel
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # Called once subscribed again after the connection was lost: frames published
        # meanwhile never arrive, so whoever keeps state from frames must re-read it.
        self.on_resubscribed: Callable[[], Awaitable[None]] | None = None
        self._catching_up: asyncio.Task[None] | None = None
        # Sharding: the rooms this node serves, the room channels it is subscribed to, and
        # subscriptions waiting for Redis's confirmation. _sync makes the second match the
        # first, one change at a time.
        self._served: set[int] = set()
        self._subscribed: set[str] = set()
        self._confirming: dict[str, asyncio.Future[None]] = {}
        self._pubsub: Any = None
        self._sync_lock = asyncio.Lock()
        self._syncs: set[asyncio.Task[None]] = set()

    async def publish_many(self, frames: Sequence[Frame]) -> None:
        if not frames:
            return
        await self._handle_local(frames)
        by_channel: dict[str, list[Frame]] = {}
        for frame in frames:
            session_id = frame.get("s")
            channel = live_bus_channel(session_id) if isinstance(session_id, int) else self._channel
            by_channel.setdefault(channel, []).append(frame)
        for channel, batch in by_channel.items():
            body = json.dumps({"n": self.node_id, "f": batch}, separators=(",", ":"))
            try:
                await self._redis.publish(channel, body)
            except Exception:
                # Other nodes miss this frame; state that matters (bans, history) is re-read
                # from the database, so log and carry on rather than fail the sender.
                log.exception("could not publish %d live frame(s) to Redis", len(batch))

    async def serve(self, session_id: int) -> None:
        self._served.add(session_id)
        await self._sync(session_id)

    def unserve(self, session_id: int) -> None:
        self._served.discard(session_id)
        task = asyncio.create_task(self._sync(session_id), name="live-bus-unsubscribe")
        self._syncs.add(task)
        task.add_done_callback(self._syncs.discard)

    async def _sync(self, session_id: int) -> None:
        """Subscribe to or leave the room's channel, whichever ``_served`` now says."""
        channel = live_bus_channel(session_id)
        async with self._sync_lock:
            pubsub = self._pubsub
            wanted = session_id in self._served
            if pubsub is None or wanted == (channel in self._subscribed):
                return  # (no connection: the listener subscribes to every served room)
            if not wanted:
                self._subscribed.discard(channel)
                await pubsub.unsubscribe(channel)
                return
            confirmed = self._confirming[channel] = asyncio.get_running_loop().create_future()
            self._subscribed.add(channel)
            await pubsub.subscribe(channel)
            # Confirmed by Redis: every frame of this room published from now on reaches us.
            await asyncio.wait_for(asyncio.shield(confirmed), timeout=10)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="live-bus")
        # Subscribed before the node serves anyone: no frame published after start is missed.
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self) -> None:
        lost = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                rooms = [live_bus_channel(sid) for sid in sorted(self._served)]
                await pubsub.subscribe(self._channel, *rooms)
                self._pubsub = pubsub
                self._subscribed = set(rooms)
                self._ready.set()
                async for message in pubsub.listen():
                    if message.get("type") == "subscribe":
                        # Confirmed: every frame published from now on reaches us.
                        confirming = self._confirming.pop(_text(message.get("channel")), None)
                        if confirming is not None and not confirming.done():
                            confirming.set_result(None)
                        if lost:
                            lost = False
                            self._catch_up()
                        continue
                    if message.get("type") != "message":
                        continue
                    await self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                lost = True
                log.exception("live bus connection lost; resubscribing")
                await asyncio.sleep(0.5)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _catch_up(self) -> None:
        """In a task of its own: frames keep flowing (and being recorded) meanwhile."""
        if self.on_resubscribed is None:
            return
        if self._catching_up is not None and not self._catching_up.done():
            self._catching_up.cancel()
        self._catching_up = asyncio.create_task(self.on_resubscribed(), name="live-bus-catch-up")

    async def close(self) -> None:
        for task in list(self._syncs):
            task.cancel()
        if self._catching_up is not None:
            self._catching_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._catching_up
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _dispatch(self, data: bytes | str) -> None:
        try:
            body = json.loads(data)
        except ValueError:
            log.warning("ignoring a malformed live bus message")
            return
        if body.get("n") == self.node_id:
            return  # handled locally when published
        await self._handle_local(body.get("f", ()))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
