"""Token buckets: in memory, and in Redis shared by two nodes."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from server.live.ratelimit import LocalBucket, MemoryRateLimiter, RedisRateLimiter


def test_a_local_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    bucket = LocalBucket(rate=2.0, burst=3)
    t = bucket.stamp
    assert [bucket.take(t).allowed for _ in range(4)] == [True, True, True, False]
    assert bucket.take(t).retry_after_ms == 500
    assert bucket.take(t + 0.5).allowed is True
    assert bucket.take(t + 0.5).allowed is False
    assert [bucket.take(t + 10).allowed for _ in range(4)] == [True, True, True, False]


async def test_the_memory_limiter_keeps_one_bucket_per_key() -> None:
    limiter = MemoryRateLimiter()
    a = [await limiter.take("a", 1.0, 2) for _ in range(3)]
    b = [await limiter.take("b", 1.0, 2) for _ in range(3)]
    assert [d.allowed for d in a] == [True, True, False] == [d.allowed for d in b]
    assert (await limiter.cooldown("slow", 1.0)).allowed is True
    second = await limiter.cooldown("slow", 1.0)
    assert second.allowed is False and 0 < second.retry_after_ms <= 1000


async def test_two_nodes_share_one_bucket_through_redis(redis_url: str) -> None:
    node_a, node_b = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        a, b = RedisRateLimiter(node_a), RedisRateLimiter(node_b)
        decisions = await asyncio.gather(
            *(limiter.take("k", 1.0, 5) for limiter in (a, b) for _ in range(6))
        )
        assert sum(d.allowed for d in decisions) == 5  # not 5 per node
        refused = [d for d in decisions if not d.allowed]
        assert all(0 < d.retry_after_ms <= 1000 for d in refused)
        await asyncio.sleep(1.05)
        assert (await b.take("k", 1.0, 5)).allowed is True
        assert (await a.cooldown("slow", 2.0)).allowed is True
        wait = await b.cooldown("slow", 2.0)
        assert wait.allowed is False and 1000 < wait.retry_after_ms <= 2000
    finally:
        await node_a.aclose()
        await node_b.aclose()
