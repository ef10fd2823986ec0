"""The Socket.IO server: in-process manager in embedded mode, Redis in cluster mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import socketio
from aiohttp import web

from server.appkeys import pusher_key, settings_key, sio_key
from server.live.agenda import AgendaNamespace
from server.live.push import Pusher
from server.names import SIO_CHANNEL
from server.settings import Settings

# Client frames are small JSON events; anything bigger is abuse.
MAX_FRAME_BYTES = 16 * 1024


def make_sio(settings: Settings) -> socketio.AsyncServer:
    manager = (
        socketio.AsyncRedisManager(settings.redis_url, channel=SIO_CHANNEL)
        if settings.redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=sorted(settings.origins),
        max_http_buffer_size=MAX_FRAME_BYTES,
        # Polling needs sticky sessions; only offer it where the operator says they exist.
        transports=["polling", "websocket"] if settings.allow_polling else ["websocket"],
        http_compression=False,
        logger=False,
        engineio_logger=False,
    )
    sio.register_namespace(AgendaNamespace())
    return sio


def attach_sio(app: web.Application) -> None:
    sio = make_sio(app[settings_key])
    sio.attach(app)
    app[sio_key] = sio
    app[pusher_key] = Pusher(sio.emit)
    app.cleanup_ctx.append(sio_ctx)


async def sio_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[sio_key].shutdown()
