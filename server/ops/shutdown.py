"""Graceful shutdown (SIGTERM): live clients move to another node, nothing acknowledged is lost.

aiohttp's order on SIGTERM: stop listening (a load balancer now sends new
connections elsewhere), close idle keep-alive connections, run ``on_shutdown``,
wait up to ``shutdown_timeout`` for in-flight requests, then tear the cleanup
contexts down in reverse — the live write-behind writer flushes every queued
write there, while the database and Redis are still open.

A websocket is an in-flight request that never ends by itself: without help,
every Socket.IO client would hold the shutdown for the whole timeout and then
be cut. ``send_live_clients_away`` (an ``on_shutdown`` hook) closes each
Engine.IO connection at once instead, by closing the websocket without an
Engine.IO CLOSE packet: the client sees its transport drop, as when a node dies,
and reconnects by itself (a CLOSE packet would read as "the server sent me away"
to python-socketio's client, which then stays away). Through the load balancer it
lands on another node and resumes from its ``last_seq``.

A request whose handler is running finishes (up to the timeout); one whose body
is still being uploaded when the signal arrives is cut, because aiohttp stops
reading from connections once shutdown begins.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from engineio.async_socket import AsyncSocket

from server.appkeys import sio_key

log = logging.getLogger(__name__)


async def send_live_clients_away(app: web.Application) -> None:
    sockets: list[AsyncSocket] = list(app[sio_key].eio.sockets.values())
    if not sockets:
        return
    log.info("shutting down: closing %d Socket.IO connections", len(sockets))

    async def away(sock: AsyncSocket) -> None:
        try:
            # Runs the namespaces' disconnect handlers (presence leaves); no CLOSE packet.
            await sock.close(wait=False, abort=True)
        finally:
            # An empty poll ends the socket's writer, which then closes the websocket
            # itself: no waiting for the client to hang up.
            sock.queue.put_nowait(None)

    results = await asyncio.gather(*(away(s) for s in sockets), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning("%d connections did not close cleanly: %r", len(failed), failed[0])
