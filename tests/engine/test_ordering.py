"""Per-connection order: a direct message sent before a broadcast arrives before it."""

from __future__ import annotations

from server.appkeys import live_key, sio_key
from server.live.engine.link import Link
from server.names import session_room
from tests.live.conftest import MakeStage
from tests.live.support import Peer, Peers, Stage


async def _interleave(stage: Stage, peer: Peer, rounds: int, start: int = 0) -> None:
    fanout = stage.client.app[live_key].fanout
    conns = stage.client.app[live_key].conns.all()
    (conn,) = [c for c in conns if c.public_id == peer.user["public_id"]]
    room = session_room(stage.sid)
    for i in range(start, start + rounds):
        await fanout.emit_to(conn.sid, "test:direct", {"i": i})
        await fanout.emit(room, "test:room", {"i": i})
        await fanout.emit_to(conn.sid, "test:direct", {"i": i, "after": True})


def _received(peer: Peer) -> list[tuple[str, dict[str, object]]]:
    return [(e, d) for e, d in peer.order if e.startswith("test:")]


def _expected(rounds: int) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = []
    for i in range(rounds):
        out += [("test:direct", {"i": i}), ("test:room", {"i": i})]
        out.append(("test:direct", {"i": i, "after": True}))
    return out


async def test_direct_then_broadcast_arrive_in_order(stage: Stage, peers: Peers) -> None:
    peer = await peers.join(name="Ada")
    other = await peers.join(name="Ben")
    await _interleave(stage, peer, 100)
    await peer.wait(lambda: len(_received(peer)) >= 300)
    assert _received(peer) == _expected(100)
    await other.wait(lambda: len(_received(other)) >= 100)
    assert _received(other) == [("test:room", {"i": i}) for i in range(100)]


async def test_an_ack_queued_before_a_broadcast_stays_ahead(stage: Stage, peers: Peers) -> None:
    """The chat ack and the room's chat:message take different paths; order still holds."""
    peer = await peers.join(name="Cy")
    for n in range(20):
        ack = await peer.ok("chat:send", {"text": f"m{n}"})
        assert ack["seq"] == n + 1
    got = await peer.next("chat:message", 20)
    assert [m["seq"] for m in got] == list(range(1, 21))


async def test_through_engineios_queue_the_order_holds_too(make_stage: MakeStage) -> None:
    """Long-polling connections (only with sticky sessions) are written by engineio's queue:
    the broadcast goes into that queue behind the direct messages already waiting there."""
    stage = await make_stage(allow_polling=True)
    group = Peers(stage)
    try:
        polling = await group.join(name="Dee", transports=["polling"])
        socket_ = next(iter(stage.client.app[sio_key].eio.sockets.values()))
        assert not isinstance(socket_.queue, Link)
        ws = await group.join(name="Eve")
        # python-engineio's client takes at most 16 packets per poll: rounds of 15.
        for start in range(0, 30, 5):
            await _interleave(stage, polling, 5, start)
            want = 3 * (start + 5)
            await polling.wait(lambda want=want: len(_received(polling)) >= want, timeout=10)
        assert _received(polling) == _expected(30)
        await ws.wait(lambda: len(_received(ws)) >= 30)
        assert _received(ws) == [("test:room", {"i": i}) for i in range(30)]
        # Closed from our side: the client's pending long-poll returns at once.
        await stage.client.app[sio_key].eio.disconnect(socket_.sid)
    finally:
        await group.close()
