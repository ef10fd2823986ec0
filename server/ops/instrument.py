"""The live rooms' metrics, taken at their seams rather than inside every feature.

- ``MeteredFanout`` wraps the node's ``Fanout`` (everything sent to ``/live``
  clients passes through it): events out by name, and how long one room
  broadcast takes to be handed to every local recipient.
- ``MeteredConnections`` is the node's connection index that also keeps the
  per-room client gauge; a room's series is removed when its last client leaves,
  so ended sessions do not pile up in the exposition.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from server.live.conn import Conn, Connections
from server.live.fanout import Fanout
from server.ops.metrics import Metrics


class MeteredFanout:
    def __init__(self, inner: Fanout, metrics: Metrics) -> None:
        self.inner = inner
        self._out = metrics.live_events_out
        self._seconds = metrics.broadcast_seconds

    async def emit(self, room: str, event: str, data: Any) -> None:
        started = time.perf_counter()
        await self.inner.emit(room, event, data)
        self._seconds.observe(time.perf_counter() - started)
        self._out.labels(event).inc()

    async def emit_to(self, sid: str, event: str, data: Any) -> None:
        await self.inner.emit_to(sid, event, data)
        self._out.labels(event).inc()

    async def disconnect(self, sid: str) -> None:
        await self.inner.disconnect(sid)


class MeteredConnections(Connections):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self._gauge = metrics.live_clients
        self._per_room: Counter[int] = Counter()

    def add(self, conn: Conn) -> None:
        super().add(conn)
        self._per_room[conn.session_id] += 1
        self._gauge.labels(str(conn.session_id)).set(self._per_room[conn.session_id])

    def pop(self, sid: str) -> Conn | None:
        conn = super().pop(sid)
        if conn is None:
            return None
        room = conn.session_id
        self._per_room[room] -= 1
        if self._per_room[room] > 0:
            self._gauge.labels(str(room)).set(self._per_room[room])
        else:
            del self._per_room[room]
            self._gauge.remove(str(room))
        return conn
