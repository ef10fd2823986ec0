"""Across nodes: one Redis publish per broadcast, heard only by nodes serving the room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import Redis

from server.app import create_app
from server.appkeys import sio_key
from server.live.engine.setup import engine_of
from server.names import live_bus_channel
from server.settings import Settings
from tests.factories import Factory
from tests.live.conftest import GENEROUS, eventually
from tests.live.support import Peer, Peers, Stage

SECRET = "engine-sharding-test-secret-shared-by-both-nodes"


class Two:
    def __init__(self, stage: Stage, b: TestClient, redis: Redis) -> None:
        self.stage = stage
        self.a = stage.client
        self.b = b
        self.redis = redis
        self.peers = Peers(stage)

    async def join(self, node: TestClient, name: str) -> Peer:
        user = await self.stage.quick_user(name)
        peer = self.peers.new(str(node.make_url("")).rstrip("/"))
        peer.user = user  # type: ignore[attr-defined]
        return await peer.connect(await self.stage.quick_token(user))

    def subscribers(self, session_id: int) -> int:
        ((_, n),) = self.redis.pubsub_numsub(live_bus_channel(session_id))
        return int(n)

    def publishes(self) -> int:
        stats = self.redis.info("commandstats").get("cmdstat_publish", {})
        return int(stats.get("calls", 0))


@pytest.fixture
async def two(aiohttp_client: Any, settings: Settings, redis_url: str) -> AsyncIterator[Two]:
    node = settings.model_copy(
        update={
            **GENEROUS,
            "redis_url": redis_url,
            "secret_key": SECRET,
            "live_presence_interval_seconds": 60.0,  # no presence traffic while counting
        }
    )
    a = await aiohttp_client(create_app(node))
    b = await aiohttp_client(create_app(node))
    stage = await Stage(Factory(a)).setup()
    group = Two(stage, b, Redis.from_url(redis_url))
    try:
        yield group
    finally:
        await group.peers.close()
        group.redis.close()


async def test_a_node_hears_only_the_rooms_it_serves(two: Two) -> None:
    sid = two.stage.sid
    assert two.subscribers(sid) == 0
    on_a = await two.join(two.a, "Ada")
    assert two.subscribers(sid) == 1  # A only: B has nobody in this room
    other = await two.stage.another_session()
    assert two.subscribers(other["id"]) == 0

    on_b = await two.join(two.b, "Ben")
    assert two.subscribers(sid) == 2
    await on_a.ok("chat:send", {"text": "to both nodes"})
    assert (await on_b.next("chat:message"))[-1]["text"] == "to both nodes"

    await on_b.close()  # B's last client in the room: B stops listening to it
    await eventually(lambda: two.subscribers(sid) == 1)
    await on_a.ok("chat:send", {"text": "only A serves it now"})
    assert (await on_a.next("chat:message", 2))[-1]["text"] == "only A serves it now"


async def test_one_publish_per_broadcast_and_frame_once_on_the_receiver(two: Two) -> None:
    on_a = await two.join(two.a, "Ada")
    on_b = [await two.join(two.b, f"B{n}") for n in range(3)]
    engine_b = engine_of(two.b.app[sio_key])
    assert engine_b is not None
    await asyncio.sleep(0.3)  # the joins' presence hints are out
    before, delivered_before = two.publishes(), engine_b.passes
    await on_a.ok("chat:send", {"text": "one publish"})
    for peer in on_b:
        assert (await peer.next("chat:message"))[-1]["text"] == "one publish"
    assert two.publishes() - before == 1
    # Node B encoded it once for its three clients: one delivery pass, not three.
    assert engine_b.passes - delivered_before == 1
