"""The frame-once engine: a node's websocket links and the one loop that feeds them.

``Engine.emit`` sends one event to a Socket.IO room of this node: it encodes the
event once (frames.Outgoing) and writes the same frame to each member's link, in one
synchronous pass — no task, queue hop or timer per recipient, no await between two
recipients. Members whose connection engineio still writes itself (long-polling, or
mid-upgrade) get the same encoded packet through engineio's queue, behind whatever is
already queued for them.

Coalescing (per room, for busy rooms only): chat, reactions and presence counts
of a room are sent at once while the room is quiet; within ``tick`` of the previous
send they are held and go out together at the end of the tick as one frame —
``["batch", [[event, data], ...]]``. Any other event to the room first flushes what
is held, so order within a room is kept; so does a connection entering the room
(the held messages are already in the room's history that its welcome carries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from server.live.engine.frames import BATCH_EVENT, Outgoing, args_of, event_text
from server.live.engine.link import Link
from server.names import EV_CHAT_MESSAGE, EV_PRESENCE_COUNT, EV_REACTION_BURST

if TYPE_CHECKING:
    import engineio
    import socketio

    from server.live.engine.wire import Pinger

log = logging.getLogger(__name__)

COALESCED_EVENTS = frozenset({EV_CHAT_MESSAGE, EV_REACTION_BURST, EV_PRESENCE_COUNT})
_CUT_LOG_EVERY = 5.0  # seconds: under overload, one summary line instead of one per cut


@dataclass(frozen=True)
class EngineConfig:
    send_buffer_bytes: int = 256 * 1024
    cut_grace_seconds: float = 5.0
    socket_send_buffer_bytes: int = 64 * 1024  # SO_SNDBUF; 0: the kernel's autotuning
    deflate: bool = False
    deflate_min_bytes: int = 1024
    coalesce_seconds: float = 0.025  # 0: never coalesce
    coalesce_min_clients: int = 200  # a room with fewer members on this node: never


class _Held:
    __slots__ = ("items", "timer")

    def __init__(self) -> None:
        self.items: list[list[Any]] = []
        self.timer: asyncio.TimerHandle | None = None


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.links: dict[str, Link] = {}  # Engine.IO sid -> link
        self.manager: socketio.AsyncManager | None = None
        self.eio: engineio.AsyncServer | None = None
        self.pinger: Pinger | None = None  # set by wire.install
        self._held: dict[tuple[str, Any], _Held] = {}
        self._last_sent: dict[tuple[str, Any], float] = {}
        self.cuts = 0  # slow consumers disconnected since start
        self.passes = 0  # delivery passes: one per broadcast or direct event, whatever the audience
        self.batches = 0
        self._cuts_logged = 0
        self._closing: dict[str, asyncio.Future[None]] = {}  # polling connections being cut
        self._cut_log_at = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()  # short-lived work of the wire protocols
        self.wire_sink: Any = None  # wire._Sink: where every connection's frames are parsed to

    # -- links ----------------------------------------------------------------------------

    def new_link(self, sid: str, transport: asyncio.Transport, ws: Any, wbits: int) -> Link:
        if self.config.socket_send_buffer_bytes:
            # What the kernel holds for a peer counts as its backlog too: keep it small, so a
            # stalled client shows up in the transport's buffer (and gets cut) within seconds.
            sock = transport.get_extra_info("socket")
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(
                    socket.SOL_SOCKET, socket.SO_SNDBUF, self.config.socket_send_buffer_bytes
                )
        link = Link(
            sid,
            transport,
            ws,
            limit=self.config.send_buffer_bytes,
            wbits=wbits if self.config.deflate else 0,
            deflate_min=self.config.deflate_min_bytes,
            cut_grace=self.config.cut_grace_seconds,
            on_cut=self._cut,
        )
        self.links[sid] = link
        return link

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` in a task kept referenced until it ends (errors are logged)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task failed", exc_info=task.exception())

    def drop_link(self, link: Link) -> None:
        link.detach()
        if self.links.get(link.sid) is link:
            del self.links[link.sid]

    def _cut(self, link: Link) -> None:
        self.cuts += 1
        now = time.monotonic()
        if now - self._cut_log_at >= _CUT_LOG_EVERY:
            log.warning(
                "disconnected %d slow consumer(s) (send buffer over %d bytes)",
                self.cuts - self._cuts_logged,
                self.config.send_buffer_bytes,
            )
            self._cut_log_at = now
            self._cuts_logged = self.cuts

    # -- sending --------------------------------------------------------------------------

    def encode(self, namespace: str, event: str, args: list[Any]) -> Outgoing:
        return Outgoing(event_text(namespace, event, args), self.config.deflate_min_bytes)

    def emit(
        self, namespace: str, room: Any, event: str, data: Any, skip: Iterable[str] = ()
    ) -> None:
        """``event`` to every member of ``room`` on this node (``room=None``: the namespace)."""
        assert self.manager is not None
        rooms = self.manager.rooms.get(namespace)
        if not rooms:
            return
        key = (namespace, room)
        held = self._held.get(key)
        if isinstance(room, str) or room is None:
            members = rooms.get(room)
            if not members:
                if held is not None:
                    self._discard(key, held)
                return
            if (
                not skip
                and event in COALESCED_EVENTS
                and self.config.coalesce_seconds > 0
                and len(members) >= self.config.coalesce_min_clients
            ):
                self._coalesce(key, held, event, data)
                return
            if held is not None:
                self._flush(key)
            self._deliver(members.values(), self.encode(namespace, event, args_of(data)), skip)
            return
        # Several rooms at once (python-socketio allows a list): each member once.
        eio_sids: dict[str, str] = {}
        for name in room:
            eio_sids.update(rooms.get(name, {}))
        self._deliver(eio_sids.values(), self.encode(namespace, event, args_of(data)), skip)

    def emit_to(self, eio_sid: str, out: Outgoing) -> None:
        self._deliver((eio_sid,), out)

    def _deliver(self, eio_sids: Iterable[str], out: Outgoing, skip: Iterable[str] = ()) -> None:
        self.passes += 1
        links = self.links
        frame = out.frame
        skipped = set(skip) if skip else None
        for eio_sid in eio_sids:
            if skipped is not None and eio_sid in skipped:
                continue
            link = links.get(eio_sid)
            try:
                if link is not None:
                    link.write(frame if not link.wbits else out.for_window(link.wbits))
                else:
                    self._through_engineio(eio_sid, out)
            except Exception:
                # One broken transport must not cost the rest of the room this message.
                log.exception("writing to connection %s failed; dropping it", eio_sid)
                if link is not None:
                    self.drop_link(link)

    def _through_engineio(self, eio_sid: str, out: Outgoing) -> None:
        """A connection engineio writes itself: behind what its queue already holds."""
        eio_socket = self.eio.sockets.get(eio_sid) if self.eio is not None else None
        if eio_socket is None or eio_socket.closed or eio_socket.closing:
            return
        queue = eio_socket.queue
        if queue.qsize() * 256 > self.config.send_buffer_bytes:  # ~256 bytes a packet
            # Its own backlog is bounded too: closed like any other (it reconnects, resumes).
            if eio_sid not in self._closing:
                self._closing[eio_sid] = asyncio.ensure_future(self._close_polling(eio_sid))
                self.cuts += 1
            return
        queue.put_nowait(out.packet())

    async def _close_polling(self, eio_sid: str) -> None:
        try:
            assert self.eio is not None
            await self.eio.disconnect(eio_sid)
        finally:
            del self._closing[eio_sid]

    # -- coalescing -----------------------------------------------------------------------

    def _coalesce(self, key: tuple[str, Any], held: _Held | None, event: str, data: Any) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        tick = self.config.coalesce_seconds
        if held is None:
            last = self._last_sent.get(key)
            if last is None or now - last >= tick:
                # A quiet room: nothing to wait for, no latency added.
                self._last_sent[key] = now
                self._send_now(key, event, data)
                return
            held = self._held[key] = _Held()
            held.timer = loop.call_at(last + tick, self._flush, key)
        held.items.append([event, data])

    def _send_now(self, key: tuple[str, Any], event: str, data: Any) -> None:
        namespace, room = key
        members = self.manager.rooms.get(namespace, {}).get(room) if self.manager else None
        if members:
            self._deliver(members.values(), self.encode(namespace, event, args_of(data)))

    def _flush(self, key: tuple[str, Any]) -> None:
        held = self._held.pop(key, None)
        if held is None:
            return
        if held.timer is not None:
            held.timer.cancel()
        self._last_sent[key] = asyncio.get_running_loop().time()
        if len(self._last_sent) > 4096:
            self._forget_quiet_rooms()
        if not held.items:
            return
        if len(held.items) == 1:
            event, data = held.items[0]
            self._send_now(key, event, data)
            return
        self.batches += 1
        self._send_now(key, BATCH_EVENT, held.items)

    def _discard(self, key: tuple[str, Any], held: _Held) -> None:
        if held.timer is not None:
            held.timer.cancel()
        self._held.pop(key, None)

    def _forget_quiet_rooms(self) -> None:
        horizon = asyncio.get_running_loop().time() - max(1.0, 10 * self.config.coalesce_seconds)
        for key, at in list(self._last_sent.items()):
            if at < horizon:
                del self._last_sent[key]

    def before_enter(self, namespace: str, room: Any) -> None:
        """A connection enters ``room``: what is held was sent before it came (see module doc)."""
        if (namespace, room) in self._held:
            self._flush((namespace, room))

    def flush_all(self) -> None:
        for key in list(self._held):
            self._flush(key)

    async def close(self) -> None:
        """Server shutdown: what is held goes out, the background work stops."""
        self.flush_all()
        if self.pinger is not None:
            await self.pinger.stop()
        for task in list(self._closing.values()):
            task.cancel()
