"""Accounts by public id, looked up in batches: a join storm is a few queries, not thousands.

Every connect needs the person's account id and display name. Lookups requested
within ``window_ms`` of each other share one ``SELECT … WHERE public_id IN (…)``;
answers are kept ``ttl`` seconds (a renamed person shows the new name after that).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import select

from server.db.engine import Database
from server.db.tables import User


@dataclass(frozen=True)
class Account:
    user_id: int
    public_id: str
    name: str


class Directory:
    def __init__(
        self, db: Database, ttl: float = 60.0, window_ms: float = 2.0, batch_max: int = 500
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._window = window_ms / 1000
        self._max = batch_max
        self._cache: dict[str, tuple[float, Account]] = {}
        self._waiting: dict[str, asyncio.Future[Account | None]] = {}
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, public_id: str) -> Account | None:
        hit = self._cache.get(public_id)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        future = self._waiting.get(public_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[public_id] = future
            if len(self._waiting) >= self._max:
                self._start_batch()
            elif self._flush is None:
                self._flush = asyncio.get_running_loop().call_later(self._window, self._start_batch)
        return await asyncio.shield(future)

    def _start_batch(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        batch, self._waiting = self._waiting, {}
        if batch:
            task = asyncio.create_task(self._load(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _load(self, batch: dict[str, asyncio.Future[Account | None]]) -> None:
        try:
            async with self._db.read() as s:
                rows = (
                    await s.execute(
                        select(User.id, User.public_id, User.name).where(
                            User.public_id.in_(list(batch))
                        )
                    )
                ).all()
        except Exception as exc:
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
            return
        until = time.monotonic() + self._ttl
        found = {public_id: Account(uid, public_id, name) for uid, public_id, name in rows}
        for public_id, account in found.items():
            self._cache[public_id] = (until, account)
        if len(self._cache) > 200_000:  # bound memory: forget what has expired
            now = time.monotonic()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        for public_id, future in batch.items():
            if not future.done():
                future.set_result(found.get(public_id))

    async def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)
