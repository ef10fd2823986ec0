"""The Socket.IO server: in-process manager in embedded mode, Redis in cluster mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import socketio
from aiohttp import web

from server.appkeys import pusher_key, settings_key, sio_key
from server.live.agenda import AgendaNamespace
from server.live.engine.setup import close_engine, install_engine, make_manager
from server.live.namespace import LiveNamespace
from server.live.push import Pusher
from server.live.services import live_ctx
from server.live.socketserver import LiveSocketServer
from server.names import SIO_CHANNEL
from server.settings import Settings


def make_sio(settings: Settings) -> socketio.AsyncServer:
    # python-socketio's managers (in-process / Redis) with the broadcast engine as local delivery.
    manager = make_manager(settings, SIO_CHANNEL)
    sio = LiveSocketServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=sorted(settings.origins),
        # Client frames are small JSON events; anything bigger is abuse. Engine.IO applies
        # this to websocket messages too (aiohttp's max_msg_size): the connection is closed.
        max_http_buffer_size=settings.live_max_frame_bytes,
        # Polling needs sticky sessions; only offer it where the operator says they exist.
        transports=["polling", "websocket"] if settings.allow_polling else ["websocket"],
        http_compression=False,
        logger=False,
        engineio_logger=False,
    )
    sio.register_namespace(AgendaNamespace())
    install_engine(sio, settings)  # FORUMLIVE_LIVE_ENGINE=frame (default): frame-once fan-out
    return sio


def attach_sio(app: web.Application) -> None:
    sio = make_sio(app[settings_key])
    sio.register_namespace(LiveNamespace(app))
    sio.attach(app)
    app[sio_key] = sio
    app[pusher_key] = Pusher(sio.emit)
    # Registered before sio_ctx, so torn down after it: clients leave before the writer stops.
    app.cleanup_ctx.append(live_ctx)
    app.cleanup_ctx.append(sio_ctx)


async def sio_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[sio_key].shutdown()
    await close_engine(app[sio_key])
