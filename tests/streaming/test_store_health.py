"""Segment stores (memory, Redis) and channel health, on a Redis of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from server.names import STREAM_ACTIVE_KEY, stream_segment_key
from server.streaming.health import MemoryHealth, RedisHealth
from server.streaming.store import (
    FileKey,
    MemoryStore,
    RedisStore,
    StoreUnavailable,
    store_unavailable,
)
from tests.scheduler.support import RedisServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = redis_server.client()
    await client.flushall()
    yield client
    await client.aclose()


def key(file: str, room: int = 1, channel: str = "floor") -> FileKey:
    return FileKey(room, channel, file)


async def test_memory_store_forgets_after_the_ttl() -> None:
    clock = Clock()
    store = MemoryStore(ttl=10, max_bytes=1 << 20, clock=clock)
    await store.put(key("a.ts"), b"aaa")
    clock.now += 9.9
    assert await store.get(key("a.ts")) == b"aaa"
    clock.now += 0.2
    assert await store.get(key("a.ts")) is None
    assert len(store) == 0 and store.bytes == 0


async def test_memory_store_is_bounded_and_evicts_the_oldest_first() -> None:
    store = MemoryStore(ttl=60, max_bytes=1000)
    for i in range(5):
        await store.put(key(f"s{i}.ts"), bytes(300))
    assert store.bytes <= 1000
    assert [await store.get(key(f"s{i}.ts")) is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    # Replacing a file counts its new size only.
    await store.put(key("s4.ts"), bytes(10))
    assert store.bytes == 610


async def test_memory_store_sweep_and_delete() -> None:
    clock = Clock()
    store = MemoryStore(ttl=5, max_bytes=1 << 20, clock=clock)
    await store.put(key("old.ts"), b"1")
    clock.now += 3
    await store.put(key("new.ts"), b"2")
    clock.now += 3
    assert store.sweep() == 1
    assert await store.get(key("new.ts")) == b"2"
    await store.delete(key("new.ts"))
    await store.delete(key("never.ts"))
    assert len(store) == 0


async def test_redis_store_keeps_segments_with_a_ttl_and_other_nodes_see_them(
    redis: Redis, redis_server: RedisServer
) -> None:
    node_a = RedisStore(redis, ttl=30)
    other = redis_server.client()
    node_b = RedisStore(other, ttl=30)
    try:
        await node_a.put(key("index3.ts", room=7, channel="fr"), b"\x47" * 188)
        assert await node_b.get(key("index3.ts", room=7, channel="fr")) == b"\x47" * 188
        ttl = await redis.pttl(stream_segment_key(7, "fr", "index3.ts"))
        assert 0 < ttl <= 30_000
        await node_b.delete(key("index3.ts", room=7, channel="fr"))
        assert await node_a.get(key("index3.ts", room=7, channel="fr")) is None
    finally:
        await other.aclose()


async def test_memory_health_goes_live_once_then_offline_after_three_targets() -> None:
    clock = Clock()
    health = MemoryHealth(clock=clock)
    await health.target(1, "floor", 2.0)
    first = await health.segment(1, "floor")
    assert first is not None and first.status == "live"
    clock.now += 1
    assert await health.segment(1, "floor") is None  # already live: no second change
    clock.now += 5.9  # 5.9 s after the last segment: not yet three target durations
    assert await health.judge() == []
    clock.now += 0.2
    changes = await health.judge()
    assert [(c.room_id, c.channel, c.status) for c in changes] == [(1, "floor", "offline")]
    assert await health.judge() == []
    state = await health.read(1, ("floor", "fr"))
    assert state["floor"].status == "offline" and state["floor"].target_duration == 2.0
    assert state["fr"].status == "offline" and state["fr"].last_segment_at is None
    again = await health.segment(1, "floor")
    assert again is not None and again.status == "live"


async def test_redis_health_reports_each_change_exactly_once_across_nodes(
    redis: Redis, redis_server: RedisServer
) -> None:
    clients = [redis_server.client() for _ in range(3)]
    nodes = [RedisHealth(c) for c in clients]
    try:
        await nodes[0].target(4, "floor", 0.2)
        # Segments arrive at different nodes at once: exactly one reports "live".
        arrivals = await asyncio.gather(*(n.segment(4, "floor") for n in nodes))
        assert [a.status for a in arrivals if a is not None] == ["live"]
        assert (await nodes[2].read(4, ("floor",)))["floor"].status == "live"
        assert await redis.sismember(STREAM_ACTIVE_KEY, "4:floor")
        # Every node judges, none too early …
        assert sum([len(await n.judge()) for n in nodes]) == 0
        await asyncio.sleep(0.7)  # > 3 × 0.2 s without a segment
        # … and exactly one of them reports "offline", however many judge at once.
        judged = await asyncio.gather(*(n.judge() for n in nodes for _ in range(3)))
        offline = [c for changes in judged for c in changes]
        assert [(c.room_id, c.channel, c.status) for c in offline] == [(4, "floor", "offline")]
        assert (await nodes[1].read(4, ("floor",)))["floor"].status == "offline"
        assert not await redis.sismember(STREAM_ACTIVE_KEY, "4:floor")
    finally:
        for c in clients:
            await c.aclose()


async def test_a_redis_outage_is_a_retryable_unavailable_not_a_crash(tmp_path: Path) -> None:
    own = RedisServer(tmp_path)
    client = own.client()
    store = RedisStore(client, ttl=30)
    try:
        await store.put(key("a.ts"), b"x")
        own.stop()
        for call in (
            store.get(key("a.ts")),
            store.put(key("b.ts"), b"y"),
            store.delete(key("a.ts")),
        ):
            with pytest.raises(StoreUnavailable):
                await call
        error = store_unavailable()
        assert (error.status, error.code, error.headers) == (
            503,
            "stream_store_unavailable",
            {"Retry-After": "2"},
        )
    finally:
        own.stop()
        await client.aclose()
