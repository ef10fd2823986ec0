"""Who may act: one leader at a time, holding a Redis lease that carries a fencing token.

The lease is ``SET key "<token>:<instance>" NX PX`` with the token taken from
an ``INCR`` counter in the same Lua call, so every lease ever won has a larger
token than the one before. A lease alone cannot stop a leader that was paused
(GC, SIGSTOP, a slow disk) and wakes up after its lease expired; the token
can: the database refuses a transition whose token is not the newest it has
seen (``scheduler.fence``). See docs/scheduler.md.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler import fence
from server.names import SCHEDULER_LEASE_KEY, SCHEDULER_TOKEN_KEY

_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# After Redis lost its data (restart without persistence), the counter must
# climb past the newest token the database has seen, or no leader could act.
_RAISE_COUNTER = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
"""


class NotLeader(Exception):
    """This process may not act (lost or never held the lease)."""


def instance_name() -> str:
    """Readable in the lease value and in logs: which host and process leads."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(
        self,
        redis: Redis,
        instance: str,
        seconds: float,
        key: str = SCHEDULER_LEASE_KEY,
        counter_key: str = SCHEDULER_TOKEN_KEY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.instance = instance
        self.seconds = seconds
        self.key = key
        self.counter_key = counter_key
        self._monotonic = monotonic
        self.token: int | None = None
        self._valid_until = 0.0
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._raise = redis.register_script(_RAISE_COUNTER)

    @property
    def _patience(self) -> float:
        # A Redis that hangs (paused, partitioned) must not hang the lease loop past the lease.
        return max(0.1, self.seconds / 3)

    @property
    def _ms(self) -> int:
        return max(1, int(self.seconds * 1000))

    @property
    def value(self) -> str | None:
        return None if self.token is None else f"{self.token}:{self.instance}"

    def held(self) -> bool:
        """Locally, without asking Redis: we won or renewed it less than a lease ago.

        The clock starts *before* each Redis call, so our view always expires no
        later than Redis's own.
        """
        return self.token is not None and self._monotonic() < self._valid_until

    async def acquire(self) -> int | None:
        started = self._monotonic()
        async with asyncio.timeout(self._patience):
            token = await self._acquire(
                keys=[self.key, self.counter_key], args=[self.instance, self._ms]
            )
        if token is None:
            return None
        self.token = int(token)
        self._valid_until = started + self.seconds
        return self.token

    async def renew(self) -> bool:
        if self.token is None:
            return False
        started = self._monotonic()
        async with asyncio.timeout(self._patience):
            renewed = await self._renew(keys=[self.key], args=[self.value, self._ms])
        if renewed:
            self._valid_until = started + self.seconds
            return True
        self.forget()
        return False

    async def confirm(self) -> bool:
        """Ask Redis whether the lease is still ours (the last check before a commit)."""
        if not self.held():
            return False
        async with asyncio.timeout(self._patience):
            current = await self.redis.get(self.key)
        return current is not None and current.decode() == self.value

    async def release(self) -> None:
        """Hand over at once on a clean stop instead of making the next leader wait."""
        if self.token is not None:
            async with asyncio.timeout(self._patience):
                await self._release(keys=[self.key], args=[self.value])
        self.forget()

    async def raise_counter(self, at_least: int) -> None:
        await self._raise(keys=[self.counter_key], args=[at_least])

    def forget(self) -> None:
        self.token = None
        self._valid_until = 0.0


class Authority(Protocol):
    """What a write path asks before it commits a scheduler action."""

    @property
    def token(self) -> int | None: ...

    def may_act(self) -> bool: ...

    async def guard(self, s: AsyncSession) -> None:
        """Inside the transaction, last thing before commit: raise to roll it back."""


class Solo:
    """Embedded mode without Redis: the one in-process scheduler is the only one."""

    token: int | None = None

    def may_act(self) -> bool:
        return True

    async def guard(self, s: AsyncSession) -> None:
        return None


class Leader:
    """Cluster mode: act only while holding the lease, and prove it to the database."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease

    @property
    def token(self) -> int | None:
        return self.lease.token if self.lease.held() else None

    def may_act(self) -> bool:
        return self.lease.held()

    async def guard(self, s: AsyncSession) -> None:
        token = self.lease.token
        if token is None or not self.lease.held():
            raise NotLeader("the lease expired before the commit")
        # The database check is the one that holds even if Redis lies or is late;
        # the Redis check narrows the window before a newer leader has written.
        await fence.check(s, token)
        if not await self.lease.confirm():
            raise NotLeader("another scheduler holds the lease")
