"""Token buckets: in memory (embedded mode, per connection) and in Redis (cluster mode).

A bucket holds up to ``burst`` tokens and refills at ``rate`` per second; an action
takes one. In cluster mode the bucket of a person lives in Redis, updated by one
Lua script using Redis' own clock, so the limit holds whichever node they talk to.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_ms: int = 0


ALLOWED = Decision(True, 0)


class LocalBucket:
    """One bucket in this process (per-connection event limit, and the embedded limiter)."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> Decision:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return ALLOWED
        return Decision(False, math.ceil((1.0 - self.tokens) * 1000 / self.rate))

    def full_at(self) -> float:
        """When the bucket is full again (then it can be forgotten)."""
        return self.stamp + (self.burst - self.tokens) / self.rate


class RateLimiter(Protocol):
    async def take(self, key: str, rate: float, burst: int) -> Decision: ...

    async def cooldown(self, key: str, seconds: float) -> Decision:
        """Allow once per ``seconds`` (slow mode): the first call passes and starts the wait."""
        ...


class MemoryRateLimiter:
    def __init__(self, max_keys: int = 200_000) -> None:
        self._buckets: dict[str, LocalBucket] = {}
        self._until: dict[str, float] = {}
        self._max_keys = max_keys

    def _prune(self, now: float) -> None:
        # Full buckets and elapsed cooldowns carry no state: drop them when the maps grow.
        if len(self._buckets) > self._max_keys:
            for key in [k for k, b in self._buckets.items() if b.full_at() <= now]:
                del self._buckets[key]
        if len(self._until) > self._max_keys:
            for key in [k for k, t in self._until.items() if t <= now]:
                del self._until[key]

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            self._prune(now)
            bucket = self._buckets[key] = LocalBucket(rate, burst)
        return bucket.take(now)

    async def cooldown(self, key: str, seconds: float) -> Decision:
        now = time.monotonic()
        until = self._until.get(key, 0.0)
        if until > now:
            return Decision(False, math.ceil((until - now) * 1000))
        self._prune(now)
        self._until[key] = now + seconds
        return ALLOWED


# KEYS[1] bucket; ARGV rate/s, burst. Returns {allowed, retry_ms}. Redis' clock, so nodes agree.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local data = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(data[1])
local stamp = tonumber(data[2])
if tokens == nil then tokens = burst; stamp = now end
tokens = math.min(burst, tokens + (now - stamp) * rate / 1000)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, retry}
"""


class RedisRateLimiter:
    """Cluster-wide buckets. While Redis cannot answer, this node's own buckets stand in
    (the limits then hold per node, not across nodes): a Redis outage must not stop every
    chat message of every room."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._take = redis.register_script(_TAKE)
        self._fallback = MemoryRateLimiter()
        self._degraded = False

    def _redis_failed(self, exc: Exception) -> None:
        if not self._degraded:
            log.warning("rate limits fall back to this node's own buckets: Redis: %s", exc)
        self._degraded = True

    def _redis_answered(self) -> None:
        if self._degraded:
            log.info("rate limits are shared through Redis again")
        self._degraded = False

    async def take(self, key: str, rate: float, burst: int) -> Decision:
        try:
            allowed, retry = await self._take(keys=[key], args=[repr(rate), burst])
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)
            return await self._fallback.take(key, rate, burst)
        self._redis_answered()
        return ALLOWED if allowed else Decision(False, int(retry))

    async def cooldown(self, key: str, seconds: float) -> Decision:
        ms = max(1, math.ceil(seconds * 1000))
        try:
            if await self._redis.set(key, b"1", px=ms, nx=True):
                self._redis_answered()
                return ALLOWED
            left = await self._redis.pttl(key)
        except (RedisError, OSError) as exc:
            self._redis_failed(exc)
            return await self._fallback.cooldown(key, seconds)
        return Decision(False, max(1, int(left)))
