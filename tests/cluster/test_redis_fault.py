"""Redis is SIGKILLed and started again (empty: it never saves). The nodes carry on without a
restart; what was acknowledged during the outage reaches everyone — live, on resume, or with
an honest ``recovered: false`` — and bans hold throughout (they live in the database)."""

from __future__ import annotations

import asyncio

import pytest

from tests.cluster.clients import Http, LiveClient, eventually
from tests.cluster.conftest import Stage

pytestmark = pytest.mark.slow


def _holds_every(client: LiveClient, seqs: list[int]) -> bool:
    return set(seqs) <= set(client.deliveries)


async def test_redis_dies_and_comes_back_nothing_acknowledged_is_lost(stage: Stage) -> None:
    cluster = stage.cluster
    a, b = cluster.node("node-a"), cluster.node("node-b")
    pids = [n.pid for n in cluster.nodes]
    moderator = await stage.accounts.person("Mona Moderator")
    session = await stage.programme.ongoing(moderator)
    sid = session["id"]
    names = ("Xia", "Yann", "Troll", "Early Troll", "Nadia")
    people = {n: await stage.accounts.person(n) for n in names}
    tokens = {n: await stage.programme.token(p, sid) for n, p in people.items()}
    mod = await stage.connect(a.url, await stage.programme.token(moderator, sid), "Mona")
    x = await stage.connect(a.url, tokens["Xia"], "Xia")
    y = await stage.connect(b.url, tokens["Yann"], "Yann")
    troll = await stage.connect(b.url, tokens["Troll"], "Troll")
    banned_before = await mod.call("mod:ban", {"public_id": people["Early Troll"]["public_id"]})
    assert banned_before is not None and banned_before["ok"], banned_before
    first = await x.send("before the outage")
    assert first is not None
    await eventually(lambda: _holds_every(y, [first]), 5, "Yann to hear Xia across nodes")

    await asyncio.to_thread(cluster.redis.kill)
    # Chat goes on within each node (rate limits fall back to per-node buckets).
    during = [await x.send(f"during the outage {i}") for i in range(5)]
    during += [await y.send(f"from B during the outage {i}") for i in range(3)]
    assert None not in during, x.refusals + y.refusals
    # The shared throttles count on each node meanwhile: a join is answered, not refused.
    http = Http(cluster.url, people["Nadia"]["bearer"])
    try:
        status, body = await http.request("POST", f"/api/v1/sessions/{sid}/join")
        assert status == 200 and body["token"], (status, body)
        agenda = f"/api/v1/agenda?event={stage.programme.event['slug']}"
        assert (await http.request("GET", agenda))[0] == 200  # needs only the database
    finally:
        await http.close()
    # Someone arriving during the outage gets in, with the room's history.
    arriving = await stage.connect(a.url, tokens["Nadia"], "Nadia")
    assert set(x.acked) <= set(arriving.deliveries)
    assert await arriving.send("hello from the newcomer") is not None

    # A ban during the outage: stored, and enforced on the other node within its refresh.
    ban = await mod.call("mod:ban", {"public_id": people["Troll"]["public_id"]}, timeout=10)
    assert ban is not None and ban["ok"], ban

    async def troll_out() -> bool:
        await troll.send("still here?", timeout=2)
        return not troll.connected

    await eventually(troll_out, 10, "the troll to be thrown out on node B", every=0.3)
    for node in (a, b):
        for who in ("Troll", "Early Troll"):
            retry = LiveClient(node.url, tokens[who], who)
            stage.clients.append(retry)
            with pytest.raises(Exception):  # noqa: B017  (socketio's ConnectionError)
                await retry.connect()
            codes = [e["data"]["code"] for e in retry.connect_errors]
            assert codes and codes[0] in ("banned", "revoked"), retry.connect_errors

    await asyncio.to_thread(cluster.redis.start)

    # Cross-node delivery comes back by itself.
    async def across_again() -> bool:
        seq = await x.send("is anyone on B hearing me?")
        return seq is not None and await _arrives(y, seq)

    await eventually(across_again, 20, "chat to cross nodes again", every=0.5)
    assert [n.pid for n in cluster.nodes] == pids, "a node was restarted"

    # What each node stored during the outage reaches the other node's clients by itself.
    # The troll spoke until B knew of the ban.
    everything = x.acked + y.acked + troll.acked + arriving.acked
    for c in (mod, x, y, arriving):
        await eventually(lambda c=c: _holds_every(c, everything), 10, f"{c.name} to catch up")
        assert c.duplicates() == [], f"{c.name} was shown {c.duplicates()} twice"
    # And node B's resume window is whole again: a resume from before the outage is exact.
    zoe = await stage.accounts.person("Zoe")
    late = LiveClient(b.url, await stage.programme.token(zoe, sid), "Zoe")
    late.last_seq = first
    stage.clients.append(late)
    await late.connect()
    chat = late.welcomes[0]["chat"]
    assert chat["resumed"] and chat["recovered"], chat
    assert [m["seq"] for m in chat["messages"]] == sorted(set(everything) - {first})
    await y.reconnect()
    assert y.welcomes[-1]["chat"]["recovered"] and y.duplicates() == []
    stored = await stage.accounts.stored_seqs(sid)
    assert stored == sorted(everything)


async def _arrives(client: LiveClient, seq: int, timeout: float = 2) -> bool:
    try:
        await eventually(lambda: seq in client.deliveries, timeout, f"seq {seq}")
    except AssertionError:
        return False
    return True
