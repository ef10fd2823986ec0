"""Where live playlists and segments wait for viewers: memory (embedded) or Redis (cluster).

Both forget a file after ``ttl`` seconds: a live stream only needs its last few
segments, and ffmpeg deletes retired ones itself (``-hls_flags delete_segments``);
the TTL covers encoders that do not. In Redis every node sees every segment, so
ingest and playback need not land on the same node.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.api.errors import ApiError
from server.names import stream_segment_key


class StoreUnavailable(Exception):
    """The segment store (Redis, in cluster mode) did not answer."""


def store_unavailable() -> ApiError:
    return ApiError(
        503,
        "stream_store_unavailable",
        "the stream store is not reachable right now; retry shortly",
        headers={"Retry-After": "2"},
    )


@dataclass(frozen=True)
class FileKey:
    room_id: int
    channel: str
    file: str


class SegmentStore(Protocol):
    async def put(self, key: FileKey, data: bytes) -> None: ...

    async def get(self, key: FileKey) -> bytes | None: ...

    async def delete(self, key: FileKey) -> None: ...

    def sweep(self) -> int:
        """Drop what has expired; returns how many files went (Redis expires by itself)."""
        ...


class MemoryStore:
    """Bounded by bytes as well as by time: the oldest files go first when it is full.

    Entries are kept in insertion order; with one TTL for all, that is also
    expiry order, so both eviction and sweeping only ever look at the front.
    """

    def __init__(
        self, ttl: float, max_bytes: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._clock = clock
        self._files: OrderedDict[FileKey, tuple[bytes, float]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._files)

    async def put(self, key: FileKey, data: bytes) -> None:
        self._drop(key)
        self._files[key] = (data, self._clock() + self._ttl)
        self.bytes += len(data)
        while self.bytes > self._max_bytes and len(self._files) > 1:
            oldest = next(iter(self._files))
            self._drop(oldest)

    async def get(self, key: FileKey) -> bytes | None:
        entry = self._files.get(key)
        if entry is None:
            return None
        data, expires = entry
        if expires <= self._clock():
            self._drop(key)
            return None
        return data

    async def delete(self, key: FileKey) -> None:
        self._drop(key)

    def sweep(self) -> int:
        now = self._clock()
        gone = 0
        while self._files:
            key, (_, expires) = next(iter(self._files.items()))
            if expires > now:
                break
            self._drop(key)
            gone += 1
        return gone

    def _drop(self, key: FileKey) -> None:
        entry = self._files.pop(key, None)
        if entry is not None:
            self.bytes -= len(entry[0])


class RedisStore:
    """Failures surface as ``StoreUnavailable``: a viewer or encoder should retry, not see a 500."""

    def __init__(self, redis: Redis, ttl: int) -> None:
        self._redis = redis
        self._ttl = ttl

    @staticmethod
    def _key(key: FileKey) -> str:
        return stream_segment_key(key.room_id, key.channel, key.file)

    async def put(self, key: FileKey, data: bytes) -> None:
        try:
            await self._redis.set(self._key(key), data, ex=self._ttl)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get(self, key: FileKey) -> bytes | None:
        try:
            value = await self._redis.get(self._key(key))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return None if value is None else bytes(value)

    async def delete(self, key: FileKey) -> None:
        try:
            await self._redis.delete(self._key(key))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def sweep(self) -> int:
        return 0
