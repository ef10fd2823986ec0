"""Delivery to this node's connections: the one seam the broadcast engine replaces.

Everything the live rooms send to clients goes through a ``Fanout``: a room
broadcast (``emit``) or one connection (``emit_to``). Cross-node delivery is the
bus's job (server/live/broadcast.py); a ``Fanout`` only ever writes to
connections of its own process, so a faster engine (encode once, write the same
frame to every transport) can be swapped in here without touching a feature.
"""

from __future__ import annotations

from typing import Any, Protocol

import socketio

from server.names import LIVE_NAMESPACE


class Fanout(Protocol):
    async def emit(self, room: str, event: str, data: Any) -> None:
        """To every connection of this node in ``room``, in call order per connection."""
        ...

    async def emit_to(self, sid: str, event: str, data: Any) -> None: ...

    async def disconnect(self, sid: str) -> None: ...


class SioFanout:
    """python-socketio's own path: one encode per call, one send task per recipient."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def emit(self, room: str, event: str, data: Any) -> None:
        # ignore_queue: the bus already carried this to every node; Redis must not again.
        await self._sio.emit(event, data, room=room, namespace=LIVE_NAMESPACE, ignore_queue=True)

    async def emit_to(self, sid: str, event: str, data: Any) -> None:
        await self._sio.emit(event, data, to=sid, namespace=LIVE_NAMESPACE, ignore_queue=True)

    async def disconnect(self, sid: str) -> None:
        await self._sio.disconnect(sid, namespace=LIVE_NAMESPACE, ignore_queue=True)


def make_fanout(sio: socketio.AsyncServer) -> Fanout:
    """The broadcast engine's fan-out when it is installed on ``sio``, else python-socketio's."""
    from server.live.engine.fanout import FrameFanout
    from server.live.engine.setup import engine_of

    engine = engine_of(sio)
    return FrameFanout(sio, engine) if engine is not None else SioFanout(sio)
