"""Resume: a client that reconnects with the last seq it saw gets exactly what it missed."""

from __future__ import annotations

import asyncio

from server.appkeys import live_key
from tests.live.conftest import MakeStage, eventually
from tests.live.support import Peer, Peers, Stage


async def cut(peer: Peer) -> None:
    """The network drops: no goodbye packet, the server finds out on its own."""
    await peer.sio.eio.disconnect(abort=True)


def seqs(peer: Peer) -> list[int]:
    welcome = [m["seq"] for w in peer.events["room:welcome"] for m in w["chat"]["messages"]]
    return welcome + [m["seq"] for m in peer.events["chat:message"]]


async def test_resume_delivers_exactly_the_missed_messages_while_chat_goes_on(
    stage: Stage, peers: Peers
) -> None:
    talker = await peers.join()
    user = await stage.quick_user()
    token = await stage.quick_token(user)
    listener = await peers.new().connect(token)
    for n in range(10):
        await talker.ok("chat:send", {"text": f"before {n}"})
    await listener.next("chat:message", 10)
    last_seen = listener.events["chat:message"][-1]["seq"]
    await cut(listener)
    conns = stage.client.app[live_key].conns
    await eventually(lambda: len(conns) == 1)  # the server noticed

    stop = asyncio.Event()

    async def keep_talking() -> int:
        sent = 0
        while not stop.is_set():
            await talker.ok("chat:send", {"text": f"meanwhile {sent}"})
            sent += 1
            await asyncio.sleep(0.005)
        return sent

    chatter = asyncio.create_task(keep_talking())
    await asyncio.sleep(0.3)  # messages pile up while the listener is away
    back = await peers.new().connect(token, last_seq=last_seen)  # reconnects mid-stream
    await asyncio.sleep(0.3)
    stop.set()
    await chatter
    total = talker.events["chat:message"][-1]["seq"]
    await back.wait(lambda: seqs(back) and seqs(back)[-1] >= total)

    chat = back.welcome["chat"]
    assert chat["resumed"] is True and chat["recovered"] is True
    got = seqs(back)
    assert got == list(range(last_seen + 1, total + 1))  # none lost, none twice, in order
    assert len(chat["messages"]) > 0  # some really were missed and resumed


async def test_a_gap_older_than_the_window_gets_a_fresh_history(
    make_stage: MakeStage,
) -> None:
    stage = await make_stage(live_resume_window=20, live_history_size=10)
    peers = Peers(stage)
    try:
        talker = await peers.join()
        user = await stage.quick_user()
        token = await stage.quick_token(user)
        listener = await peers.new().connect(token)
        await talker.ok("chat:send", {"text": "seen"})
        await listener.next("chat:message")
        await listener.close()
        for n in range(30):
            await talker.ok("chat:send", {"text": f"missed {n}"})
        back = await peers.new().connect(token, last_seq=1)
        chat = back.welcome["chat"]
        assert chat["resumed"] is True and chat["recovered"] is False
        assert [m["seq"] for m in chat["messages"]] == list(range(22, 32))
        # Inside the window the same room resumes fine.
        again = await peers.new().connect(token, last_seq=25)
        assert again.welcome["chat"]["recovered"] is True
        assert [m["seq"] for m in again.welcome["chat"]["messages"]] == list(range(26, 32))
    finally:
        await peers.close()


async def test_messages_deleted_while_away_are_reported_and_not_resent(
    stage: Stage, peers: Peers
) -> None:
    mod = await peers.moderator()
    user = await stage.quick_user()
    token = await stage.quick_token(user)
    listener = await peers.new().connect(token)
    for n in range(3):
        await mod.ok("chat:send", {"text": f"m{n}"})
    await listener.next("chat:message", 3)
    await listener.close()
    for n in range(3):
        await mod.ok("chat:send", {"text": f"later {n}"})
    await mod.ok("mod:delete", {"seq": 2})  # one the listener had
    await mod.ok("mod:delete", {"seq": 5})  # one the listener missed
    back = await peers.new().connect(token, last_seq=3)
    chat = back.welcome["chat"]
    assert chat["recovered"] is True
    assert [m["seq"] for m in chat["messages"]] == [4, 6]
    assert chat["deleted"] == [2, 5]


async def test_resume_from_the_future_is_not_recovered(stage: Stage, peers: Peers) -> None:
    talker = await peers.join()
    await talker.ok("chat:send", {"text": "only one"})
    back = await peers.join(last_seq=99)
    chat = back.welcome["chat"]
    assert chat["recovered"] is False
    assert [m["seq"] for m in chat["messages"]] == [1]
