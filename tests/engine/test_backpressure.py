"""Backpressure: a client that stops reading is cut, memory stays bounded, the room flows on."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from server.appkeys import live_key, sio_key
from server.live.engine.engine import Engine
from server.live.engine.link import SLOW_CONSUMER_CODE, SLOW_CONSUMER_REASON, Link
from server.live.engine.setup import engine_of
from server.names import LIVE_NAMESPACE, session_room
from tests.engine.rawws import RawWebSocket
from tests.live.conftest import MakeStage, eventually
from tests.live.support import Peers, Stage

LIMIT = 64 * 1024
PAD = "x" * 8000  # ~8 KB a broadcast: the kernel's buffers fill in a few hundred


def _link_of(stage: Stage, public_id: str) -> Link:
    app = stage.client.app
    engine = engine_of(app[sio_key])
    assert engine is not None
    (conn,) = [c for c in app[live_key].conns.all() if c.public_id == public_id]
    eio_sid = app[sio_key].manager.eio_sid_from_sid(conn.sid, LIVE_NAMESPACE)
    return engine.links[eio_sid]


async def _stuck_client(stage: Stage) -> tuple[RawWebSocket, dict[str, Any]]:
    user = await stage.quick_user("Stuck")
    ws = await RawWebSocket.open(stage.url(), rcvbuf=4096)
    await ws.join_live(await stage.quick_token(user))
    return ws, user


async def _flood_until_cut(
    stage: Stage, stuck: Link, engine: Engine
) -> tuple[int, int, dict[int, float]]:
    """Broadcast until the stuck link is cut; returns (sent, peak buffered bytes, send times)."""
    fanout = stage.client.app[live_key].fanout
    room = session_room(stage.sid)
    peak, sent_at = 0, {}
    for i in range(4000):
        sent_at[i] = time.monotonic()
        await fanout.emit(room, "test:flood", {"i": i, "pad": PAD})
        peak = max(peak, stuck.transport.get_write_buffer_size())
        if not stuck.open:
            return i + 1, peak, sent_at
        await asyncio.sleep(0.002)  # the healthy client reads in this same process
    raise AssertionError(f"never cut: {stuck.transport.get_write_buffer_size()} bytes buffered")


async def test_a_client_that_stops_reading_is_cut_and_the_others_keep_up(
    make_stage: MakeStage,
) -> None:
    stage = await make_stage(live_send_buffer_bytes=LIMIT, live_cut_grace_seconds=0.5)
    app = stage.client.app
    engine = engine_of(app[sio_key])
    assert engine is not None
    peers = Peers(stage)
    ws, stuck_user = await _stuck_client(stage)
    try:
        healthy = await peers.join(name="Healthy")
        arrived: dict[int, float] = {}

        @healthy.sio.on("test:flood", namespace="/live")
        async def on_flood(data: dict[str, Any]) -> None:
            arrived[data["i"]] = time.monotonic()

        stuck = _link_of(stage, stuck_user["public_id"])
        # The kernel's share of the backlog is bounded too (SO_SNDBUF, doubled by Linux).
        kernel = stuck.transport.get_extra_info("socket")
        assert kernel.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) <= 2 * 64 * 1024
        sent, peak, sent_at = await _flood_until_cut(stage, stuck, engine)

        # Memory bounded: never more than the limit plus the one frame that crossed it.
        assert peak <= LIMIT + len(PAD) + 200, peak
        assert engine.cuts == 1
        # Nothing more is written to it; after the grace the server drops it altogether.
        await eventually(
            lambda: stuck_user["public_id"] not in {c.public_id for c in app[live_key].conns.all()},
            timeout=10,
        )
        assert stuck.transport.is_closing()

        # The healthy client got every broadcast, in order, and without piling up delay.
        for i in range(sent, sent + 20):  # and the room keeps flowing after the cut
            sent_at[i] = time.monotonic()
            await app[live_key].fanout.emit(
                session_room(stage.sid), "test:flood", {"i": i, "pad": ""}
            )
            await asyncio.sleep(0.002)
        await eventually(lambda: len(arrived) == sent + 20, timeout=20)
        assert sorted(arrived) == list(range(sent + 20))
        worst = max(arrived[i] - sent_at[i] for i in arrived)
        assert worst < 2.0, f"the healthy client waited {worst:.2f} s for a broadcast"
        assert _link_of(stage, healthy.user["public_id"]).open
    finally:
        ws.close()
        await peers.close()


async def test_a_slow_reader_learns_why_it_was_cut(make_stage: MakeStage) -> None:
    """The close frame goes behind what was buffered: a client that reads again sees it."""
    stage = await make_stage(live_send_buffer_bytes=LIMIT, live_cut_grace_seconds=30)
    engine = engine_of(stage.client.app[sio_key])
    assert engine is not None
    ws, stuck_user = await _stuck_client(stage)
    try:
        stuck = _link_of(stage, stuck_user["public_id"])
        sent, _, _ = await _flood_until_cut(stage, stuck, engine)
        seen, close = [], None
        while close is None:  # now read everything, as a slow network eventually does
            first, payload = await ws.frame(timeout=10)
            if first == 0x88:
                close = payload
            elif payload.startswith(b'42/live,["test:flood"'):
                seen.append(payload)
        assert int.from_bytes(close[:2], "big") == SLOW_CONSUMER_CODE
        assert close[2:].decode() == SLOW_CONSUMER_REASON
        # What it did receive is a prefix of what was sent (it resumes from there by seq).
        assert 0 < len(seen) <= sent
    finally:
        ws.close()
