"""Is a channel on air? ``live`` while segments arrive, ``offline`` three target durations after the last.

Every node judges, and every judgement is one atomic step on shared state
(a dict in embedded mode, a Lua script in Redis in cluster mode): the step
that flips a channel's status reports the change, every other step sees it
already flipped. So each change is reported — and pushed — exactly once,
with no leader to elect and nothing lost when a node dies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from redis.asyncio import Redis

from server.names import STREAM_ACTIVE_KEY, stream_health_key

Status = Literal["live", "offline"]
MISSED_TARGETS = 3  # a channel is offline after this many target durations without a segment
# Before the encoder's first playlist says otherwise (ffmpeg's default hls_time is 2 s).
DEFAULT_TARGET = 4.0
# Health records of idle channels are forgotten after a day (they then read as offline).
RECORD_TTL = 24 * 3600


@dataclass(frozen=True)
class HealthChange:
    room_id: int
    channel: str
    status: Status
    at: float  # epoch seconds


@dataclass(frozen=True)
class ChannelHealth:
    status: Status
    last_segment_at: float | None
    target_duration: float | None


class HealthBoard(Protocol):
    async def segment(self, room_id: int, channel: str) -> HealthChange | None:
        """A segment arrived: the change to ``live``, if this was it."""
        ...

    async def target(self, room_id: int, channel: str, seconds: float) -> None: ...

    async def judge(self) -> list[HealthChange]:
        """Every channel that has just gone ``offline``."""
        ...

    async def read(self, room_id: int, channels: tuple[str, ...]) -> dict[str, ChannelHealth]: ...


def _member(room_id: int, channel: str) -> str:
    return f"{room_id}:{channel}"


def _split(member: str) -> tuple[int, str]:
    room, _, channel = member.partition(":")
    return int(room), channel


@dataclass
class _Record:
    status: Status
    last: float
    target: float | None = None


class MemoryHealth:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._records: dict[tuple[int, str], _Record] = {}

    async def segment(self, room_id: int, channel: str) -> HealthChange | None:
        now = self._clock()
        record = self._records.get((room_id, channel))
        if record is None:
            self._records[(room_id, channel)] = _Record("live", now)
            return HealthChange(room_id, channel, "live", now)
        record.last = now
        if record.status == "live":
            return None
        record.status = "live"
        return HealthChange(room_id, channel, "live", now)

    async def target(self, room_id: int, channel: str, seconds: float) -> None:
        record = self._records.get((room_id, channel))
        if record is None:
            record = self._records[(room_id, channel)] = _Record("offline", 0.0)
        record.target = seconds

    async def judge(self) -> list[HealthChange]:
        now = self._clock()
        changes: list[HealthChange] = []
        for (room_id, channel), record in self._records.items():
            if record.status != "live":
                continue
            if now - record.last > MISSED_TARGETS * (record.target or DEFAULT_TARGET):
                record.status = "offline"
                changes.append(HealthChange(room_id, channel, "offline", now))
        return changes

    async def read(self, room_id: int, channels: tuple[str, ...]) -> dict[str, ChannelHealth]:
        out: dict[str, ChannelHealth] = {}
        for channel in channels:
            record = self._records.get((room_id, channel))
            if record is None:
                out[channel] = ChannelHealth("offline", None, None)
            else:
                last = record.last or None
                out[channel] = ChannelHealth(record.status, last, record.target)
        return out


# KEYS: health hash, active set. ARGV: member, record ttl. Returns {changed, now}.
_SEGMENT_LUA = """
local t = redis.call('TIME')
local now = tostring(tonumber(t[1]) + tonumber(t[2]) / 1000000)
local prev = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'last', now, 'status', 'live')
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
if prev == 'live' then return {0, now} end
return {1, now}
"""

# KEYS: health hash, active set. ARGV: member, default target, missed targets, record ttl.
_JUDGE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local h = redis.call('HMGET', KEYS[1], 'status', 'last', 'target')
if h[1] ~= 'live' then
  redis.call('SREM', KEYS[2], ARGV[1])
  return {0, ''}
end
local target = tonumber(h[3]) or tonumber(ARGV[2])
if now - (tonumber(h[2]) or 0) > tonumber(ARGV[3]) * target then
  redis.call('HSET', KEYS[1], 'status', 'offline')
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  redis.call('SREM', KEYS[2], ARGV[1])
  return {1, tostring(now)}
end
return {0, ''}
"""


class RedisHealth:
    """Shared by every node; Redis' clock (``TIME``) is the one clock, so node skew does not matter."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._segment = redis.register_script(_SEGMENT_LUA)
        self._judge = redis.register_script(_JUDGE_LUA)

    async def segment(self, room_id: int, channel: str) -> HealthChange | None:
        member = _member(room_id, channel)
        changed, now = await self._segment(
            keys=[stream_health_key(room_id, channel), STREAM_ACTIVE_KEY],
            args=[member, RECORD_TTL],
        )
        if int(changed) != 1:
            return None
        return HealthChange(room_id, channel, "live", float(now))

    async def target(self, room_id: int, channel: str, seconds: float) -> None:
        key = stream_health_key(room_id, channel)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "target", str(seconds))
            pipe.expire(key, RECORD_TTL)
            await pipe.execute()

    async def judge(self) -> list[HealthChange]:
        changes: list[HealthChange] = []
        for raw in await self._redis.smembers(STREAM_ACTIVE_KEY):
            member = raw.decode() if isinstance(raw, bytes) else str(raw)
            room_id, channel = _split(member)
            changed, now = await self._judge(
                keys=[stream_health_key(room_id, channel), STREAM_ACTIVE_KEY],
                args=[member, DEFAULT_TARGET, MISSED_TARGETS, RECORD_TTL],
            )
            if int(changed) == 1:
                changes.append(HealthChange(room_id, channel, "offline", float(now)))
        return changes

    async def read(self, room_id: int, channels: tuple[str, ...]) -> dict[str, ChannelHealth]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel in channels:
                pipe.hmget(stream_health_key(room_id, channel), "status", "last", "target")
            rows = await pipe.execute()
        out: dict[str, ChannelHealth] = {}
        for channel, (status, last, target) in zip(channels, rows, strict=True):
            out[channel] = ChannelHealth(
                "live" if status == b"live" else "offline",
                float(last) if last else None,
                float(target) if target else None,
            )
        return out
