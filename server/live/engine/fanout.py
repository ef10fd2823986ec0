"""The live rooms' ``Fanout`` on the frame-once engine (the swap is in server/live/fanout.py)."""

from __future__ import annotations

from typing import Any

import socketio

from server.live.engine.engine import Engine
from server.live.engine.frames import args_of
from server.names import LIVE_NAMESPACE


class FrameFanout:
    """Room events encoded once and written to every local member's transport."""

    def __init__(self, sio: socketio.AsyncServer, engine: Engine) -> None:
        self._sio = sio
        self._manager = sio.manager
        self.engine = engine

    async def emit(self, room: str, event: str, data: Any) -> None:
        self.engine.emit(LIVE_NAMESPACE, room, event, data)

    async def emit_to(self, sid: str, event: str, data: Any) -> None:
        eio_sid = self._manager.eio_sid_from_sid(sid, LIVE_NAMESPACE)
        if eio_sid is not None:
            engine = self.engine
            engine.emit_to(eio_sid, engine.encode(LIVE_NAMESPACE, event, args_of(data)))

    async def disconnect(self, sid: str) -> None:
        await self._sio.disconnect(sid, namespace=LIVE_NAMESPACE, ignore_queue=True)
