"""Builds the engine from settings: ``FORUMLIVE_LIVE_ENGINE=frame`` (default) or ``sio``."""

from __future__ import annotations

import socketio

from server.live.engine.engine import Engine, EngineConfig
from server.live.engine.manager import FrameManager, FrameRedisManager
from server.live.engine.wire import install
from server.settings import Settings


def make_manager(settings: Settings, channel: str) -> FrameManager:
    if settings.redis_url:
        return FrameRedisManager(settings.redis_url, channel=channel)
    return FrameManager()


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        send_buffer_bytes=settings.live_send_buffer_bytes,
        cut_grace_seconds=settings.live_cut_grace_seconds,
        socket_send_buffer_bytes=settings.live_socket_send_buffer_bytes,
        deflate=settings.live_ws_deflate,
        deflate_min_bytes=settings.live_ws_deflate_min_bytes,
        coalesce_seconds=settings.live_coalesce_ms / 1000,
        coalesce_min_clients=settings.live_coalesce_min_clients,
    )


def install_engine(sio: socketio.AsyncServer, settings: Settings) -> Engine | None:
    """With the frame engine selected, route ``sio``'s websockets and local emits through it."""
    manager = sio.manager
    if settings.live_engine != "frame" or not isinstance(manager, FrameManager):
        return None
    engine = Engine(engine_config(settings))
    install(sio, engine)
    manager.engine = engine
    return engine


def engine_of(sio: socketio.AsyncServer) -> Engine | None:
    manager = sio.manager
    return manager.engine if isinstance(manager, FrameManager) else None


async def close_engine(sio: socketio.AsyncServer) -> None:
    engine = engine_of(sio)
    if engine is not None:
        await engine.close()
