"""Two server nodes in one test process, sharing the database and a real Redis.

The same code paths as a cluster (Redis bus, presence, rate limits, reactions); the
two-process test in test_cluster.py runs real ``forumlive serve`` processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.app import create_app
from server.settings import Settings
from tests.factories import Factory
from tests.live.conftest import GENEROUS
from tests.live.support import Peer, Peers, Stage

SECRET = "live-rooms-test-secret-shared-by-every-node"


def count_is(peer: Peer, n: int) -> bool:
    counts = peer.events["presence:count"]
    return bool(counts) and counts[-1]["count"] == n


class Nodes:
    def __init__(self, stage: Stage, b_url: str) -> None:
        self.stage = stage
        self.a = stage.url()
        self.b = b_url
        self.peers = Peers(stage)

    async def join(self, url: str, user: dict[str, Any] | None = None, **kw: Any) -> Peer:
        user = user or await self.stage.quick_user()
        token = await self.stage.quick_token(user, kw.pop("role", None))
        peer = self.peers.new(url)
        peer.user = user  # type: ignore[attr-defined]
        peer.token = token  # type: ignore[attr-defined]
        return await peer.connect(token, **kw)


@pytest.fixture
async def nodes(aiohttp_client: Any, settings: Settings, redis_url: str) -> AsyncIterator[Nodes]:
    update = {
        **GENEROUS,
        "redis_url": redis_url,
        "secret_key": SECRET,
        "live_node_ttl_seconds": 2.0,
    }
    node_settings = settings.model_copy(update=update)
    a = await aiohttp_client(create_app(node_settings))
    b = await aiohttp_client(create_app(node_settings))
    stage = await Stage(Factory(a)).setup()
    group = Nodes(stage, str(b.make_url("")).rstrip("/"))
    try:
        yield group
    finally:
        await group.peers.close()


async def test_chat_history_and_resume_cross_nodes(nodes: Nodes) -> None:
    on_a = await nodes.join(nodes.a)
    on_b = await nodes.join(nodes.b)
    for n in range(3):
        await on_a.ok("chat:send", {"text": f"from A {n}"})
    await on_b.ok("chat:send", {"text": "from B"})
    for peer in (on_a, on_b):
        got = await peer.next("chat:message", 4)
        assert sorted(m["seq"] for m in got) == [1, 2, 3, 4]
    late_b = await nodes.join(nodes.b)
    assert [m["seq"] for m in late_b.welcome["chat"]["messages"]] == [1, 2, 3, 4]
    await late_b.close()
    await on_a.ok("chat:send", {"text": "while away"})
    back = await nodes.join(nodes.b, late_b.user, last_seq=4)
    assert back.welcome["chat"]["recovered"] is True
    assert [m["text"] for m in back.welcome["chat"]["messages"]] == ["while away"]


async def test_presence_counts_and_rosters_span_nodes(nodes: Nodes) -> None:
    mod = await nodes.join(nodes.a, nodes.stage.moderator)
    on_b = [await nodes.join(nodes.b) for _ in range(3)]
    await mod.wait(lambda: count_is(mod, 4), timeout=5)
    await on_b[0].wait(lambda: count_is(on_b[0], 4), timeout=5)
    await mod.wait(lambda: any(r["count"] == 4 for r in mod.events["presence:roster"]), 5)
    await on_b[1].close()
    await mod.wait(lambda: count_is(mod, 3), timeout=5)
    roster = await mod.ok("presence:roster")
    assert {p["public_id"] for p in roster["people"]} == {
        nodes.stage.moderator["public_id"],
        on_b[0].user["public_id"],
        on_b[2].user["public_id"],
    }


async def test_the_rate_limit_is_per_person_across_nodes(
    aiohttp_client: Any, settings: Settings, redis_url: str
) -> None:
    update = {
        **GENEROUS,
        "redis_url": redis_url,
        "live_chat_rate_per_second": 0.5,
        "live_chat_burst": 4,
    }
    node_settings = settings.model_copy(update=update)
    a = await aiohttp_client(create_app(node_settings))
    b = await aiohttp_client(create_app(node_settings))
    stage = await Stage(Factory(a)).setup()
    group = Nodes(stage, str(b.make_url("")).rstrip("/"))
    try:
        user = await stage.quick_user()
        tab_a = await group.join(group.a, user)
        tab_b = await group.join(group.b, user)
        acks = await asyncio.gather(
            *(tab.call("chat:send", {"text": "hi"}) for tab in (tab_a, tab_b) for _ in range(4))
        )
        assert sum(1 for a in acks if a["ok"]) == 4  # one bucket, not one per node
        other = await group.join(group.b)
        await other.ok("chat:send", {"text": "someone else"})
    finally:
        await group.peers.close()


async def test_a_ban_on_one_node_disconnects_the_person_on_the_other(nodes: Nodes) -> None:
    mod = await nodes.join(nodes.a, nodes.stage.moderator)
    troll = await nodes.join(nodes.b)
    started = time.monotonic()
    await mod.ok("mod:ban", {"public_id": troll.user["public_id"]})
    await asyncio.wait_for(troll.disconnected.wait(), 1.0)
    assert time.monotonic() - started < 1.0
    assert troll.events["room:kicked"][0]["code"] == "banned"
    retry = nodes.peers.new(nodes.b)
    with pytest.raises(Exception):  # noqa: B017  (socketio.exceptions.ConnectionError)
        await retry.connect(troll.token, wait_welcome=False)
    assert retry.connect_error["data"]["code"] == "banned"


async def test_questions_polls_deletes_and_mutes_cross_nodes(nodes: Nodes) -> None:
    mod = await nodes.join(nodes.a, nodes.stage.moderator)
    alice = await nodes.join(nodes.b)
    q = (await alice.ok("qa:ask", {"text": "Across nodes?"}))["question"]
    await mod.wait(lambda: any(e["question"]["id"] == q["id"] for e in mod.events["qa:question"]))
    poll = (await mod.ok("poll:create", {"question": "?", "options": ["x", "y"], "open": True}))[
        "poll"
    ]
    await alice.wait(lambda: bool(alice.events["poll:updated"]))
    await alice.ok("poll:vote", {"poll_id": poll["id"], "option_id": poll["options"][0]["id"]})
    await mod.wait(lambda: any(t["total"] == 1 for t in mod.events["poll:tally"]))
    await alice.ok("chat:send", {"text": "oops"})
    await mod.ok("mod:delete", {"seq": 1})
    await alice.wait(lambda: alice.events["chat:deleted"] == [{"seq": 1}])
    await mod.ok("mod:mute", {"public_id": alice.user["public_id"], "minutes": 5})
    await alice.next("chat:muted")
    assert (await alice.error("chat:send", {"text": "muted on B?"}))["code"] == "muted"
    await mod.ok("mod:lock", {"locked": True})
    await mod.ok("mod:unmute", {"public_id": alice.user["public_id"]})
    await alice.next("chat:unmuted")
    assert (await alice.error("chat:send", {"text": "locked on B?"}))["code"] == "chat_locked"


async def test_reactions_from_both_nodes_arrive_as_one_frame_per_second(nodes: Nodes) -> None:
    on_a = await nodes.join(nodes.a)
    on_b = await nodes.join(nodes.b)
    for _ in range(3):
        await asyncio.gather(
            *(p.ok("reaction:send", {"kind": "clap"}) for p in (on_a, on_b) for _ in range(5))
        )
        await asyncio.sleep(0.4)
    for peer in (on_a, on_b):
        await peer.wait(lambda p=peer: sum(b["total"] for b in p.events["reaction:burst"]) >= 30, 5)
        bursts = peer.events["reaction:burst"]
        assert sum(b["total"] for b in bursts) == 30
        windows = [b["window"] for b in bursts]
        assert windows == sorted(set(windows))  # one frame per window, not one per node
    assert on_a.events["reaction:burst"] == on_b.events["reaction:burst"]
