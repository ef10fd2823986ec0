"""python-socketio's client managers with the engine as their local delivery.

Everything python-socketio itself emits to local clients — the agenda pushes, the
scheduler's state changes arriving over Redis, ``sio.emit`` from anywhere — ends in
``AsyncManager.emit``, which by default starts one task per recipient. These managers
hand such an emit to the engine instead (encode once, write the same frame to every
link), and let a room be entered only after the events held back for it by
coalescing have gone out.

They also let others watch what is pushed to a namespace (the agenda cache drops
its bytes when the agenda namespace hears of a change, on every node). Watching
works whichever engine is selected.

``FrameRedisManager`` puts the override where ``AsyncPubSubManager`` delivers locally
(its ``super().emit``): the MRO is AsyncRedisManager → AsyncPubSubManager →
FrameManager → AsyncManager, so Redis still carries each emit once to every node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio
from socketio.packet import Packet

from server.live.engine.engine import Engine

log = logging.getLogger(__name__)

Watcher = Callable[[str, Any], None]  # (event, room), called before delivery


class FrameManager(socketio.AsyncManager):
    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self._watchers: dict[str, list[Watcher]] = {}

    def watch(self, namespace: str, watcher: Watcher) -> None:
        self._watchers.setdefault(namespace, []).append(watcher)

    def unwatch(self, namespace: str, watcher: Watcher) -> None:
        watchers = self._watchers.get(namespace, [])
        if watcher in watchers:
            watchers.remove(watcher)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        for watcher in self._watchers.get(namespace, ()):
            try:
                watcher(event, room)
            except Exception:
                log.exception("a watcher of %s failed", namespace)
        engine = self.engine
        if engine is None or callback is not None or Packet.data_is_binary(data):
            # Acks need a packet per recipient, binary needs attachments: python-socketio's path.
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        skip: list[str] = []
        if skip_sid is not None:
            for sid in skip_sid if isinstance(skip_sid, list) else [skip_sid]:
                eio_sid = self.eio_sid_from_sid(sid, namespace)
                if eio_sid is not None:
                    skip.append(eio_sid)
        engine.emit(namespace, room, event, data, skip)

    def basic_enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        if self.engine is not None and room is not None and room != sid:
            self.engine.before_enter(namespace, room)
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)


class FrameRedisManager(socketio.AsyncRedisManager, FrameManager):
    pass
