"""The engine's hold on python-engineio: installed, in use, and loud when engineio changes."""

from __future__ import annotations

import asyncio
import json

import engineio
import pytest

from server.appkeys import sio_key
from server.live.engine.link import Link
from server.live.engine.setup import engine_of
from server.live.engine.wire import EngineioShapeError, Handshake, check_engineio_shape
from server.live.fanout import SioFanout, make_fanout
from server.names import session_room
from tests.engine.rawws import RawWebSocket
from tests.live.conftest import MakeStage
from tests.live.support import Peers, Stage


def test_the_installed_engineio_has_the_shape_wire_relies_on() -> None:
    check_engineio_shape(engineio.AsyncServer(async_mode="aiohttp"))


def test_a_changed_engineio_fails_loudly() -> None:
    eio = engineio.AsyncServer(async_mode="aiohttp")
    eio._async = {k: v for k, v in eio._async.items() if k != "websocket"}  # a copy
    with pytest.raises(EngineioShapeError, match=r"websocket.*FORUMLIVE_LIVE_ENGINE=sio"):
        check_engineio_shape(eio)
    # The module-level driver table every engineio server shares was not touched.
    assert "websocket" in engineio.AsyncServer(async_mode="aiohttp")._async


def _engineio_writer_tasks() -> list[asyncio.Task[object]]:
    return [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "").endswith("_websocket_handler.<locals>.writer")
    ]


async def test_websockets_are_written_by_links_not_engineio_writers(
    stage: Stage, peers: Peers
) -> None:
    sio = stage.client.app[sio_key]
    engine = engine_of(sio)
    assert engine is not None, "the frame engine is the default"
    peer = await peers.join(name="Ada")
    (socket,) = sio.eio.sockets.values()
    assert isinstance(socket.queue, Link) and socket.queue is engine.links[socket.sid]
    assert _engineio_writer_tasks() == []
    await peer.ok("chat:send", {"text": "through the link"})
    assert (await peer.next("chat:message"))[-1]["text"] == "through the link"
    await peer.close()
    await asyncio.sleep(0.2)
    assert engine.links == {}  # dropped when the connection ended


async def test_the_sio_engine_is_python_socketios_own_path(make_stage: MakeStage) -> None:
    stage = await make_stage(live_engine="sio")
    sio = stage.client.app[sio_key]
    assert engine_of(sio) is None and isinstance(make_fanout(sio), SioFanout)
    peers = Peers(stage)
    try:
        peer = await peers.join(name="Ben")
        await peer.ok("chat:send", {"text": "old path"})
        assert (await peer.next("chat:message"))[-1]["text"] == "old path"
        assert _engineio_writer_tasks(), "engineio runs its writer task per socket"
    finally:
        await peers.close()


OFFER = "permessage-deflate; client_max_window_bits"


async def test_permessage_deflate_is_declined_by_default(stage: Stage) -> None:
    ws = await RawWebSocket.open(stage.url(), extensions=OFFER)
    try:
        assert ws.extensions == ""
        await ws.join_live(await stage.quick_token(await stage.quick_user("Cy")))
    finally:
        ws.close()


async def test_deflate_when_on_compresses_big_broadcasts_once(make_stage: MakeStage) -> None:
    stage = await make_stage(live_ws_deflate=True, live_ws_deflate_min_bytes=512)
    engine = engine_of(stage.client.app[sio_key])
    assert engine is not None
    a = await RawWebSocket.open(stage.url(), extensions=OFFER)
    b = await RawWebSocket.open(stage.url(), extensions=OFFER)
    try:
        assert a.extensions.startswith("permessage-deflate")
        for ws in (a, b):
            await ws.join_live(await stage.quick_token(await stage.quick_user()))
        fanout = make_fanout(stage.client.app[sio_key])
        room = session_room(stage.sid)
        await fanout.emit(room, "test:big", {"text": "x" * 2000})
        await fanout.emit(room, "test:small", {"n": 1})
        for ws in (a, b):
            first, body = await _next_named(ws, "test:big")
            assert first == 0xC1  # RSV1: compressed
            assert len(body) < 200
            first, body = await _next_named(ws, "test:small")
            assert first == 0x81  # below the threshold: plain
    finally:
        a.close()
        b.close()


async def _next_named(ws: RawWebSocket, event: str) -> tuple[int, bytes]:
    import zlib

    while True:
        first, body = await ws.frame()
        text = body
        if first & 0x40:
            text = zlib.decompressobj(-15).decompress(body + b"\x00\x00\xff\xff")
        if text.startswith(b"42/live,") and json.loads(text[8:])[0] == event:
            return first, body


async def test_one_pinger_keeps_live_clients_and_drops_silent_ones(
    stage: Stage, peers: Peers
) -> None:
    eio = stage.client.app[sio_key].eio
    eio.ping_interval, eio.ping_timeout = 0.3, 0.5  # read when each ping is due
    alive = await peers.join(name="Answers pings")  # python-socketio answers every ping
    silent = await RawWebSocket.open(stage.url())
    await silent.join_live(await stage.quick_token(await stage.quick_user("Silent")))
    pings = 0
    try:
        while True:  # never answer: the server must give up on this one
            first, payload = await silent.frame(timeout=5)
            if payload == b"2":
                pings += 1
            if first == 0x88:
                break
    except asyncio.IncompleteReadError:
        pass  # closed without a close frame: also gone
    assert pings == 1  # one ping, no answer, closed
    await asyncio.sleep(1.0)  # a few more rounds for the one that answers
    assert alive.sio.connected and not alive.disconnected.is_set()
    per_socket = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") == "AsyncSocket._send_ping"
    ]
    assert per_socket == []  # no sleeping task per connection
    silent.close()


def _http_handler_tasks() -> int:
    names = ("RequestHandler.start", "RequestHandler._handle_request")
    return sum(1 for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", "") in names)


async def test_a_live_connection_keeps_no_http_handler_after_the_handshake(
    stage: Stage, peers: Peers
) -> None:
    """The memory of a connection: aiohttp's request, handler and tasks go at the handshake."""
    sio = stage.client.app[sio_key]
    await peers.join(name="Warm")  # the test client's own HTTP connections exist by now
    await asyncio.sleep(0.1)
    before = _http_handler_tasks()
    joined = [await peers.join(name=f"P{i}") for i in range(3)]
    await asyncio.sleep(0.1)
    assert _http_handler_tasks() == before  # no handler task, no coroutine chain, per socket
    for eio_sid in list(sio.eio.sockets):
        request = sio.environ[eio_sid]["aiohttp.request"]
        assert isinstance(request, Handshake) and request.app is stage.client.app
    await joined[0].ok("chat:send", {"text": "still read and answered"})
    for peer in joined:
        assert (await peer.next("chat:message"))[-1]["text"] == "still read and answered"


async def test_websocket_pings_are_answered_and_a_client_close_is_returned(stage: Stage) -> None:
    ws = await RawWebSocket.open(stage.url())
    try:
        await ws.join_live(await stage.quick_token(await stage.quick_user("Pinging")))
        mask = b"\x01\x02\x03\x04"
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(b"hi"))
        ws.writer.write(bytes((0x89, 0x80 | 2)) + mask + body)  # a masked PING "hi"
        while True:
            first, payload = await ws.frame()
            if first == 0x8A:
                assert payload == b"hi"
                break
        close = bytes(b ^ mask[i % 4] for i, b in enumerate(b"\x03\xe8"))
        ws.writer.write(bytes((0x88, 0x80 | 2)) + mask + close)  # CLOSE 1000
        while True:
            first, payload = await ws.frame()
            if first == 0x88:
                assert int.from_bytes(payload[:2], "big") == 1000
                break
        assert await ws.reader.read() == b""  # and the server closed the TCP connection
    finally:
        ws.close()
