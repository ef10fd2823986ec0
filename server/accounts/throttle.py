"""Throttling: failed logins, or any counted action, in a window per key, in memory or in Redis."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

T = TypeVar("T")


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


class FallbackThrottle:
    """The cluster's counts in Redis, or this node's own while Redis does not answer.

    Without it a Redis outage answered every login, registration and join with a 503:
    nobody could get in to a live forum. During an outage each node counts on its own,
    so a client spread over N nodes may try N times the limit until Redis answers
    again; the limits still hold per node. A Redis that hangs instead of refusing is
    given ``timeout`` seconds per call.
    """

    def __init__(self, shared: RedisThrottle, local: MemoryThrottle, timeout: float = 1.0) -> None:
        self.shared = shared
        self.local = local
        self.timeout = timeout
        self.degraded = False

    async def _either(self, call: Callable[[RedisThrottle | MemoryThrottle], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.timeout):
                result = await call(self.shared)
        except (RedisConnectionError, RedisTimeoutError, TimeoutError) as exc:
            if not self.degraded:
                self.degraded = True
                log.warning(
                    "throttle %s: Redis unreachable (%r); counting on this node",
                    self.shared.prefix,
                    exc,
                )
            return await call(self.local)
        if self.degraded:
            self.degraded = False
            log.warning(
                "throttle %s: Redis answers again; counting across the cluster", self.shared.prefix
            )
        return result

    async def retry_after(self, key: str, limit: int | None = None) -> int:
        return await self._either(lambda t: t.retry_after(key, limit))

    async def failed(self, key: str) -> None:
        await self._either(lambda t: t.failed(key))

    async def reset(self, key: str) -> None:
        await self._either(lambda t: t.reset(key))

    async def take(self, key: str, limit: int | None = None) -> int:
        return await self._either(lambda t: t.take(key, limit))


def throttle_for(redis: Redis | None, limit: int, window_seconds: int, prefix: str) -> Throttle:
    """In memory for one process; in Redis for a cluster, on this node during an outage."""
    local = MemoryThrottle(limit, window_seconds)
    if redis is None:
        return local
    return FallbackThrottle(RedisThrottle(redis, limit, window_seconds, prefix), local)
