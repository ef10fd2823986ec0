"""One websocket connection's outgoing side: frames written straight to its transport.

A ``Link`` replaces python-engineio's per-socket queue and writer task. engineio still
owns the connection (handshake, pings, reading, closing) and still "queues" every
packet it sends — acks, pings, direct events — but its queue *is* the link, and a
put writes the frame to the transport at once. A room broadcast writes its shared
frame the same way. Everything for one connection therefore reaches the transport in
the order it was sent: a direct message sent before a broadcast is ahead of it.

The only buffer left is the transport's own write buffer, and it is bounded: past
``limit`` bytes the peer is not keeping up, and it is cut — a close frame with the
reason goes behind what is already buffered (a slow reader still learns why), nothing
more is written, and the transport is closed, aborted after a grace period if the
peer never reads. The client reconnects and resumes from its last sequence number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from server.live.engine.frames import close_frame, packet_frame

log = logging.getLogger(__name__)

# RFC 6455 1013 "Try Again Later": the server is fine, this connection fell behind.
SLOW_CONSUMER_CODE = 1013
SLOW_CONSUMER_REASON = "slow_consumer"

_OPEN, _CUT, _CLOSED = 0, 1, 2


class Link:
    __slots__ = (
        "_on_cut",
        "_state",
        "cut_grace",
        "deflate_min",
        "limit",
        "sid",
        "transport",
        "wbits",
        "ws",
    )

    def __init__(
        self,
        sid: str,
        transport: asyncio.Transport,
        ws: Any,
        *,
        limit: int,
        wbits: int,
        deflate_min: int,
        cut_grace: float,
        on_cut: Callable[[Link], None],
    ) -> None:
        self.sid = sid  # the Engine.IO session id
        self.transport = transport
        self.ws = ws  # the connection's wire protocol: ``ws.close()`` sends the close frame
        self.limit = limit
        self.wbits = wbits  # permessage-deflate window bits, 0 when not negotiated
        self.deflate_min = deflate_min
        self.cut_grace = cut_grace
        self._on_cut = on_cut
        self._state = _OPEN

    @property
    def open(self) -> bool:
        return self._state == _OPEN

    def write(self, data: bytes) -> None:
        """The hot path: one frame, already built, to this connection."""
        if self._state != _OPEN:
            return
        transport = self.transport
        if transport.is_closing():
            self._state = _CLOSED
            return
        transport.write(data)
        if transport.get_write_buffer_size() > self.limit:
            self.cut()

    def cut(self) -> None:
        """Disconnect a consumer that fell behind: bounded memory, and a reason it can read."""
        if self._state != _OPEN:
            return
        self._state = _CUT
        transport = self.transport
        buffered = transport.get_write_buffer_size()
        with contextlib.suppress(Exception):
            transport.write(close_frame(SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON))
            transport.close()  # flushes what is buffered, then closes
        # A peer that reads nothing would hold the buffer for good: drop it after the grace.
        asyncio.get_running_loop().call_later(self.cut_grace, transport.abort)
        self._on_cut(self)
        log.info("cut slow consumer %s (%d bytes unsent)", self.sid, buffered)

    def detach(self) -> None:
        """The connection ended: anything still sent to it is dropped."""
        self._state = _CLOSED

    # -- the queue engineio's AsyncSocket believes it has --------------------------------

    async def put(self, pkt: Any) -> None:
        self.put_nowait(pkt)

    def put_nowait(self, pkt: Any) -> None:
        if pkt is None:  # engineio's "stop writing and close the websocket"
            self._close_websocket()
            return
        if self._state == _OPEN:
            self.write(packet_frame(pkt.encode(), self.wbits, self.deflate_min))

    async def join(self) -> None:
        return None  # nothing is ever waiting here: every put was written

    def task_done(self) -> None:
        return None

    def qsize(self) -> int:
        return 0

    def empty(self) -> bool:
        return True

    def get_nowait(self) -> Any:
        raise asyncio.QueueEmpty  # a websocket link is never polled

    async def get(self) -> Any:
        raise RuntimeError("a websocket link is never polled")

    def _close_websocket(self) -> None:
        if self._state == _CLOSED:
            return
        self._state = _CLOSED
        # A close frame behind everything written; the transport closes on the reply.
        self.ws.close()
