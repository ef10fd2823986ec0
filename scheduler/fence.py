"""The database side of fencing: the newest leader token wins, older ones are refused.

Both functions are conditional ``UPDATE``s of the single ``scheduler_fence``
row. On PostgreSQL the row lock they take orders a new leader's claim after
any transition an old leader has in flight, and every transition the old
leader tries afterwards matches no row and rolls back. On SQLite the write
lock gives the same order.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables_scheduler import SchedulerFence

ROW = "scheduler"


class FenceLost(Exception):
    """A leader with a newer token has written; this one must stop."""

    def __init__(self, token: int, newest: int) -> None:
        super().__init__(f"fencing token {token} is stale; the database has seen {newest}")
        self.token = token
        self.newest = newest


async def newest(s: AsyncSession) -> int:
    return int(await s.scalar(select(SchedulerFence.token).where(SchedulerFence.name == ROW)) or 0)


async def claim(s: AsyncSession, token: int) -> None:
    """A new leader announces its token; refused if an equal or newer one was seen."""
    result = await s.execute(
        update(SchedulerFence)
        .where(SchedulerFence.name == ROW, SchedulerFence.token < token)
        .values(token=token)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    seen = await s.scalar(select(SchedulerFence.token).where(SchedulerFence.name == ROW))
    if seen is None:
        # The row the migration created is gone (a truncated table): recreate it. Two
        # claimers racing here collide on the primary key, and the loser retries.
        s.add(SchedulerFence(name=ROW, token=token))
        await s.flush()
        return
    raise FenceLost(token, int(seen))


async def check(s: AsyncSession, token: int) -> None:
    """Inside a transition's transaction: the token must still be the newest."""
    result = await s.execute(
        update(SchedulerFence)
        .where(SchedulerFence.name == ROW, SchedulerFence.token == token)
        .values(token=token)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise FenceLost(token, await newest(s))
