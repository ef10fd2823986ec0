"""Throttling: failed logins, or any counted action, in a window per key, in memory or in Redis."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Protocol

from redis.asyncio import Redis


class Throttle(Protocol):
    async def retry_after(self, key: str, limit: int | None = None) -> int:
        """Seconds until ``key`` may try again; 0 when it may now.

        ``limit`` replaces the configured number of failures for this key.
        """

    async def failed(self, key: str) -> None: ...

    async def reset(self, key: str) -> None: ...

    async def take(self, key: str, limit: int | None = None) -> int:
        """Count one action for ``key`` unless it is over its limit: 0 when counted, else
        the seconds to wait. Check and count are one step, so concurrent callers (on any
        node, with Redis) cannot all slip under the limit together."""


class MemoryThrottle:
    def __init__(self, max_failures: int, window_seconds: int) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        now = time.monotonic()
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._failures[key]  # keep memory bounded by active attackers only
            return deque()
        return q

    async def retry_after(self, key: str, limit: int | None = None) -> int:
        q = self._recent(key)
        if len(q) < (limit or self.max_failures):
            return 0
        return max(1, int(q[0] + self.window - time.monotonic()) + 1)

    async def failed(self, key: str) -> None:
        self._recent(key)
        self._failures[key].append(time.monotonic())

    async def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    async def take(self, key: str, limit: int | None = None) -> int:
        wait = await self.retry_after(key, limit)
        if not wait:
            await self.failed(key)
        return wait


class RedisThrottle:
    """Shared by every node of a cluster, so failures count across all of them."""

    def __init__(self, redis: Redis, max_failures: int, window_seconds: int, prefix: str) -> None:
        self.redis = redis
        self.max_failures = max_failures
        self.window = window_seconds
        self.prefix = prefix

    async def retry_after(self, key: str, limit: int | None = None) -> int:
        k = self.prefix + key
        count = await self.redis.get(k)
        if count is None or int(count) < (limit or self.max_failures):
            return 0
        ttl = await self.redis.ttl(k)
        return max(1, int(ttl))

    async def failed(self, key: str) -> None:
        k = self.prefix + key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(k)
            pipe.expire(k, self.window, nx=True)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def take(self, key: str, limit: int | None = None) -> int:
        k = self.prefix + key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(k)
            pipe.expire(k, self.window, nx=True)
            pipe.ttl(k)
            count, _, ttl = await pipe.execute()
        if int(count) <= (limit or self.max_failures):
            return 0
        return max(1, int(ttl))
